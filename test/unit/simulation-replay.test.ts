import { describe, expect, it } from "vitest";
import type { LoadTrace } from "../../src/scaler/simulation/load-trace.js";
import {
  interpolatedShortfallAt,
  matchAtEqualPodHours,
  paretoEfficient,
  type PolicyResult,
} from "../../src/scaler/simulation/pod-hours-match.js";
import { ProvisioningTally } from "../../src/scaler/simulation/provisioning-tally.js";
import { replayHpa, type HpaReplayOptions } from "../../src/scaler/simulation/replay-hpa.js";
import { replayOracle } from "../../src/scaler/simulation/replay-oracle.js";

const trace = (values: number[]): LoadTrace => ({ values, stepSeconds: 60, startMs: Date.UTC(2024, 0, 1) });

/** One pod serves 10 per minute; the HPA aims at 100% so the arithmetic stays by hand. */
const options: HpaReplayOptions = {
  podCapacity: 10,
  targetUtilization: 1,
  minReplicas: 1,
  maxReplicas: 50,
  startupSeconds: 60,
  metricLagSeconds: 0,
  syncPeriodSeconds: 15,
  evaluationStartStep: 0,
};

describe("replayHpa", () => {
  it("keeps new pods out of Ready capacity for the start-up time and counts the shortfall", () => {
    // Minute 1 jumps to 30: the HPA orders 3 pods at t = 60 s, Ready at 120 s. Minute 1 is short 2 pods.
    const run = replayHpa(trace([10, 30, 30, 30, 10]), options);
    expect(run.metrics.underProvisionedMinutes).toBeCloseTo(1, 9);
    expect(run.metrics.underProvisionedPodMinutes).toBeCloseTo(2, 9);
    expect(run.metrics.demandPodMinutes).toBeCloseTo(11, 9); // 1 + 3 + 3 + 3 + 1
    expect(run.metrics.unservedShare).toBeCloseTo(2 / 11, 9);
    // 1 pod in minute 0, then 3 pods (starting pods are paid for) — held through minute 4 by stabilization.
    expect(run.metrics.podHours).toBeCloseTo(13 / 60, 9);
    expect(run.metrics.scalingActions).toBe(1);
  });

  it("acts on load one metric lag old", () => {
    // With a 60 s lag the jump is seen at t = 120 s; the pods are Ready at 180 s: minutes 1 and 2 are short.
    const run = replayHpa(trace([10, 30, 30, 30, 10]), { ...options, metricLagSeconds: 60 });
    expect(run.metrics.underProvisionedMinutes).toBeCloseTo(2, 9);
    expect(run.metrics.underProvisionedPodMinutes).toBeCloseTo(4, 9);
    expect(run.metrics.podHours).toBeCloseTo((1 + 1 + 3 + 3 + 3) / 60, 9);
  });

  it("serves a jump at once when presage's floor was raised a start-up time earlier", () => {
    // The floor goes to 3 at minute 1, so 3 pods are Ready from t = 120 s when the jump arrives.
    const floors = [1, 3, 3, 3, 3];
    const run = replayHpa(trace([10, 10, 30, 30, 10]), { ...options, floors, recordReadyPods: true });
    expect(run.metrics.underProvisionedPodMinutes).toBe(0);
    expect(Array.from(run.readyPods ?? []).slice(0, 9)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 3]);
    expect(run.metrics.scalingActions).toBe(1);
  });

  it("leaves unmeasured steps out of every figure and does not scale on them", () => {
    const run = replayHpa(trace([10, Number.NaN, Number.NaN, 10]), options);
    expect(run.metrics.evaluatedMinutes).toBe(2);
    expect(run.metrics.podHours).toBeCloseTo(2 / 60, 9);
    expect(run.metrics.scalingActions).toBe(0);
  });

  it("counts nothing before the evaluation start", () => {
    const run = replayHpa(trace([10, 30, 30, 30, 10]), { ...options, evaluationStartStep: 3 });
    expect(run.metrics.evaluatedMinutes).toBe(2);
    expect(run.metrics.underProvisionedPodMinutes).toBe(0);
    expect(run.metrics.scalingActions).toBe(0);
    expect(run.metrics.podHours).toBeCloseTo(6 / 60, 9);
  });
});

