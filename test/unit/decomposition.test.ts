import { describe, expect, it } from "vitest";
import {
  centeredMovingAverage,
  classicalDecomposition,
} from "../../models/decomposition/classical-decomposition.js";
import { mstl } from "../../models/decomposition/mstl.js";
import { multiplicativeAdjustment } from "../../models/decomposition/multiplicative-adjustment.js";
import { sampleAutocorrelations, seasonalityTest } from "../../models/decomposition/seasonality-test.js";
import { nextOdd, stl } from "../../models/decomposition/stl.js";
import { ModelError, ModelErrorCode } from "../../models/errors.js";
import { seasonalReference as ref } from "../support/seasonal-r-reference.js";
import { seasonalSeries, whiteNoise } from "../support/seasonal-series.js";

const maxAbsDiff = (a: readonly number[], b: readonly number[]): number =>
  a.reduce((worst, x, i) => Math.max(worst, Math.abs(x - (b[i] ?? Number.NaN))), 0);

const rmse = (a: readonly number[], b: readonly number[]): number =>
  Math.sqrt(a.reduce((sum, x, i) => sum + (x - (b[i] ?? Number.NaN)) ** 2, 0) / a.length);

function expectModelError(action: () => unknown, code: ModelErrorCode): void {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(ModelError);
    expect((error as ModelError).code).toBe(code);
    return;
  }
  throw new Error("expected a ModelError");
}

describe("classicalDecomposition", () => {
  it("uses a 2×m centered moving average for even periods and leaves the ends NaN", () => {
    const trend = centeredMovingAverage([1, 2, 3, 4, 5, 6, 7, 8], 4);
    expect(trend.slice(0, 2).every(Number.isNaN)).toBe(true);
    expect(trend.slice(6).every(Number.isNaN)).toBe(true);
    expect(trend.slice(2, 6)).toEqual([3, 4, 5, 6]);
  });

  it("uses a plain m-term average for odd periods", () => {
    expect(centeredMovingAverage([3, 6, 9, 3, 6, 9], 3).slice(1, 5)).toEqual([6, 6, 6, 6]);
  });

  it("recovers an exact additive pattern with indices summing to zero", () => {
    const pattern = [5, -1, -4];
    const values = Array.from({ length: 30 }, (_, t) => 100 + 0.5 * t + (pattern[t % 3] ?? 0));
    const result = classicalDecomposition(values, 3, "additive");
    result.seasonalIndices.forEach((s, i) => {
      expect(s).toBeCloseTo(pattern[i] ?? 0, 10);
    });
    expect(result.seasonalIndices.reduce((a, b) => a + b, 0)).toBeCloseTo(0, 12);
    expect(result.remainder[10]).toBeCloseTo(0, 10);
  });

  it("normalizes multiplicative indices to mean one", () => {
    const pattern = [1.2, 0.7, 1.1, 1.0];
    const values = Array.from({ length: 40 }, (_, t) => 50 * (pattern[t % 4] ?? 1));
    const result = classicalDecomposition(values, 4, "multiplicative");
    result.seasonalIndices.forEach((s, i) => {
      expect(s).toBeCloseTo(pattern[i] ?? 0, 10);
    });
    expect(result.seasonal[5]).toBeCloseTo(0.7, 10);
  });

  it("refuses fewer than two periods of data with an insufficient-data error", () => {
    expectModelError(() => classicalDecomposition([1, 2, 3, 4, 5], 3), ModelErrorCode.insufficientData);
    expectModelError(() => classicalDecomposition([1, 2, 3, 4], 1), ModelErrorCode.invalidOption);
  });
});

describe("seasonalityTest", () => {
  it("calls a series with a daily cycle seasonal at period 24", () => {
    const { values } = seasonalSeries({ length: 24 * 10, seed: 1, weeklyAmplitude: 0, noiseSd: 5 });
    const result = seasonalityTest(values, 24);
    expect(result.seasonal).toBe(true);
    expect(result.statistic).toBeGreaterThan(result.limit);
  });

  it("calls white noise non-seasonal", () => {
    const decisions = [11, 12, 13, 14, 15].map(
      (seed) => seasonalityTest(whiteNoise(24 * 10, seed), 24).seasonal,
    );
    expect(decisions.filter(Boolean).length).toBeLessThanOrEqual(1);
    expect(seasonalityTest(whiteNoise(240, 11), 24).seasonal).toBe(false);
  });

  it("does not run on series shorter than three periods, nor on constant ones", () => {
    const { values } = seasonalSeries({ length: 70, seed: 2 });
    expect(seasonalityTest(values, 24).skipped).toMatch(/length 70 < 72/);
    expect(seasonalityTest(new Array<number>(100).fill(3), 12).seasonal).toBe(false);
    expect(seasonalityTest(values, 24, { minLength: 49 }).skipped).toBeUndefined();
  });

  it("computes autocorrelations as R's acf", () => {
    // acf(c(1, 3, 2, 5, 4), lag.max = 3, plot = FALSE) gives 0, 0.1, -0.4 at lags 1..3
    const r = sampleAutocorrelations([1, 3, 2, 5, 4], 3);
    expect(r[0]).toBeCloseTo(0, 12);
    expect(r[1]).toBeCloseTo(0.1, 12);
    expect(r[2]).toBeCloseTo(-0.4, 12);
  });
});

describe("multiplicativeAdjustment", () => {
  it("leaves series with values ≤ 0 unadjusted and says so", () => {
    const { values } = seasonalSeries({ length: 240, seed: 3, level: 0, weeklyAmplitude: 0 });
    const result = multiplicativeAdjustment(values, 24);
    expect(result.seasonal).toBe(false);
    expect(result.cycleIndices.every((s) => s === 1)).toBe(true);
    expect(result.notes.join(" ")).toMatch(/values ≤ 0/);
  });
});

