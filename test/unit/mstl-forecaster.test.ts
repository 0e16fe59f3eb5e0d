import { describe, expect, it } from "vitest";
import { SeasonalNaiveForecaster } from "../../models/baseline/seasonal-naive.js";
import { DriftForecaster, restoreDrift } from "../../models/baseline/drift.js";
import { ModelError } from "../../models/errors.js";
import type { ModelState } from "../../models/forecaster.js";
import { restoreDampedTrend } from "../../models/multi-seasonal/damped-trend-forecaster.js";
import { MstlForecaster, restoreMstl } from "../../models/multi-seasonal/mstl-forecaster.js";
import { seasonalSeries } from "../support/seasonal-series.js";

const hourly = (values: readonly number[]) => ({ values, stepSeconds: 3600 });
const mae = (a: readonly number[], b: readonly number[]): number =>
  a.reduce((sum, x, i) => sum + Math.abs(x - b[i]!), 0) / a.length;

describe("MstlForecaster", () => {
  it("beats seasonal naive(24) on synthetic series with daily and weekly cycles", () => {
    let mstlError = 0;
    let snaiveError = 0;
    for (const seed of [41, 42, 43, 44, 45]) {
      const { values } = seasonalSeries({ length: 24 * 7 * 4 + 48, seed, slopePerStep: 0.01, noiseSd: 2 });
      const train = values.slice(0, -48);
      const test = values.slice(-48);
      mstlError += mae(new MstlForecaster({ periods: [24, 168] }).fit(hourly(train)).predict(48).mean, test);
      snaiveError += mae(new SeasonalNaiveForecaster(24).fit(hourly(train)).predict(48).mean, test);
    }
    expect(mstlError).toBeLessThan(0.35 * snaiveError);
  });

  it("names the periods kept, the transform and the adjusted model", () => {
    const { values } = seasonalSeries({ length: 24 * 7 * 3, seed: 46 });
    expect(new MstlForecaster({ periods: [168, 24] }).fit(hourly(values)).name).toBe(
      "mstl(24,168;log)+damped-trend",
    );
    const plain = new MstlForecaster({
      periods: [24],
      transform: "none",
      adjustedModel: new DriftForecaster(),
    });
    expect(plain.fit(hourly(values)).name).toBe("mstl(24)+drift");
  });

  it("shifts the adjusted model's intervals by the seasonal forecast", () => {
    const { values } = seasonalSeries({ length: 24 * 7 * 3, seed: 47, noiseSd: 3 });
    const fitted = new MstlForecaster({ periods: [24, 168], transform: "none" }).fit(hourly(values));
    const forecast = fitted.predict(48, { levels: [80, 95] });
    const seasonal = fitted.seasonalForecast(48);
    const [i80, i95] = forecast.intervals;
    forecast.mean.forEach((m, h) => {
      expect(i95!.lower[h]!).toBeLessThan(i80!.lower[h]!);
      expect(i80!.lower[h]!).toBeLessThan(m);
      expect(i95!.upper[h]! - m).toBeCloseTo(m - i95!.lower[h]!, 6);
    });
    // The daily swing of the forecast comes from the seasonal part.
    expect(Math.max(...seasonal) - Math.min(...seasonal)).toBeGreaterThan(40);
  });

  it("drops the weekly period when the history holds two weeks or less, and says so", () => {
    const { values } = seasonalSeries({ length: 24 * 10, seed: 48 });
    const fitted = new MstlForecaster({ periods: [24, 168] }).fit(hourly(values));
    expect(fitted.name).toBe("mstl(24;log)+damped-trend");
    expect(fitted.notes.join(" ")).toMatch(/dropped period\(s\) 168/);
    expect(fitted.predict(48).mean.every(Number.isFinite)).toBe(true);
  });

  it("handles missing, very short, flat and non-positive series without NaN output", () => {
    const withGaps = seasonalSeries({ length: 24 * 7 * 3, seed: 49 }).values.map((x, i) =>
      i % 11 === 0 ? Number.NaN : x,
    );
    const centred = seasonalSeries({ length: 24 * 7 * 3, seed: 50, level: 0 }).values;
    const cases = [withGaps, centred, [5, 6], [3], new Array<number>(400).fill(9)];
    for (const values of cases) {
      const forecast = new MstlForecaster({ periods: [24, 168] }).fit(hourly(values)).predict(48);
      expect(forecast.mean.every(Number.isFinite)).toBe(true);
      expect(
        forecast.intervals.every((i) => i.lower.every(Number.isFinite) && i.upper.every(Number.isFinite)),
      ).toBe(true);
    }
    const flat = new MstlForecaster({ periods: [24, 168] }).fit(hourly(new Array<number>(400).fill(9)));
    flat.predict(5).mean.forEach((m) => {
      expect(m).toBeCloseTo(9, 9);
    });
    const notes = new MstlForecaster({ periods: [24] }).fit(hourly(centred)).notes.join(" ");
    expect(notes).toMatch(/values ≤ 0 present: no log transform/);
    expect(new MstlForecaster({ periods: [24] }).fit(hourly(withGaps)).notes.join(" ")).toMatch(
      /interpolated/,
    );
  });

  it("rejects bad options with messages naming the field", () => {
    expect(() => new MstlForecaster({ periods: [] })).toThrow(/periods must name at least one/);
    expect(() => new MstlForecaster({ periods: [24, 0.5] })).toThrow(/periods contains 0.5/);
    expect(() => new MstlForecaster({ periods: [24], transform: "sqrt" as "log" })).toThrow(
      /transform \(sqrt\)/,
    );
    const negative = seasonalSeries({ length: 100, seed: 51, level: 0 }).values;
    expect(() => new MstlForecaster({ periods: [24], transform: "log" }).fit(hourly(negative))).toThrow(
      ModelError,
    );
  });

  it("round-trips through JSON with the nested adjusted state", () => {
    const { values } = seasonalSeries({ length: 24 * 7 * 3, seed: 52 });
    const fitted = new MstlForecaster({ periods: [24, 168] }).fit(hourly(values));
    const restored = restoreMstl(
      JSON.parse(JSON.stringify(fitted.toJSON())) as ModelState,
      restoreDampedTrend,
    );
    expect(restored.predict(48)).toEqual(fitted.predict(48));
    expect(restored.name).toBe(fitted.name);
    const withDrift = new MstlForecaster({ periods: [24], adjustedModel: new DriftForecaster() }).fit(
      hourly(values),
    );
    expect(restoreMstl(withDrift.toJSON(), restoreDrift).predict(10)).toEqual(withDrift.predict(10));
    expect(() => restoreMstl({ kind: "mstl", version: 1 }, restoreDampedTrend)).toThrow(/not an mstl state/);
  });

  it("updates the adjusted model with seasonally adjusted values and rolls the cycles forward", () => {
    const { values } = seasonalSeries({ length: 24 * 7 * 3 + 10, seed: 53, noiseSd: 0.5 });
    const history = values.slice(0, -10);
    const fitted = new MstlForecaster({
      periods: [24, 168],
      adjustedModel: new DriftForecaster(),
      transform: "none",
    }).fit(hourly(history));
    const seasonal = fitted.seasonalForecast(12);
    const updated = fitted.update(values.slice(-10));
    // Drift keeps its slope and moves its origin to the last adjusted value.
    const drift = fitted.toJSON().adjusted as ModelState & { slope: number };
    const lastAdjusted = values.at(-1)! - seasonal[9]!;
    const next = updated.predict(2).mean;
    expect(next[0]).toBeCloseTo(lastAdjusted + drift.slope + seasonal[10]!, 9);
    expect(next[1]).toBeCloseTo(lastAdjusted + 2 * drift.slope + seasonal[11]!, 9);
    expect(fitted.update([]).predict(3)).toEqual(fitted.predict(3));
  });
});
