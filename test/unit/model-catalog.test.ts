import { beforeAll, describe, expect, it } from "vitest";
import { initLstmBackend } from "../../models/lstm/lstm-backend.js";
import { SeededRandom } from "../../models/math/seeded-random.js";
import {
  createForecaster,
  MODEL_NAMES,
  seasonalPeriods,
  stepSecondsForSeason,
  type ModelContext,
} from "../../training/model-catalog.js";
import { restoreModel } from "../../training/restore-model.js";
import { syntheticWorkload } from "../../src/sources/synthetic-workload.js";

/**
 * A small LSTM (3 daily chunks, 8 units, few epochs): these tests check the catalog contract of every
 * model, not LSTM accuracy (bench:forecast measures that), and full-size networks made this file take
 * over a minute.
 */
const hourly: ModelContext = {
  period: 24,
  horizonSteps: 24,
  stepSeconds: 3600,
  lstm: { chunks: 3, hiddenSize: 8, maxEpochs: 6, patience: 2, windowsPerEpoch: 256 },
};

function hourlyWorkload(): number[] {
  return syntheticWorkload({ stepSeconds: 3600, days: 21, seed: 7 }).values.slice();
}

function expectFiniteForecast(values: readonly number[], name: string, horizon = 24): void {
  const forecast = createForecaster(name, hourly)
    .fit({ values, stepSeconds: 3600 })
    .predict(horizon, { levels: [80, 95] });
  expect(forecast.mean).toHaveLength(horizon);
  expect(forecast.mean.every(Number.isFinite)).toBe(true);
  for (const interval of forecast.intervals) {
    expect(interval.lower.every(Number.isFinite)).toBe(true);
    expect(interval.upper.every(Number.isFinite)).toBe(true);
    interval.lower.forEach((low, h) => {
      expect(low).toBeLessThanOrEqual((interval.upper[h] ?? -Infinity) + 1e-9);
    });
  }
}

describe("model catalog", () => {
  beforeAll(async () => {
    // As the CLI does: the fastest backend here (wasm when tfjs-node is absent), not the JS default.
    await initLstmBackend();
  });

  it("adds the calendar cycles that fit the sampling interval", () => {
    expect(seasonalPeriods(hourly)).toEqual([24, 168]);
    expect(seasonalPeriods({ period: 96, horizonSteps: 4, stepSeconds: 900 })).toEqual([96, 672]);
    expect(seasonalPeriods({ period: 1, horizonSteps: 13, stepSeconds: 604_800 })).toEqual([52]);
    expect(seasonalPeriods({ period: 7, horizonSteps: 14, stepSeconds: 86_400 })).toEqual([7, 365]);
    expect(seasonalPeriods({ period: 1, horizonSteps: 6, stepSeconds: 365.25 * 86_400 })).toEqual([]);
  });

  it("infers the sampling interval from M4's season and horizon pairs", () => {
    expect(stepSecondsForSeason(24, 48)).toBe(3600);
    expect(stepSecondsForSeason(1, 13)).toBe(604_800);
    expect(stepSecondsForSeason(1, 14)).toBe(86_400);
    expect(stepSecondsForSeason(96, 4)).toBe(900);
  });

  describe.each(MODEL_NAMES)("%s", (name) => {
    it("round-trips through JSON and predicts the same", () => {
      const fitted = createForecaster(name, hourly).fit({ values: hourlyWorkload(), stepSeconds: 3600 });
      // The small network still trains on three weeks of data: a fallback would not test the LSTM.
      if (name === "lstm" || name === "lstm-global")
        expect(fitted.name).toMatch(/^lstm(-global)?\(3x24,h8\)$/);
      const restored = restoreModel(
        JSON.parse(JSON.stringify(fitted.toJSON())) as ReturnType<typeof fitted.toJSON>,
      );
      expect(restored.predict(36)).toEqual(fitted.predict(36));
    });

    it("forecasts finite values with ordered intervals through NaN gaps", () => {
      const values = hourlyWorkload();
      for (let i = 100; i < 130; i++) values[i] = Number.NaN;
      values[values.length - 1] = Number.NaN;
      expectFiniteForecast(values, name);
    });

    it("handles zeros, a flat series and short histories without NaN", () => {
      const random = new SeededRandom(3);
      const sparse = Array.from({ length: 300 }, () =>
        random.next() < 0.7 ? 0 : Math.round(random.next() * 5),
      );
      expectFiniteForecast(sparse, name);
      expectFiniteForecast(new Array<number>(200).fill(42), name);
      expectFiniteForecast([5, 7, 6], name);
      expectFiniteForecast([9], name, 5);
    });

    it("advances with update() instead of refitting", () => {
      const values = hourlyWorkload();
      const fitted = createForecaster(name, hourly).fit({ values: values.slice(0, -24), stepSeconds: 3600 });
      const advanced = fitted.update(values.slice(-24));
      const forecast = advanced.predict(24);
      expect(forecast.mean.every(Number.isFinite)).toBe(true);
      expect(advanced.toJSON()).not.toEqual(fitted.toJSON());
    });
  });
});

describe("seasonal naive update", () => {
  it("keeps the seasonal phase when new values are missing", () => {
    const fitted = createForecaster("snaive", { period: 4, horizonSteps: 4, stepSeconds: 21_600 }).fit({
      values: [1, 2, 3, 4, 1, 2, 3, 4],
      stepSeconds: 21_600,
    });
    const advanced = fitted.update([10, Number.NaN]);
    expect(advanced.predict(4).mean).toEqual([3, 4, 10, 2]);
  });
});
