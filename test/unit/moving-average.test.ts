import { describe, expect, it } from "vitest";
import { MovingAverageForecaster, restoreMovingAverage } from "../../models/baseline/moving-average.js";
import { ModelError } from "../../models/errors.js";
import type { ModelState } from "../../models/forecaster.js";
import { SeededRandom } from "../../models/math/seeded-random.js";
import { restoreModel } from "../../training/restore-model.js";

const perMinute = (values: number[]) => ({ values, stepSeconds: 60 });

/** A level that wanders slowly (random walk with small steps) under large white noise. */
function noisyLevel(length: number, seed: number, noise: number, drift: number): number[] {
  const random = new SeededRandom(seed);
  let level = 100;
  return Array.from({ length }, () => {
    level += drift * random.normal();
    return level + noise * random.normal();
  });
}

describe("MovingAverageForecaster", () => {
  it("averages long windows under heavy noise and short ones when the level moves", () => {
    const quiet = new MovingAverageForecaster({ horizonSteps: 10 }).fit(
      perMinute(noisyLevel(3000, 1, 10, 0.05)),
    );
    const moving = new MovingAverageForecaster({ horizonSteps: 10 }).fit(
      perMinute(noisyLevel(3000, 2, 0.5, 3)),
    );
    const windowOf = (name: string) => Number(/\((\d+)\)/.exec(name)?.[1]);
    expect(windowOf(quiet.name)).toBeGreaterThanOrEqual(64);
    expect(windowOf(moving.name)).toBeLessThanOrEqual(3);
  });

  it("forecasts the mean of the chosen window, flat, with intervals from the measured errors", () => {
    const values = noisyLevel(2000, 3, 8, 0.1);
    const fitted = new MovingAverageForecaster({ horizonSteps: 5, windows: [16] }).fit(perMinute(values));
    const expected = values.slice(-16).reduce((a, b) => a + b, 0) / 16;
    const forecast = fitted.predict(8, { levels: [80] });
    expect(forecast.mean).toHaveLength(8);
    for (const value of forecast.mean) expect(value).toBeCloseTo(expected, 9);
    const interval = forecast.intervals.find((i) => i.level === 80)!;
    // The noise is 8 per step: an 80% interval is about ±1.28 × 8 wide around the level.
    const halfWidth = (interval.upper[0] ?? 0) - expected;
    expect(halfWidth).toBeGreaterThan(1.28 * 8 * 0.9);
    expect(halfWidth).toBeLessThan(1.28 * 8 * 1.3);
    // Beyond the fitted horizon the interval keeps widening.
    expect((interval.upper[7] ?? 0) - expected).toBeGreaterThan((interval.upper[4] ?? 0) - expected);
  });

  it("beats the last value (naive) out of sample on a noisy level", () => {
    const values = noisyLevel(4000, 4, 10, 0.2);
    const train = values.slice(0, 3000);
    let fitted = new MovingAverageForecaster({ horizonSteps: 10 }).fit(perMinute(train));
    let maError = 0;
    let naiveError = 0;
    for (let origin = 3000; origin + 10 <= values.length; origin += 10) {
      const mean = fitted.predict(10).mean;
      const last = values[origin - 1] ?? 0;
      for (let h = 0; h < 10; h++) {
        const actual = values[origin + h] ?? 0;
        maError += Math.abs(actual - (mean[h] ?? 0));
        naiveError += Math.abs(actual - last);
      }
      fitted = fitted.update(values.slice(origin, origin + 10));
    }
    // Naive carries one noisy value (error sd 10·√2 + drift); the window averages the noise away.
    expect(maError).toBeLessThan(0.8 * naiveError);
  });

  it("update slides the window; missing values leave it alone", () => {
    const fitted = new MovingAverageForecaster({ horizonSteps: 2, windows: [3] }).fit(
      perMinute(Array.from({ length: 50 }, (_, i) => i % 5)),
    );
    const updated = fitted.update([10, Number.NaN, 20, 30]);
    expect(updated.predict(1).mean[0]).toBeCloseTo(20, 9);
    expect(updated.update([Number.NaN]).predict(1).mean[0]).toBeCloseTo(20, 9);
  });

  it("survives gaps in the training series and falls back to the overall mean when too short", () => {
    const gappy = noisyLevel(500, 5, 5, 0.1).map((v, i) => (i % 17 === 0 ? Number.NaN : v));
    const forecast = new MovingAverageForecaster({ horizonSteps: 4 }).fit(perMinute(gappy)).predict(4);
    expect(forecast.mean.every(Number.isFinite)).toBe(true);
    const short = new MovingAverageForecaster({ horizonSteps: 10 }).fit(perMinute([1, 2, 3, 4]));
    expect(short.predict(1).mean[0]).toBeCloseTo(2.5, 9);
    expect(short.notes.join(" ")).toMatch(/too short/);
  });

  it("serializes and restores to identical predictions; refuses a malformed state", () => {
    const fitted = new MovingAverageForecaster({ horizonSteps: 6 }).fit(
      perMinute(noisyLevel(800, 6, 4, 0.3)),
    );
    const state = JSON.parse(JSON.stringify(fitted.toJSON())) as ModelState;
    expect(restoreModel(state).predict(9, { levels: [90] })).toEqual(fitted.predict(9, { levels: [90] }));
    expect(() => restoreMovingAverage({ ...state, recent: [] })).toThrow(ModelError);
    expect(() => restoreMovingAverage({ ...state, rmse: "x" })).toThrow(ModelError);
  });

  it("rejects bad options", () => {
    expect(() => new MovingAverageForecaster({ horizonSteps: 0 })).toThrow(/horizonSteps/);
    expect(() => new MovingAverageForecaster({ horizonSteps: 3, windows: [2, 0] })).toThrow(/windows/);
    expect(() => new MovingAverageForecaster({ horizonSteps: 3, windows: [] })).toThrow(/windows/);
  });
});