describe("stl", () => {
  it("matches R's stl(s.window = 7) on the reference series", () => {
    const result = stl(ref.stlInput, { period: 12, seasonalWindow: 7 });
    expect(maxAbsDiff(result.seasonal, ref.stlSeasonal)).toBeLessThan(1e-8);
    expect(maxAbsDiff(result.trend, ref.stlTrend)).toBeLessThan(1e-8);
    expect(
      maxAbsDiff(
        result.remainder,
        ref.stlInput.map((x, i) => x - (ref.stlSeasonal[i] ?? 0) - (ref.stlTrend[i] ?? 0)),
      ),
    ).toBeLessThan(1e-8);
  });

  it("resolves R's default windows", () => {
    expect(nextOdd(24)).toBe(25);
    expect(nextOdd(43)).toBe(43);
    const result = stl(ref.stlInput, { period: 12, seasonalWindow: 7 });
    // t.window = nextodd(ceiling(1.5 · 12 / (1 − 1.5 / 7))) = nextodd(23) = 23
    expect(result.windows).toEqual({ seasonal: 7, trend: 23, lowPass: 13 });
  });

  it("keeps a constant seasonal pattern with a periodic window", () => {
    const { values } = seasonalSeries({ length: 24 * 6, seed: 4, weeklyAmplitude: 0 });
    const result = stl(values, { period: 24, seasonalWindow: "periodic" });
    for (let i = 24; i < values.length; i++)
      expect(result.seasonal[i]).toBeCloseTo(result.seasonal[i - 24] ?? 0, 10);
  });

  it("leaves an isolated outlier in the remainder when robust", () => {
    const { values } = seasonalSeries({ length: 24 * 14, seed: 5, weeklyAmplitude: 0 });
    values[100] = (values[100] ?? 0) + 50;
    const robust = stl(values, { period: 24, seasonalWindow: 11, robust: true });
    const plain = stl(values, { period: 24, seasonalWindow: 11 });
    expect(robust.weights[100]).toBe(0);
    expect(robust.remainder[100]).toBeGreaterThan(45);
    expect(robust.remainder[100]).toBeGreaterThan(plain.remainder[100] ?? 0);
    expect(plain.weights.every((w) => w === 1)).toBe(true);
  });

  it("refuses two periods or fewer, and missing values", () => {
    expectModelError(
      () => stl(new Array<number>(48).fill(1), { period: 24, seasonalWindow: 7 }),
      ModelErrorCode.insufficientData,
    );
    expectModelError(
      () => stl([...new Array<number>(60).fill(1), Number.NaN], { period: 24, seasonalWindow: 7 }),
      ModelErrorCode.invalidOption,
    );
    expectModelError(
      () => stl(new Array<number>(60).fill(1), { period: 24, seasonalWindow: 0 }),
      ModelErrorCode.invalidOption,
    );
  });
});

describe("mstl", () => {
  it("matches R's forecast::mstl on the reference series", () => {
    const result = mstl(ref.mstlInput, { periods: [168, 24] });
    const at = (series: readonly number[]): number[] => ref.mstlIndex.map((i) => series[i] ?? Number.NaN);
    expect(result.seasonals.map((s) => s.period)).toEqual([24, 168]);
    expect(maxAbsDiff(at(result.trend), ref.mstlTrend)).toBeLessThan(1e-7);
    expect(maxAbsDiff(at(result.seasonals[0]!.values), ref.mstlSeasonal24)).toBeLessThan(1e-7);
    expect(maxAbsDiff(at(result.seasonals[1]!.values), ref.mstlSeasonal168)).toBeLessThan(1e-7);
  });

  it("recovers a known daily and weekly structure on synthetic hourly data", () => {
    const series = seasonalSeries({ length: 24 * 7 * 5, seed: 6, slopePerStep: 0.02, noiseSd: 1 });
    const result = mstl(series.values, { periods: [24, 168] });
    const daily = result.seasonals[0]!.values;
    const weekly = result.seasonals[1]!.values;
    // Amplitudes are 20 (daily) and 10 (weekly); errors should be a small fraction of them.
    expect(rmse(daily, series.daily)).toBeLessThan(2);
    expect(rmse(weekly, series.weekly)).toBeLessThan(2);
    expect(rmse(result.trend, series.trend)).toBeLessThan(2);
    const sum = result.trend.map(
      (t, i) => t + (daily[i] ?? 0) + (weekly[i] ?? 0) + (result.remainder[i] ?? 0),
    );
    expect(maxAbsDiff(sum, series.values)).toBeLessThan(1e-9);
  });

  it("drops a period with two cycles or fewer of data, and notes it", () => {
    const { values } = seasonalSeries({ length: 300, seed: 7 });
    const result = mstl(values, { periods: [24, 168] });
    expect(result.seasonals.map((s) => s.period)).toEqual([24]);
    expect(result.droppedPeriods).toEqual([168]);
    expect(result.notes.join(" ")).toMatch(/dropped period\(s\) 168/);
  });

  it("returns the series as trend when no period fits", () => {
    const values = [1, 2, 3, 4, 5];
    const result = mstl(values, { periods: [24] });
    expect(result.seasonals).toEqual([]);
    expect(result.trend).toEqual(values);
    expect(result.remainder).toEqual([0, 0, 0, 0, 0]);
  });

  it("rejects a period below 2", () => {
    expectModelError(() => mstl([1, 2, 3], { periods: [1] }), ModelErrorCode.invalidOption);
  });
});