describe("replayOracle", () => {
  it("has exactly ceil(load / capacity) pods Ready at every instant, never short", () => {
    const run = replayOracle(trace([10, 25, Number.NaN, 0, 41]), {
      podCapacity: 10,
      minReplicas: 1,
      maxReplicas: 50,
      syncPeriodSeconds: 15,
      evaluationStartStep: 0,
      recordReadyPods: true,
    });
    // 1, 3, (gap: held, not counted), 1 (minReplicas), 5.
    expect(run.metrics.podHours).toBeCloseTo((1 + 3 + 1 + 5) / 60, 9);
    expect(run.metrics.underProvisionedPodMinutes).toBe(0);
    expect(run.metrics.demandPodMinutes).toBeCloseTo(1 + 2.5 + 0 + 4.1, 9);
    expect(run.metrics.scalingActions).toBe(3);
    expect(Array.from(run.readyPods ?? []).filter((_, i) => i % 4 === 0)).toEqual([1, 3, 3, 1, 5]);
  });

  it("is short only where maxReplicas cannot carry the load", () => {
    const run = replayOracle(trace([70]), {
      podCapacity: 10,
      minReplicas: 1,
      maxReplicas: 5,
      syncPeriodSeconds: 15,
      evaluationStartStep: 0,
    });
    expect(run.metrics.underProvisionedPodMinutes).toBeCloseTo(2, 9);
  });
});

describe("ProvisioningTally", () => {
  it("sums shortfall, demand and pods over intervals", () => {
    const tally = new ProvisioningTally();
    tally.add(2.5, 2, 3, 30); // short 0.5 pods for 30 s
    tally.add(1, 2, 2, 30);
    tally.countAction();
    const result = tally.result();
    expect(result).toMatchObject({ underProvisionedMinutes: 0.5, scalingActions: 1, evaluatedMinutes: 1 });
    expect(result.podHours).toBeCloseTo((3 * 30 + 2 * 30) / 3600, 12);
    expect(result.underProvisionedPodMinutes).toBeCloseTo(0.25, 12);
    expect(result.demandPodMinutes).toBeCloseTo(1.75, 12);
    expect(result.unservedShare).toBeCloseTo(0.25 / 1.75, 12);
  });

  it("does not count float noise as a shortage", () => {
    const tally = new ProvisioningTally();
    tally.add(405 / (405 / 14), 14, 14, 60);
    expect(tally.result().underProvisionedMinutes).toBe(0);
  });
});

describe("matchAtEqualPodHours", () => {
  const policy = (
    name: PolicyResult["name"],
    targetUtilization: number,
    quantile: number | null,
    podHours: number,
    underProvisionedPodMinutes: number,
  ): PolicyResult => ({
    name,
    targetUtilization,
    quantile,
    podHours,
    underProvisionedPodMinutes,
    underProvisionedMinutes: 0,
    unservedShare: 0,
    scalingActions: 0,
    demandPodMinutes: 1,
    evaluatedMinutes: 1,
  });

  it("keeps only settings that no other setting beats on both cost and shortfall", () => {
    const a = policy("presage", 0.9, 0.9, 100, 50);
    const b = policy("presage", 0.8, 0.9, 110, 60); // dominated by a
    const c = policy("presage", 0.7, 0.9, 120, 10);
    expect(paretoEfficient([a, b, c])).toEqual([a, c]);
  });

  it("pairs each reactive setting with the efficient presage setting closest in pod-hours", () => {
    const reactive = [policy("reactive", 0.7, null, 109, 80), policy("reactive", 0.5, null, 150, 20)];
    const presage = [
      policy("presage", 0.9, 0.9, 100, 50),
      policy("presage", 0.8, 0.9, 110, 60), // closest to 109, but dominated: skipped
      policy("presage", 0.7, 0.95, 120, 10),
    ];
    const [first, second] = matchAtEqualPodHours(reactive, presage, 0.02);
    expect(first?.presage?.podHours).toBe(100);
    expect(first?.matched).toBe(false); // 8.3% apart
    expect(second?.presage?.podHours).toBe(120);
    expect(second?.podHoursDifference).toBeCloseTo(-0.2, 9);

    const [close] = matchAtEqualPodHours([policy("reactive", 0.7, null, 101, 80)], presage, 0.02);
    expect(close?.matched).toBe(true);
    expect(close?.underProvisionedRatio).toBeCloseTo(50 / 80, 9);
  });

  it("interpolates presage's shortfall along its efficient frontier at exactly the given pod-hours", () => {
    const presage = [
      policy("presage", 0.9, 0.9, 100, 50),
      policy("presage", 0.8, 0.9, 110, 60), // dominated: not on the frontier
      policy("presage", 0.7, 0.95, 120, 10),
    ];
    expect(interpolatedShortfallAt(presage, 105)).toBeCloseTo(40, 9); // a quarter of the way 50 → 10
    expect(interpolatedShortfallAt(presage, 120)).toBe(10);
    expect(interpolatedShortfallAt(presage, 100)).toBe(50);
    expect(interpolatedShortfallAt(presage, 99)).toBeUndefined();
    expect(interpolatedShortfallAt(presage, 121)).toBeUndefined();
  });
});
