import { describe, expect, it } from "vitest";
import { bestPerPairScores, futureDriftCeiling } from "../../bench/capacity-ceilings.js";
import type { CapacityEvaluationResult } from "../../training/capacity/evaluate-capacity.js";

describe("capacity benchmark ceilings", () => {
  it("future drift carries the last week's mean forward at the whole series' log drift", () => {
    // Exponential growth of 0.1% a day: the drift ceiling forecasts it exactly.
    const values = Array.from({ length: 400 }, (_, t) => 100 * Math.exp(0.001 * t));
    const ceiling = futureDriftCeiling(new Map([["S", values]]));
    const forecast = ceiling.forecast({
      seriesId: "S",
      origin: 300,
      train: { values: values.slice(0, 300), stepSeconds: 86_400 },
      horizonSteps: 90,
    });
    expect(forecast.mean).toHaveLength(90);
    // The (log) mean of days 293…299 is the value of day 296, 4 days before step 0 (day 300).
    expect(forecast.mean[0]).toBeCloseTo(values[300] ?? 0, 9);
    expect(forecast.mean[89]).toBeCloseTo(values[389] ?? 0, 9);
    expect(() =>
      ceiling.forecast({
        seriesId: "unknown",
        origin: 10,
        train: { values: values.slice(0, 10), stepSeconds: 86_400 },
        horizonSteps: 5,
      }),
    ).toThrow(/too short/);
  });

  it("best per pair counts a pair when any method was within, over the pairs any method scored", () => {
    const result: CapacityEvaluationResult = {
      methods: {},
      withinByPair: {
        a: { "90": [true, false, false, undefined] },
        b: { "90": [false, false, true, undefined] },
      },
      pairs: 4,
      notes: [],
    };
    const scores = bestPerPairScores(result, ["a", "b"], [90]);
    expect(scores.pairs).toEqual({ "90": 3 });
    expect(scores.within15["90"]).toBeCloseTo(2 / 3, 12);
    expect(bestPerPairScores(result, ["a"], [90]).within15["90"]).toBeCloseTo(1 / 3, 12);
  });
});
