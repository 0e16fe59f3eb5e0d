import { mkdtemp, rm, symlink, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadRunbooks, RunbookError } from "../../src/remediation/runbooks/load-runbooks.js";
import { restartRunbookYaml, runbooksFromYaml } from "../support/remediation-fixtures.js";

function problemsOf(files: Record<string, string>): { file: string; field: string; rule: string }[] {
  try {
    runbooksFromYaml(files);
  } catch (error) {
    if (error instanceof RunbookError) return [...error.problems];
    throw error;
  }
  throw new Error("expected a RunbookError");
}

describe("runbooks as YAML", () => {
  it("loads a runbook: matchers compiled, durations in ms, runbook verification applied to each step", () => {
    const [runbook] = runbooksFromYaml({
      "restart.yaml": restartRunbookYaml({
        verify: `verify:\n  timeout: 2m\n  interval: 10s\n  rollout: true\n  promql: { query: 'up{deployment="{{ labels.deployment }}"}', above: 0 }`,
        guards: "guards:\n  cooldown: 30m\n  maxActionsPerHour: 4",
      }),
    });
    expect(runbook?.name).toBe("restart-on-errors");
    expect(runbook?.mode).toBe("auto");
    expect(runbook?.match.matchers[0]?.test({ deployment: "x" })).toBe(true);
    expect(runbook?.match.matchers[0]?.test({})).toBe(false);
    expect(runbook?.steps[0]?.verify).toEqual({
      timeoutMs: 120_000,
      intervalMs: 10_000,
      rollout: true,
      promql: { query: 'up{deployment="{{ labels.deployment }}"}', above: 0 },
      alertResolved: false,
    });
    expect(runbook?.guards).toEqual({ cooldownMs: 1_800_000, maxActionsPerHour: 4 });
  });

  it("reports every problem of every file at once, each naming file, field and rule", () => {
    const problems = problemsOf({
      "a.yaml": `name: Bad Name
match: { alertname: "" }
steps: []
`,
      "b.yaml": `name: b
match:
  alertname: X
  labels: ['namespace=~"("', 'nonsense']
steps:
  - action: explode-cluster
  - action: restart-deployment
    params: { namespace: "{{ labels.namespace }}", deployment: "{{ process.env }}" }
  - action: scale-deployment
    params: { namespace: shop, deployment: web, by: 0, max: 5 }
  - action: restart-deployment
    params: { namespace: Shop_Prod, deployment: web }
    onFailure: retry
verify: { timeout: soon }
`,
      "c.yaml": "name: [unclosed",
    });
    const fields = problems.map((problem) => `${problem.file} ${problem.field}`);
    expect(fields).toEqual(
      expect.arrayContaining([
        "a.yaml name",
        "a.yaml match.alertname",
        "a.yaml steps",
        "b.yaml steps[0].action",
        "b.yaml steps[3].onFailure",
        "b.yaml verify",
        "c.yaml (yaml)",
      ]),
    );
    expect(problems.find((problem) => problem.field === "steps[0].action")?.rule).toMatch(
      /must be one of restart-deployment/,
    );
  });

  it("reports matcher, template and untemplated-parameter problems after the schema passes", () => {
    const problems = problemsOf({
      "b.yaml": `name: b
match:
  alertname: X
  labels: ['namespace=~"("', 'nonsense']
steps:
  - action: restart-deployment
    params: { namespace: "{{ labels.namespace }}", deployment: "{{ process.env }}" }
  - action: scale-deployment
    params: { namespace: shop, deployment: web, by: 0, max: 5 }
  - action: restart-deployment
    params: { namespace: Shop_Prod, deployment: web }
  - action: http-hook
    params: { url: "http://cache/flush" }
    onFailure: undo
`,
    });
    expect(problems.map((problem) => problem.field)).toEqual(
      expect.arrayContaining([
        "match.labels[0]",
        "match.labels[1]",
        "steps[0].params.deployment",
        "steps[1].params.by",
        "steps[2].params.namespace",
        "steps[3].onFailure",
      ]),
    );
    expect(problems.find((problem) => problem.field === "steps[0].params.deployment")?.rule).toMatch(
      /\{\{ labels\.<name> \}\}/,
    );
    expect(problems.find((problem) => problem.field === "steps[2].params.namespace")?.rule).toMatch(
      /DNS-1123/,
    );
  });

  it("refuses two runbooks with one name", () => {
    const problems = problemsOf({ "a.yaml": restartRunbookYaml(), "b.yaml": restartRunbookYaml() });
    expect(problems).toEqual([
      { file: "b.yaml", field: "name", rule: 'duplicates "restart-on-errors" of a.yaml' },
    ]);
  });

  describe("from a directory", () => {
    let directory: string;
    afterEach(async () => {
      await rm(directory, { recursive: true, force: true });
    });

    it("reads *.yaml and *.yml, several documents per file, skipping a ConfigMap's dot entries", async () => {
      directory = await mkdtemp(join(tmpdir(), "presage-runbooks-"));
      await mkdir(join(directory, "..2026_11_28"));
      await writeFile(join(directory, "..2026_11_28", "restart.yaml"), restartRunbookYaml());
      await symlink(join(directory, "..2026_11_28"), join(directory, "..data"));
      await symlink(join("..data", "restart.yaml"), join(directory, "restart.yaml"));
      await writeFile(
        join(directory, "two.yml"),
        `${restartRunbookYaml({ name: "one" })}\n---\n${restartRunbookYaml({ name: "two" })}`,
      );
      await writeFile(join(directory, "notes.txt"), "not a runbook");
      const names = (await loadRunbooks(directory)).map((runbook) => runbook.name).sort();
      expect(names).toEqual(["one", "restart-on-errors", "two"]);
    });

    it("says when the directory cannot be read", async () => {
      directory = join(tmpdir(), "presage-no-such-runbooks");
      await expect(loadRunbooks(directory)).rejects.toThrow(/\(directory\) cannot be read/);
    });
  });
});
