import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { ConfigError, parseConfigText } from "../../src/config/presage-config.js";
import { predictionRunbookProblems } from "../../src/prediction/create-failure-predictor.js";
import { parsePredictionConfig } from "../../src/prediction/prediction-config.js";
import { parseRunbookFiles } from "../../src/remediation/runbooks/load-runbooks.js";

const SECTION = `
prometheus:
  url: http://prometheus:9090
remediation:
  webhook:
    tokens: ["0123456789abcdef0123"]
prediction:
  interval: 15s
  step: 15s
  predictions:
    - name: memory-oom
      alertname: PredictedMemoryExhaustion
      query: 'max by (namespace, deployment) (container_memory_working_set_bytes{container!=""})'
      limit:
        query: 'max by (namespace, deployment) (kube_pod_container_resource_limits{resource="memory"})'
      horizon: 20m
      threshold: 0.8
      runbook: predicted-oom
      failure:
        alerts: [KubePodOOMKilled]
`;

describe("the prediction: config section", () => {
  it("resolves durations to ms and applies the defaults", () => {
    const config = parseConfigText(SECTION);
    expect(config.prediction).toMatchObject({
      intervalMs: 15_000,
      stepMs: 15_000,
      lookbackMs: 30 * 60_000,
      graceMs: 5 * 60_000,
      resetDropFraction: 0.25,
    });
    expect(config.prediction?.predictions[0]).toMatchObject({
      name: "memory-oom",
      horizonMs: 20 * 60_000,
      threshold: 0.8,
      severity: "warning",
      failure: { alerts: ["KubePodOOMKilled"] },
      memoryPoints: 120,
      minPoints: 10,
    });
    expect(Object.isFrozen(config.prediction?.predictions[0])).toBe(true);
  });

  it("reports every problem at once, naming field, value and rule", () => {
    const result = parsePredictionConfig({
      step: "1m",
      predictions: [
        { name: "Bad Name", query: "x", limit: {}, runbook: "r", threshold: 1.5 },
        { name: "ok", query: "x", limit: { value: 10, query: "y" }, runbook: "r", horizon: "30s" },
      ],
    });
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems;
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^predictions\.0\.name: must be 1–63/),
        expect.stringMatching(/^predictions\.0\.limit: must set exactly one of query and value/),
        expect.stringMatching(/^predictions\.0\.threshold/),
        expect.stringMatching(/^predictions\.1\.limit: must set exactly one/),
        expect.stringMatching(/^predictions\.1\.horizon: must be at least one step \(1m\)/),
      ]),
    );
  });

  it("needs the prometheus and remediation sections", () => {
    const text = SECTION.replace(/^prometheus:\n {2}url: .*\n/m, "").replace(
      /^remediation:\n {2}webhook:\n {4}tokens: .*\n/m,
      "targets:\n  - {name: t, source: synthetic}\n",
    );
    let caught: unknown;
    try {
      parseConfigText(text);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const fields = (caught as ConfigError).problems.map((problem) => `${problem.field} ${problem.rule}`);
    expect(fields).toEqual(
      expect.arrayContaining([
        "prediction reads resources from Prometheus but no prometheus section is configured",
        "prediction acts through runbooks but no remediation section is configured",
      ]),
    );
  });

  it("checks that each prediction's runbook is loaded and matches its alert", () => {
    const config = parseConfigText(SECTION).prediction!;
    const loaded = parseRunbookFiles([
      {
        name: "a.yaml",
        text: "name: predicted-oom\nmatch: {alertname: PredictedOom, severity: critical}\nsteps: [{action: delete-pod, params: {namespace: a, pod: b}}]\n",
      },
    ]);
    expect(predictionRunbookProblems(config, loaded)).toEqual([
      'prediction.predictions[0].runbook ("predicted-oom") matches alertname PredictedOom, but the prediction raises PredictedMemoryExhaustion',
      'prediction.predictions[0].runbook ("predicted-oom") matches severity critical, but the prediction raises warning',
    ]);
    expect(predictionRunbookProblems(config, [])).toEqual([
      'prediction.predictions[0].runbook ("predicted-oom") is not loaded; runbooks: (none)',
    ]);
  });
});

describe("the commented prediction sample in examples/presage.yaml", () => {
  it("is a valid prediction section once uncommented", () => {
    const text = readFileSync("examples/presage.yaml", "utf8");
    const block = text
      .slice(text.indexOf("# prediction:"))
      .split("\n")
      .map((line) => line.replace(/^# ?/, ""))
      .join("\n");
    const result = parsePredictionConfig((parseYaml(block) as { prediction: unknown }).prediction);
    expect(result.ok ? [] : result.problems).toEqual([]);
    expect(result.ok && result.config.predictions.map((prediction) => prediction.runbook)).toEqual([
      "predicted-oom",
      "predicted-saturation",
      "disk-cleanup",
    ]);
  });
});
