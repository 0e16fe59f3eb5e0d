import { describe, expect, it } from "vitest";
import { Naive2Forecaster, restoreNaive2 } from "../../models/baseline/naive2.js";
import { ModelError } from "../../models/errors.js";
import type { ModelState } from "../../models/forecaster.js";
import { m4DataPresent, readM4Wide } from "../support/seasonal-m4-reader.js";
import { seasonalSeries } from "../support/seasonal-series.js";

const hourly = (values: number[]) => ({ values, stepSeconds: 3600 });

describe("Naive2Forecaster", () => {
  it.skipIf(!m4DataPresent)(
    "reproduces the official M4 Naive2 forecasts for Hourly H1–H150 and Weekly W1–W200",
    () => {
      const sets = [
        { train: "Hourly-train-H1-H150.csv", bench: "Naive2-Hourly-H1-H150.csv", period: 24, horizon: 48 },
        { train: "Weekly-train-W1-W200.csv", bench: "Naive2-Weekly-W1-W200.csv", period: 1, horizon: 13 },
      ];
      for (const set of sets) {
        const train = readM4Wide(set.train);
        const official = readM4Wide(`benchmark_forecasts/${set.bench}`);
        expect(train.size).toBe(official.size);
        let worst = 0;
        for (const [id, values] of train) {
          const mean = new Naive2Forecaster(set.period).fit(hourly(values)).predict(set.horizon).mean;
          const expected = official.get(id)!;
          expect(mean).toHaveLength(expected.length);
          mean.forEach((x, i) => {
            const y = expected[i]!;
            worst = Math.max(worst, Math.abs(x - y) / Math.max(Math.abs(y), 1e-9));
          });
        }
        expect(worst).toBeLessThan(1e-6);
      }
    },
  );

  it("repeats the last adjusted value times the seasonal indices on a seasonal series", () => {
    const pattern = [1.3, 1.1, 0.9, 0.7];
    const values = Array.from({ length: 40 }, (_, t) => 100 * (pattern[t % 4] ?? 1));
    const forecast = new Naive2Forecaster(4).fit(hourly(values)).predict(8);
    forecast.mean.forEach((x, h) => {
      expect(x).toBeCloseTo(100 * (pattern[h % 4] ?? 0), 8);
    });
    expect(forecast.notes.join(" ")).toMatch(/seasonal at period 4/);
  });

  it("is the naive forecast when the series is not seasonal", () => {
    const values = [5, 7, 6, 8, 7, 9, 8, 10, 9, 11, 10, 12, 11, 13];
    const forecast = new Naive2Forecaster(4).fit(hourly(values)).predict(3);
    expect(forecast.mean).toEqual([13, 13, 13]);
  });

  it("widens reseasonalized intervals with the horizon", () => {
    const { values } = seasonalSeries({ length: 24 * 10, seed: 21, weeklyAmplitude: 0, noiseSd: 3 });
    const forecast = new Naive2Forecaster(24).fit(hourly(values)).predict(48, { levels: [80] });
    const interval = forecast.intervals[0]!;
    expect(interval.level).toBe(80);
    const width = (h: number): number => (interval.upper[h]! - interval.lower[h]!) / forecast.mean[h]!;
    expect(width(47)).toBeGreaterThan(width(0) * 5);
    forecast.mean.forEach((m, h) => {
      expect(interval.lower[h]).toBeLessThan(m);
      expect(interval.upper[h]).toBeGreaterThan(m);
    });
  });

  it("handles missing, short and flat series without NaN output", () => {
    const withGaps = seasonalSeries({ length: 24 * 6, seed: 22 }).values.map((x, i) =>
      i % 17 === 0 ? Number.NaN : x,
    );
    const cases = [withGaps, [Number.NaN, 4], [3], new Array<number>(100).fill(7)];
    for (const values of cases) {
      const forecast = new Naive2Forecaster(24).fit(hourly(values)).predict(30);
      expect(forecast.mean.every(Number.isFinite)).toBe(true);
      expect(
        forecast.intervals.every((i) => i.lower.every(Number.isFinite) && i.upper.every(Number.isFinite)),
      ).toBe(true);
    }
    expect(() => new Naive2Forecaster(24).fit(hourly([Number.NaN]))).toThrow(ModelError);
    expect(() => new Naive2Forecaster(0)).toThrow(/period \(0\) must be an integer ≥ 1/);
  });

  it("round-trips through JSON and rolls the seasonal cycle forward on update", () => {
    const { values } = seasonalSeries({ length: 24 * 8, seed: 23, weeklyAmplitude: 0 });
    const fitted = new Naive2Forecaster(24).fit(hourly(values.slice(0, 24 * 7)));
    const restored = restoreNaive2(JSON.parse(JSON.stringify(fitted.toJSON())) as ModelState);
    expect(restored.predict(24)).toEqual(fitted.predict(24));
    const next = values.slice(24 * 7, 24 * 7 + 5);
    const updated = restored.update(next);
    // After 5 steps the forecast for step 1 uses the index that was step 6 before.
    const before = fitted.predict(30).mean;
    const after = updated.predict(1).mean[0]!;
    const state = fitted.toJSON();
    const lastAdjusted = next[4]! / state.cycleIndices[4]!;
    expect(after).toBeCloseTo(lastAdjusted * state.cycleIndices[5]!, 9);
    expect(before[5]).not.toBeCloseTo(after, 9);
    expect(() => restoreNaive2({ kind: "theta", version: 1 })).toThrow(/not a naive2 state/);
  });
});
