import { describe, expect, it } from "vitest";
import { ModelError } from "../../models/errors.js";
import { lastLevelShift } from "../../models/long-horizon/last-level-shift.js";
import {
  FittedLongHorizon,
  LongHorizonForecaster,
  restoreLongHorizon,
} from "../../models/long-horizon/long-horizon-forecaster.js";
import { fitYearlyFourier } from "../../models/long-horizon/yearly-fourier.js";
import { SeededRandom } from "../../models/math/seeded-random.js";
import { createCapacityForecaster } from "../../training/capacity/capacity-forecaster.js";
import { restoreModel } from "../../training/restore-model.js";

const DAY = 86_400;

/** Trend + weekly + yearly cycles (multiplicative), noise, and a lasting 25% level drop at `shiftDay`. */
function syntheticDaily(length: number, seed: number, shiftDay = Math.floor(length * 0.6)): number[] {
  const random = new SeededRandom(seed);
  return Array.from({ length }, (_, t) => {
    const trend = 1000 * (1 + 0.0006 * t);
    const weekly = 1 + 0.08 * Math.sin((2 * Math.PI * t) / 7);
    const yearly =
      1 + 0.2 * Math.sin((2 * Math.PI * t) / 365.25) + 0.08 * Math.cos((4 * Math.PI * t) / 365.25);
    const shift = t >= shiftDay ? 0.75 : 1;
    return trend * weekly * yearly * shift * Math.exp(0.03 * random.normal());
  });
}

function windowMean(values: readonly number[], end: number): number {
  const window = values.slice(end - 7, end);
  return window.reduce((sum, v) => sum + v, 0) / window.length;
}

describe("LongHorizonForecaster", () => {
  it("learns trend, weekly and yearly cycles and a level shift: far closer than naive at 90 and 180 days", () => {
    let modelError = 0;
    let naiveError = 0;
    for (const seed of [1, 2, 3, 4]) {
      const values = syntheticDaily(1100 + 180, seed);
      const train = values.slice(0, 1100);
      const actual = values.slice(1100);
      const forecast = new LongHorizonForecaster().fit({ values: train, stepSeconds: DAY }).predict(180);
      const last = train[train.length - 1] ?? 0;
      for (const horizon of [90, 180]) {
        const truth = windowMean(actual, horizon);
        modelError += Math.abs(windowMean(forecast.mean, horizon) - truth) / truth;
        naiveError += Math.abs(last - truth) / truth;
      }
    }
    // The damped slope gives up part of a linear trend on purpose, so the bar is "clearly better".
    expect(modelError).toBeLessThan(0.7 * naiveError);
    expect(modelError / 8).toBeLessThan(0.05);
  });

  it("finds the yearly cycle in two and a half years of data and reports the level shift", () => {
    const fitted = new LongHorizonForecaster().fit({ values: syntheticDaily(900, 7, 600), stepSeconds: DAY });
    expect(fitted.notes.some((note) => note.startsWith("yearly cycle"))).toBe(true);
    expect(fitted.notes.some((note) => /level shift of -2\d% at day 60\d/.test(note))).toBe(true);
  });

  it("does not take a random walk's wander for a yearly cycle", () => {
    const random = new SeededRandom(5);
    let level = 1000;
    const walk = Array.from({ length: 1100 }, () => (level *= Math.exp(0.01 * random.normal())));
    const fit = fitYearlyFourier(walk.map(Math.log), 5);
    expect(fit?.crossYearR2).toBeLessThan(0.1);
    const fitted = new LongHorizonForecaster().fit({ values: walk, stepSeconds: DAY });
    expect(fitted.notes.some((note) => note.startsWith("no yearly cycle"))).toBe(true);
  });

  it("restores from JSON to a model that predicts exactly the same, also after update", () => {
    const values = syntheticDaily(800, 9);
    const fitted = createCapacityForecaster({ horizonDays: 90 }).fit({ values, stepSeconds: DAY });
    const state = JSON.parse(JSON.stringify(fitted.toJSON())) as ReturnType<FittedLongHorizon["toJSON"]>;
    const restored = restoreModel(state);
    expect(restored.predict(90, { levels: [80, 95] })).toEqual(fitted.predict(90, { levels: [80, 95] }));
    const next = [1500, Number.NaN, 1480];
    expect(restored.update(next).predict(30)).toEqual(fitted.update(next).predict(30));
    expect(fitted.update(next).predict(30).mean).not.toEqual(fitted.predict(30).mean);
  });

  it("repairs NaN gaps and says so", () => {
    const values = syntheticDaily(400, 11);
    for (let i = 100; i < 110; i++) values[i] = Number.NaN;
    const forecast = new LongHorizonForecaster().fit({ values, stepSeconds: DAY }).predict(30);
    expect(forecast.mean.every(Number.isFinite)).toBe(true);
    expect(forecast.notes).toContain("interpolated 10 missing of 400 samples");
  });

  it("falls back to naive, by name, on a series shorter than four weeks", () => {
    const fitted = new LongHorizonForecaster().fit({ values: [5, 6, Number.NaN, 7], stepSeconds: DAY });
    const forecast = fitted.predict(10);
    expect(fitted.name).toBe("long-horizon[naive]");
    expect(forecast.mean).toEqual(new Array<number>(10).fill(7));
    expect(forecast.notes.some((note) => /fell back to naive/.test(note))).toBe(true);
    expect(() => new LongHorizonForecaster().fit({ values: [Number.NaN], stepSeconds: DAY })).toThrow(
      ModelError,
    );
  });

  it("models series with zeros or negatives additively", () => {
    const values = Array.from(
      { length: 200 },
      (_, t) => -50 + 0.5 * t + 10 * Math.sin((2 * Math.PI * t) / 7),
    );
    const fitted = new LongHorizonForecaster().fit({ values, stepSeconds: DAY });
    expect(fitted.transform).toBe("identity");
    const forecast = fitted.predict(7);
    expect(forecast.mean[0]).toBeCloseTo(-50 + 0.5 * 200 + 10 * Math.sin((2 * Math.PI * 200) / 7), -1);
  });

  it("rejects an invalid state with a model error", () => {
    expect(() => restoreLongHorizon({ kind: "long-horizon", version: 1 })).toThrow(
      /not a long-horizon state/,
    );
  });
});

