import { afterEach, describe, expect, it } from "vitest";
import { SeededRandom } from "../../models/math/seeded-random.js";
import { FailurePredictor } from "../../src/prediction/failure-predictor.js";
import { parsePredictionConfig } from "../../src/prediction/prediction-config.js";
import { parseRunbookFiles } from "../../src/remediation/runbooks/load-runbooks.js";
import { RemediationHarness } from "../support/remediation-harness.js";
import { ScriptedLabelledSeries } from "../support/prediction-series.js";

const DAY_MS = 86_400_000;
const STEP_MS = 300_000;
const START = Date.parse("2026-11-20T00:00:00Z");
const QUERY = "presage:deployment_error_ratio:rate2m";
const LABELS = { namespace: "shop", deployment: "checkout" };

const RUNBOOK = `
name: error-spike-restart
mode: auto
match:
  alertname: PredictedErrorSpike
  labels: ['presage_preventive="true"']
steps:
  - action: restart-deployment
    params: { namespace: "{{ labels.namespace }}", deployment: "{{ labels.deployment }}" }
verify: { timeout: 1m, interval: 1s, rollout: true }
`;

let harness: RemediationHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe("anomaly predictions", () => {
  it("map a seasonal-residual anomaly on the error ratio to a preventive runbook, once", async () => {
    const clock = { nowMs: START + 4 * DAY_MS };
    const random = new SeededRandom(11);
    const noise = new Map<number, number>();
    const spikeFromMs = START + 4 * DAY_MS + 2 * 3_600_000;
    // A daily error-ratio pattern (0.5 %–1.5 %), then a jump to 12 % two hours into day 5.
    const errorRatio = (atMs: number): number => {
      let jitter = noise.get(atMs);
      if (jitter === undefined) {
        jitter = 0.0005 * random.normal();
        noise.set(atMs, jitter);
      }
      const daily = 0.01 + 0.005 * Math.sin((2 * Math.PI * (atMs - START)) / DAY_MS);
      return (atMs >= spikeFromMs ? 0.12 : daily) + jitter;
    };
    harness = await RemediationHarness.start({
      runbooks: parseRunbookFiles([{ name: "error-spike.yaml", text: RUNBOOK }]),
      engine: { now: () => clock.nowMs },
    });
    harness.seedDeployments(["checkout"], 4);
    const replica = await harness.addReplica();
    const parsed = parsePredictionConfig({
      interval: "5m",
      step: "5m",
      lookback: "4d",
      grace: "5m",
      staleAfter: "15m",
      anomalies: [
        {
          name: "checkout-errors",
          alertname: "PredictedErrorSpike",
          query: QUERY,
          detector: "presage",
          threshold: 0.99,
          warmupPoints: 288,
          horizon: "30m",
          runbook: "error-spike-restart",
        },
      ],
    });
    if (!parsed.ok) throw new Error(parsed.problems.join("; "));
    const predictor = new FailurePredictor({
      config: parsed.config,
      source: new ScriptedLabelledSeries({ [QUERY]: [{ labels: LABELS, valueAt: errorRatio }] }),
      remediation: replica.engine,
      now: () => clock.nowMs,
    });
    const raisedAt: number[] = [];
    for (let tick = 0; tick < 36; tick++) {
      const result = await predictor.tick();
      await replica.engine.idle();
      if (result.raised > 0) raisedAt.push(clock.nowMs);
      clock.nowMs += STEP_MS;
    }
    // Four days of the pattern raised nothing; the jump raised exactly one prediction.
    expect(raisedAt).toHaveLength(1);
    expect(raisedAt[0]).toBeGreaterThanOrEqual(spikeFromMs);
    expect(raisedAt[0]! - spikeFromMs).toBeLessThanOrEqual(2 * STEP_MS);
    const [incident] = await replica.engine.incidents();
    expect(incident).toMatchObject({
      alertname: "PredictedErrorSpike",
      runbook: "error-spike-restart",
      preventive: true,
      state: "healed",
      prediction: { kind: "anomaly", name: "checkout-errors" },
      predictionOutcome: "prevented",
    });
    expect(incident!.prediction!.probability).toBeGreaterThanOrEqual(0.99);
    expect(harness.deploymentPatches()).toHaveLength(1);
  });
});
