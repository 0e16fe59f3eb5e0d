import { execFile } from "node:child_process";
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  CHAOS_TOPOLOGY,
  FaultType,
  formatChaosTable,
  runChaosCampaign,
  writeChaosReport,
  type ChaosReport,
} from "../support/chaos-campaign.js";
import { startChaosEnvironment, type ChaosEnvironment } from "../support/chaos-environment.js";

const run = promisify(execFile);
const REPORT = join("test-output", "chaos-remediation.json");
const FAULTS_PER_TYPE = 5;

/*
 * The acceptance of self-healing, end to end with real components: demo processes (one per pod) run
 * by a simulated controller on the Kubernetes API stand-in; a real Prometheus scrapes them and
 * evaluates the shipped alert rules (time-scaled 1/40, see chaos-time-scale.ts); a real Alertmanager
 * routes to presage's webhook; presage acts on the stand-in with the shipped runbooks; the controller
 * restarts, rolls back, scales and cordons; the alerts resolve.
 */
describe("chaos: shipped runbooks heal injected faults end to end", () => {
  let env: ChaosEnvironment | undefined;
  let report: ChaosReport;
  const LOG = join("test-output", "chaos-remediation.log");
  const log = (line: string): void => {
    appendFileSync(LOG, `${new Date().toISOString()} ${line}\n`);
  };

  beforeAll(async () => {
    mkdirSync("test-output", { recursive: true });
    writeFileSync(LOG, "");
    env = await startChaosEnvironment({
      topology: CHAOS_TOPOLOGY,
      log,
    });
    report = await runChaosCampaign(env, {
      faultsPerType: FAULTS_PER_TYPE,
      log,
    });
    await writeChaosReport(REPORT, report);
    console.log(`${formatChaosTable(report)}\nper-fault results: ${REPORT}`);
  }, 420_000);

  afterAll(async () => {
    await env?.close();
  }, 60_000);

  it("evaluates valid rules: the time-scaled shipped rule file passes promtool check rules", async () => {
    const { stdout } = await run("promtool", ["check", "rules", env!.prometheus.rulesFile]);
    const shipped = (env!.rulesText.match(/^\s*- (record|alert): /gm) ?? []).length;
    expect(shipped).toBeGreaterThanOrEqual(5);
    expect(stdout).toContain(`SUCCESS: ${shipped} rules found`);
    // PresageMemoryLeak's `for: 10m`, scaled.
    expect(env!.rulesText).toContain(`for: ${600_000 / env!.scale.factor}ms`);
    expect(env!.rulesText).not.toMatch(/\[\d+m\]/);
  });

  it("injects at least 25 faults across the five incident types", () => {
    expect(report.faults.length).toBeGreaterThanOrEqual(25);
    for (const type of Object.values(FaultType)) {
      expect(report.faults.filter((fault) => fault.type === type).length).toBe(FAULTS_PER_TYPE);
    }
  });

  it("heals at least 90% of them (verified by presage, alert resolved)", () => {
    const failed = report.faults
      .filter((fault) => !fault.healed)
      .map(
        (fault) =>
          `${fault.type} on ${fault.target} (${fault.variant}): ${fault.outcome} ${fault.detail ?? ""}`,
      );
    expect(report.summary.successRate, `not healed:\n${failed.join("\n")}`).toBeGreaterThanOrEqual(0.9);
    expect(Number.isFinite(report.summary.mttrMedianMs)).toBe(true);
    expect(report.summary.mttrP95Ms).toBeGreaterThanOrEqual(report.summary.mttrMedianMs);
  });

  it("acts with the runbook meant for each incident type", () => {
    const expected: Record<FaultType, string[]> = {
      [FaultType.memoryLeak]: ["rollout restart"],
      [FaultType.crashLoop]: ["rollout undo"],
      [FaultType.errorRate]: ["rollout restart", "rollout undo"],
      [FaultType.saturation]: ["scale deployment"],
      [FaultType.diskPressure]: ["cordon node", "create job"],
    };
    for (const fault of report.faults.filter((candidate) => candidate.healed)) {
      expect(fault.runbook).toBeDefined();
      expect(fault.actions.length).toBeGreaterThan(0);
      for (const action of fault.actions) {
        expect([fault.type, action, expected[fault.type].some((kind) => action.startsWith(kind))]).toEqual([
          fault.type,
          action,
          true,
        ]);
      }
    }
  });

  it("never acts twice: every ledger action is one write in the API log, no step or fault acted on twice", () => {
    expect(report.audit.duplicateSteps).toEqual([]);
    expect(report.audit.duplicateIncidents).toEqual([]);
    expect(report.audit.apiWrites).toBe(report.audit.ledgerWrites);
    expect(report.audit.ledgerWrites).toBeGreaterThanOrEqual(
      report.faults.filter((fault) => fault.healed).length,
    );
  });

  it("tells Slack about each healed fault", async () => {
    const healed = report.faults.filter((fault) => fault.healed).length;
    // The last notifications may still be in the outbox (dispatched every second).
    await vi.waitFor(
      () => {
        const messages = env!.receiver.captured.filter(
          (entry) => entry.sink === "slack" && String(entry.body.text).includes("Auto-remediated"),
        );
        expect(messages.length).toBeGreaterThanOrEqual(healed);
      },
      { timeout: 20_000, interval: 250 },
    );
  });

  it("opens the circuit breaker and pages a human for a fault the runbook cannot fix", () => {
    const breaker = report.breaker!;
    expect(breaker.incidents.length).toBeGreaterThanOrEqual(3);
    expect(breaker.incidents.every((incident) => incident.state === "escalated")).toBe(true);
    // Restart, then roll back to 1.0, which does not help either: the roll back is undone.
    expect(breaker.incidents.every((incident) => incident.actions >= 2 && incident.reverted)).toBe(true);
    expect(breaker.breakerOpened).toBe(true);
    expect(breaker.pages.some((page) => page.kind === "breaker-opened")).toBe(true);
    expect(breaker.pages.filter((page) => page.kind === "escalated").length).toBeGreaterThanOrEqual(3);
  });
});
