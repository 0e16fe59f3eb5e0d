import { describe, expect, it } from "vitest";
import { ModelError } from "../../models/errors.js";
import type { ModelState } from "../../models/forecaster.js";
import { fitSes, SES_ALPHA_MAX, sesAtAlpha } from "../../models/theta/fit-ses.js";
import { leastSquaresSlope, restoreTheta, ThetaForecaster } from "../../models/theta/theta-forecaster.js";
import { seasonalReference as ref } from "../support/seasonal-r-reference.js";
import { seasonalSeries, whiteNoise } from "../support/seasonal-series.js";

const series = (values: readonly number[]) => ({ values, stepSeconds: 3600 });
const maxRelative = (a: readonly number[], b: readonly number[]): number =>
  a.reduce((worst, x, i) => Math.max(worst, Math.abs(x - b[i]!) / Math.abs(b[i]!)), 0);

describe("ThetaForecaster", () => {
  it("matches R's thetaf on a seasonal series (multiplicative adjustment, SES, half drift)", () => {
    const fitted = new ThetaForecaster({ period: 12 }).fit(series(ref.thetaInput));
    const forecast = fitted.predict(24, { levels: [95] });
    expect(fitted.notes.join(" ")).toMatch(/seasonal at period 12/);
    expect(maxRelative(forecast.mean, ref.thetaMean)).toBeLessThan(1e-5);
    expect(maxRelative(forecast.intervals[0]!.upper, ref.thetaUpper95)).toBeLessThan(1e-4);
  });

  it("matches R's thetaf on a non-seasonal trending series", () => {
    const forecast = new ThetaForecaster().fit(series(ref.thetaTrendInput)).predict(10, { levels: [95] });
    expect(maxRelative(forecast.mean, ref.thetaTrendMean)).toBeLessThan(1e-5);
    expect(maxRelative(forecast.intervals[0]!.upper, ref.thetaTrendUpper95)).toBeLessThan(1e-4);
  });

  it("recovers a linear trend and extrapolates it at half the slope, as the Theta method does", () => {
    const slope = 2;
    const noise = whiteNoise(200, 31);
    const values = noise.map((e, t) => 10 + slope * t + e);
    const fitted = new ThetaForecaster().fit(series(values));
    expect(fitted.toJSON().drift).toBeCloseTo(slope / 2, 2);
    const mean = fitted.predict(20).mean;
    for (let h = 1; h < 20; h++) expect(mean[h]! - mean[h - 1]!).toBeCloseTo(slope / 2, 2);
    expect(Math.abs(mean[0]! - (values[199]! + slope / 2))).toBeLessThan(3);
  });

  it("handles missing, short and flat series without NaN output", () => {
    const withGaps = seasonalSeries({ length: 24 * 6, seed: 32 }).values.map((x, i) =>
      i % 13 === 0 ? Number.NaN : x,
    );
    for (const values of [withGaps, [4, 5], [3], new Array<number>(80).fill(2.5)]) {
      const forecast = new ThetaForecaster({ period: 24 }).fit(series(values)).predict(30);
      expect(forecast.mean.every(Number.isFinite)).toBe(true);
      expect(
        forecast.intervals.every((i) => i.lower.every(Number.isFinite) && i.upper.every(Number.isFinite)),
      ).toBe(true);
    }
    expect(new ThetaForecaster().fit(series(new Array<number>(80).fill(2.5))).predict(3).mean).toEqual([
      2.5, 2.5, 2.5,
    ]);
    expect(() => new ThetaForecaster().fit(series([]))).toThrow(ModelError);
    expect(() => new ThetaForecaster({ period: 1.5 })).toThrow(/period \(1.5\) must be an integer ≥ 1/);
  });

  it("round-trips through JSON and advances the level on update", () => {
    const { values } = seasonalSeries({ length: 24 * 8, seed: 33, weeklyAmplitude: 0, level: 200 });
    const fitted = new ThetaForecaster({ period: 24 }).fit(series(values.slice(0, 24 * 7)));
    const restored = restoreTheta(JSON.parse(JSON.stringify(fitted.toJSON())) as ModelState);
    expect(restored.predict(48)).toEqual(fitted.predict(48));
    const state = fitted.toJSON();
    const newValue = values[24 * 7]!;
    const updated = restored.update([newValue]).toJSON();
    const expectedLevel = state.level + state.alpha * (newValue / state.cycleIndices[0]! - state.level);
    expect(updated.level).toBeCloseTo(expectedLevel, 9);
    expect(updated.cycleIndices[0]).toBe(state.cycleIndices[1]);
    expect(updated.length).toBe(state.length + 1);
    expect(restored.update([Number.NaN]).toJSON().level).toBe(state.level);
    expect(() => restoreTheta({ kind: "theta", version: 1, period: 2 })).toThrow(/not a theta state/);
  });
});

describe("fitSes", () => {
  it("finds the least-squares α and initial level", () => {
    const values = whiteNoise(150, 34, 50, 2).map((x, t) => x + (t > 75 ? 10 : 0));
    const fit = fitSes(values);
    for (const alpha of [0.01, 0.05, 0.1, 0.2, 0.4, 0.8, SES_ALPHA_MAX]) {
      expect(fit.sse).toBeLessThanOrEqual(sesAtAlpha(values, alpha).sse + 1e-9);
    }
    const nudged = [fit.initialLevel - 0.5, fit.initialLevel + 0.5];
    for (const level0 of nudged) {
      let level = level0;
      let sse = 0;
      for (const y of values) {
        sse += (y - level) ** 2;
        level += fit.alpha * (y - level);
      }
      expect(sse).toBeGreaterThan(fit.sse);
    }
  });

  it("computes the least-squares slope on time", () => {
    expect(leastSquaresSlope([1, 3, 5, 7])).toBeCloseTo(2, 12);
    expect(leastSquaresSlope([4])).toBe(0);
  });
});
