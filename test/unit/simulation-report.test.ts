import { describe, expect, it } from "vitest";
import { SeededRandom } from "../../models/math/seeded-random.js";
import { createForecaster } from "../../training/model-catalog.js";
import { CliError } from "../../src/cli/cli-error.js";
import { parseSimulateArgs, simulationChartSvg, simulationJson } from "../../src/cli/simulate-command.js";
import type { LoadTrace } from "../../src/scaler/simulation/load-trace.js";
import { SimulationError, SimulationErrorCode } from "../../src/scaler/simulation/simulation-error.js";
import { simulateScaling, type SimulationOptions } from "../../src/scaler/simulation/simulate-scaling.js";

/** Three days of 5-minute load with a daily cycle and a few bursts. */
function burstyTrace(): LoadTrace {
  const random = new SeededRandom(3);
  const values = Array.from({ length: 3 * 288 }, (_, i) => {
    const burst = i % 97 === 0 ? 150 : 0;
    return Math.max(0, 200 + 120 * Math.sin((2 * Math.PI * i) / 288) + 15 * random.normal() + burst);
  });
  values[400] = Number.NaN;
  return { values, stepSeconds: 300, startMs: Date.UTC(2024, 2, 1) };
}

const options: SimulationOptions = {
  podCapacity: 50,
  warmupSeconds: 86_400,
  trainWindowSeconds: 2 * 86_400,
  createForecaster: (context) => createForecaster("snaive", context),
};

const POLICY_KEYS = [
  "name",
  "podHours",
  "quantile",
  "scalingActions",
  "targetUtilization",
  "underProvisionedMinutes",
  "underProvisionedPodMinutes",
  "unservedShare",
];

describe("simulateScaling report", () => {
  it("writes exactly {policies: [...]} with one entry per policy and the documented fields", () => {
    const result = simulateScaling(burstyTrace(), options);
    const json = simulationJson(result);
    expect(Object.keys(json)).toEqual(["policies"]);
    expect(json.policies.map((policy) => policy.name)).toEqual(["reactive", "presage", "oracle"]);
    for (const policy of json.policies) {
      expect(Object.keys(policy).sort()).toEqual(POLICY_KEYS);
      for (const key of POLICY_KEYS.filter((key) => key !== "name" && key !== "quantile")) {
        expect(typeof policy[key as keyof typeof policy]).toBe("number");
      }
    }
    expect(json.policies.map((policy) => policy.quantile)).toEqual([null, 0.9, null]);
    expect(json.policies.map((policy) => policy.targetUtilization)).toEqual([0.7, 0.7, 1]);
    const oracle = json.policies[2]!;
    expect(oracle.underProvisionedPodMinutes).toBe(0);
    // Nothing serves the same demand on fewer pod-hours than the oracle.
    for (const policy of json.policies) expect(policy.podHours).toBeGreaterThanOrEqual(oracle.podHours);
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });

  it("with a sweep, replays every setting and pairs each reactive setting at equal pod-hours", () => {
    const result = simulateScaling(burstyTrace(), {
      ...options,
      sweep: { targetUtilizations: [0.6, 0.8], presageTargetUtilizations: [0.8, 0.9], quantiles: [0.7, 0.9] },
    });
    const names = simulationJson(result).policies.map(
      (policy) => `${policy.name}:${policy.targetUtilization}:${policy.quantile}`,
    );
    expect(names).toEqual([
      "reactive:0.6:null",
      "reactive:0.8:null",
      "presage:0.8:0.7",
      "presage:0.8:0.9",
      "presage:0.9:0.7",
      "presage:0.9:0.9",
      "oracle:1:null",
    ]);
    expect(result.matches?.map((match) => match.reactive.targetUtilization)).toEqual([0.6, 0.8]);
    for (const match of result.matches ?? []) {
      expect(match.matched).toBe(Math.abs(match.podHoursDifference) <= 0.02);
    }
  });

  it("counts from the first forecast on and charts reactive, presage and oracle", () => {
    const trace = burstyTrace();
    const result = simulateScaling(trace, options);
    expect(result.evaluation.fromStep).toBe(288); // one day of warm-up at 5-minute steps
    expect(result.tracks.map((track) => track.policy.name)).toEqual(["reactive", "presage", "oracle"]);
    const svg = simulationChartSvg({
      trace,
      podCapacity: 50,
      result,
      runtime: { totalSeconds: 0, forecastSeconds: 0, replaySeconds: 0 },
    });
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("Ready capacity: oracle");
    expect(svg.match(/<polyline /g)).toHaveLength(3);
  });

  it("reports every bad option at once, naming field, value and rule", () => {
    let caught: unknown;
    try {
      simulateScaling(burstyTrace(), {
        ...options,
        podCapacity: 0,
        quantile: 1,
        targetUtilization: 1.5,
        metricLagSeconds: 7,
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SimulationError);
    const error = caught as SimulationError;
    expect(error.code).toBe(SimulationErrorCode.invalidOptions);
    expect(error.message).toContain("`podCapacity` (0) must be a number > 0");
    expect(error.message).toContain("`quantile` (1) must be ≥ 0.5 and < 1");
    expect(error.message).toContain("`targetUtilization` (1.5) must be > 0 and ≤ 1");
    expect(error.message).toContain(
      "`metricLagSeconds` (7) must be ≥ 0 and a multiple of the sync period (15 s)",
    );
  });

  it("says so when the trace is too short for the warm-up", () => {
    const trace = burstyTrace();
    expect(() => simulateScaling(trace, { ...options, warmupSeconds: 5 * 86_400 })).toThrow(
      expect.objectContaining({ code: SimulationErrorCode.invalidTrace }),
    );
  });
});

describe("parseSimulateArgs", () => {
  it("reads durations, peak-relative capacity and sweep lists", () => {
    const parsed = parseSimulateArgs([
      "--trace",
      "t.csv",
      "--pod-capacity",
      "peak/14",
      "--startup",
      "3m",
      "--warmup",
      "2d",
      "--sweep",
      "--sweep-quantiles",
      "0.8,0.9",
    ]);
    expect(parsed.podCapacity).toEqual({ peakDivisor: 14 });
    expect(parsed.simulation).toMatchObject({
      startupSeconds: 180,
      warmupSeconds: 172_800,
      sweep: { quantiles: [0.8, 0.9] },
    });
  });

  it("lists every problem with the flags at once", () => {
    expect(() => parseSimulateArgs(["--quantile", "x", "--model", "nope"])).toThrow(CliError);
    try {
      parseSimulateArgs(["--quantile", "x", "--model", "nope"]);
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toContain("--trace <csv> is required");
      expect(message).toContain("--pod-capacity");
      expect(message).toContain('--quantile "x" must be a number');
      expect(message).toContain('--model "nope"');
    }
  });
});
