import { describe, expect, it } from "vitest";
import type { Forecast } from "../../models/forecast.js";
import { capacityOrigins } from "../../training/capacity/capacity-origins.js";
import { scoreCapacityWindow } from "../../training/capacity/capacity-window-score.js";
import { evaluateCapacity, type CapacityMethod } from "../../training/capacity/evaluate-capacity.js";

function flatForecast(value: number, horizon: number, halfWidth = 0): Forecast {
  const mean = new Array<number>(horizon).fill(value);
  return {
    model: "flat",
    mean,
    intervals: [{ level: 80, lower: mean.map((m) => m - halfWidth), upper: mean.map((m) => m + halfWidth) }],
    notes: [],
  };
}

describe("capacityOrigins", () => {
  it("starts at length − longest horizon and steps back 30 days while two years of history remain", () => {
    expect(capacityOrigins(1280, { horizonsDays: [90, 180] })).toEqual([
      1100, 1070, 1040, 1010, 980, 950, 920, 890, 860, 830, 800, 770,
    ]);
    expect(capacityOrigins(1000, { horizonsDays: [90, 180] })).toEqual([820, 790, 760, 730]);
  });

  it("caps the number of origins and keeps only the latest for short series", () => {
    expect(capacityOrigins(5000, { horizonsDays: [180], maxOrigins: 3 })).toEqual([4820, 4790, 4760]);
    expect(capacityOrigins(400, { horizonsDays: [90, 180] })).toEqual([220]);
    expect(capacityOrigins(200, { horizonsDays: [90, 180] })).toEqual([]);
  });
});

describe("scoreCapacityWindow", () => {
  it("compares 7-day means of days h−6…h and counts daily actuals inside the 80% interval", () => {
    // Days 4..10 ahead (indices 3..9) for h = 10; actual mean 100, forecast mean 110 → 10% error.
    const actual = [0, 0, 0, 94, 96, 98, 100, 102, 104, 106, 0];
    const score = scoreCapacityWindow(flatForecast(110, 11, 9), actual, 10);
    expect(score?.actualMean).toBeCloseTo(100, 12);
    expect(score?.forecastMean).toBeCloseTo(110, 12);
    expect(score?.absolutePercentError).toBeCloseTo(10, 12);
    expect(score?.withinTolerance).toBe(true);
    // Interval [101, 119] holds 102, 104, 106.
    expect(score?.covered80).toBe(3);
    expect(score?.observedDays).toBe(7);
  });

  it("counts a 20% miss as outside ±15%", () => {
    const score = scoreCapacityWindow(flatForecast(80, 7), new Array<number>(7).fill(100), 7);
    expect(score?.withinTolerance).toBe(false);
    expect(score?.absolutePercentError).toBeCloseTo(20, 12);
  });

  it("leaves missing days out and refuses windows with fewer than 4 observed days", () => {
    const gappy = [100, Number.NaN, 110, Number.NaN, 120, Number.NaN, 130];
    expect(scoreCapacityWindow(flatForecast(115, 7), gappy, 7)?.actualMean).toBeCloseTo(115, 12);
    const sparse = [100, Number.NaN, Number.NaN, Number.NaN, Number.NaN, Number.NaN, 130];
    expect(scoreCapacityWindow(flatForecast(115, 7), sparse, 7)).toBeUndefined();
  });
});

describe("evaluateCapacity", () => {
  it("computes within15, MAPE and coverage over (series, origin) pairs", () => {
    // 60 days: 40 at 100, then 20 at 110. Origin = 60 − 14 = 46 (only one origin: < 2 years).
    const values = [...new Array<number>(40).fill(100), ...new Array<number>(20).fill(110)];
    const method: CapacityMethod = {
      name: "hundred",
      forecast: (task) => flatForecast(100, task.horizonSteps, 5),
    };
    const result = evaluateCapacity([{ id: "S", values }], [method], { horizonsDays: [7, 14] });
    const scores = result.methods.hundred;
    expect(result.pairs).toBe(1);
    expect(scores?.within15).toEqual({ "7": 1, "14": 1 });
    expect(scores?.mape["7"]).toBeCloseTo((100 * 10) / 110, 10);
    expect(scores?.coverage80).toEqual({ "7": 0, "14": 0 });
    expect(result.withinByPair.hundred).toEqual({ "7": [true], "14": [true] });
  });

  it("records per pair whether each method was within ±15%, undefined where unscored", () => {
    // 1090 days at 100, then 200 (the last day missing): origins from 1100 − 7 back every 30 days.
    const values = [...new Array<number>(1090).fill(100), ...new Array<number>(10).fill(200)];
    values[1099] = Number.NaN;
    const method: CapacityMethod = {
      name: "hundred",
      forecast: (task) => flatForecast(100, task.horizonSteps),
    };
    const result = evaluateCapacity([{ id: "S", values }], [method], { horizonsDays: [7] });
    const hits = result.withinByPair.hundred?.["7"] ?? [];
    expect(hits).toHaveLength(result.pairs);
    // The latest origin (1093) sees 200s in its window; the earlier ones only 100s.
    expect(hits[0]).toBe(false);
    expect(hits.slice(1).every((hit) => hit === true)).toBe(true);
  });

  it("scores a failing method as naive and counts the failure", () => {
    const values = Array.from({ length: 60 }, (_, i) => 100 + i);
    const failing: CapacityMethod = {
      name: "broken",
      forecast: () => {
        throw new Error("boom");
      },
    };
    const result = evaluateCapacity([{ id: "S", values }], [failing], { horizonsDays: [14] });
    expect(result.methods.broken?.failures).toBe(1);
    // Naive from day 45 (value 145) vs the actual mean of days 53..59 (156): 7.05% off.
    expect(result.methods.broken?.mape["14"]).toBeCloseTo((100 * 11) / 156, 10);
  });

  it("notes series too short for the horizon instead of failing", () => {
    const result = evaluateCapacity([{ id: "tiny", values: [1, 2, 3] }], [], { horizonsDays: [90] });
    expect(result.pairs).toBe(0);
    expect(result.notes[0]).toMatch(/series "tiny" \(3 days\) is too short/);
  });
});