describe("lastLevelShift", () => {
  it("finds a lasting jump but not a one-week spike", () => {
    const random = new SeededRandom(3);
    const base = Array.from({ length: 364 }, () => 10 + 0.1 * random.normal());
    const shifted = base.map((v, t) => (t >= 210 ? v + 3 : v));
    expect(lastLevelShift(shifted)?.index).toBe(210);
    const spiked = base.map((v, t) => (t >= 210 && t < 217 ? v + 3 : v));
    expect(lastLevelShift(spiked)).toBeUndefined();
  });
});

describe("createCapacityForecaster", () => {
  it("calibrates 80% intervals from rolling-origin errors to roughly nominal coverage", () => {
    let inside = 0;
    let total = 0;
    for (const seed of [21, 22, 23, 24, 25, 26]) {
      const random = new SeededRandom(seed);
      let level = 0;
      const values = Array.from({ length: 1000 + 180 }, (_, t) => {
        level += 0.004 * random.normal() + 0.0003;
        return (
          500 *
          Math.exp(level) *
          (1 + 0.05 * Math.sin((2 * Math.PI * t) / 7)) *
          Math.exp(0.02 * random.normal())
        );
      });
      const forecast = createCapacityForecaster({ horizonDays: 180 })
        .fit({ values: values.slice(0, 1000), stepSeconds: DAY })
        .predict(180, { levels: [80] });
      const interval = forecast.intervals[0];
      values.slice(1000).forEach((actual, h) => {
        if (actual >= (interval?.lower[h] ?? Infinity) && actual <= (interval?.upper[h] ?? -Infinity))
          inside++;
        total++;
      });
    }
    expect(inside / total).toBeGreaterThan(0.6);
    expect(inside / total).toBeLessThan(0.99);
  });

  it("says so when the history is too short to backtest the horizon, and still forecasts", () => {
    const values = syntheticDaily(150, 31);
    const fitted = createCapacityForecaster({ horizonDays: 180 }).fit({ values, stepSeconds: DAY });
    const forecast = fitted.predict(180, { levels: [80] });
    expect(forecast.mean.every(Number.isFinite)).toBe(true);
    expect(forecast.intervals[0]?.upper.every(Number.isFinite)).toBe(true);
    expect(fitted.notes.some((note) => /too short to backtest 180-day forecasts/.test(note))).toBe(true);
  });

  it("rejects invalid options with the field and the rule", () => {
    expect(() => createCapacityForecaster({ horizonDays: 0 })).toThrow(
      /horizonDays \(0\) must be an integer ≥ 1/,
    );
  });
});
