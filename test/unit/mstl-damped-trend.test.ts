import { describe, expect, it } from "vitest";
import {
  DampedTrendForecaster,
  restoreDampedTrend,
} from "../../models/multi-seasonal/damped-trend-forecaster.js";
import type { ModelState } from "../../models/forecaster.js";
import { whiteNoise } from "../support/seasonal-series.js";

const series = (values: readonly number[]) => ({ values, stepSeconds: 60 });

describe("DampedTrendForecaster", () => {
  it("follows a noisy linear trend and damps it at long horizons", () => {
    const values = whiteNoise(300, 61).map((e, t) => 1000 + 3 * t + e);
    const fitted = new DampedTrendForecaster().fit(series(values));
    const mean = fitted.predict(200).mean;
    expect(mean[0]).toBeGreaterThan(values[299]!);
    expect(Math.abs(mean[0]! - (1000 + 3 * 300))).toBeLessThan(5);
    const early = mean[1]! - mean[0]!;
    const late = mean[199]! - mean[198]!;
    expect(early).toBeGreaterThan(1.5);
    expect(late).toBeLessThan(early);
  });

  it("fits the level of a noisy flat series with little slope", () => {
    const values = whiteNoise(200, 62, 50, 1);
    const mean = new DampedTrendForecaster().fit(series(values)).predict(24).mean;
    mean.forEach((m) => {
      expect(Math.abs(m - 50)).toBeLessThan(1);
    });
  });

  it("is unaffected by a large offset (fits around the first value)", () => {
    const values = whiteNoise(200, 63).map((e, t) => 1e9 + 0.5 * t + 0.1 * e);
    const shifted = values.map((x) => x - 1e9);
    const a = new DampedTrendForecaster().fit(series(values)).predict(5).mean;
    const b = new DampedTrendForecaster().fit(series(shifted)).predict(5).mean;
    a.forEach((x, i) => {
      expect(x - 1e9).toBeCloseTo(b[i]!, 3);
    });
  });

  it("widens intervals with the horizon and round-trips through JSON", () => {
    const values = whiteNoise(120, 64, 10, 2);
    const fitted = new DampedTrendForecaster().fit(series(values));
    const forecast = fitted.predict(30, { levels: [90] });
    const width = (h: number): number => forecast.intervals[0]!.upper[h]! - forecast.intervals[0]!.lower[h]!;
    expect(width(29)).toBeGreaterThanOrEqual(width(0));
    expect(width(0)).toBeGreaterThan(0);
    const restored = restoreDampedTrend(JSON.parse(JSON.stringify(fitted.toJSON())) as ModelState);
    expect(restored.predict(30, { levels: [90] })).toEqual(forecast);
    expect(() => restoreDampedTrend({ kind: "drift", version: 1 })).toThrow(/not a damped-trend state/);
  });

  it("runs the smoothing recursions on update, treating missing values as on-forecast", () => {
    const values = whiteNoise(100, 65, 20, 1);
    const fitted = new DampedTrendForecaster().fit(series(values));
    const { alpha, beta, phi, level, slope } = fitted.toJSON();
    const y = 25;
    const forecast = level + phi * slope;
    const updated = fitted.update([y]).toJSON();
    expect(updated.level).toBeCloseTo(forecast + alpha * (y - forecast), 12);
    expect(updated.slope).toBeCloseTo(phi * slope + beta * (y - forecast), 12);
    const skipped = fitted.update([Number.NaN]).toJSON();
    expect(skipped.level).toBeCloseTo(forecast, 12);
  });

  it("falls back to naive below three observations", () => {
    const fitted = new DampedTrendForecaster().fit(series([4, 6]));
    expect(fitted.predict(3).mean).toEqual([6, 6, 6]);
    expect(fitted.notes.join(" ")).toMatch(/fell back to naive/);
  });
});
