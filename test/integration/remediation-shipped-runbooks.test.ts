import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { selectRunbook, planRemediation } from "../../src/remediation/planning/plan-remediation.js";
import { loadRunbooks } from "../../src/remediation/runbooks/load-runbooks.js";
import { receivedAlert } from "../support/remediation-fixtures.js";

const run = promisify(execFile);
const RULES = "deploy/prometheus/presage-alert-rules.yaml";
const RUNBOOKS = "deploy/runbooks";

interface RuleFile {
  groups: { name: string; rules: { alert?: string; record?: string; labels?: Record<string, string> }[] }[];
}

describe("shipped runbooks and their Prometheus alert rules", () => {
  it("pass promtool check rules", async () => {
    const { stdout } = await run("promtool", ["check", "rules", RULES]);
    expect(stdout).toMatch(/SUCCESS: \d+ rules found/);
  });

  it("load without a problem, and every alert rule has the runbook its presage_runbook label names, matching it", async () => {
    const runbooks = await loadRunbooks(RUNBOOKS);
    expect(runbooks.map((runbook) => runbook.name).sort()).toEqual([
      "crash-loop-rollback",
      "high-error-rate",
      "memory-leak-restart",
      "node-disk-pressure",
      "node-not-ready-cordon",
      "predicted-oom",
      "predicted-saturation",
      "saturation-scale-out",
    ]);
    const rules = parseYaml(await readFile(RULES, "utf8")) as RuleFile;
    const alerts = rules.groups.flatMap((group) => group.rules).filter((rule) => rule.alert !== undefined);
    expect(alerts).toHaveLength(6);
    for (const rule of alerts) {
      const labels = {
        alertname: rule.alert!,
        ...rule.labels,
        namespace: "shop",
        deployment: "api-server",
        node: "node-1",
      };
      expect(selectRunbook(receivedAlert(labels), runbooks)?.name, rule.alert).toBe(
        rule.labels?.presage_runbook,
      );
      const plan = planRemediation(receivedAlert(labels), runbooks, {
        nowMs: Date.now(),
        defaultMode: "dry-run",
        maintenanceWindows: [],
        breakers: {},
        silences: [],
        actWithoutSilences: false,
      });
      expect(plan.kind, `${rule.alert!}: ${JSON.stringify(plan)}`).toBe("run");
    }
  });
});
