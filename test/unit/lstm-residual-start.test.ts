import { beforeAll, describe, expect, it } from "vitest";
import type { FittedModel } from "../../models/forecaster.js";
import { FittedLstm, type LstmState } from "../../models/lstm/fitted-lstm.js";
import { GlobalLstmForecaster } from "../../models/lstm/global-lstm-forecaster.js";
import { initLstmBackend } from "../../models/lstm/lstm-backend.js";
import { LstmForecaster } from "../../models/lstm/lstm-forecaster.js";
import { forwardLstm, initialWeights } from "../../models/lstm/lstm-network.js";
import type { LstmForecasterOptions } from "../../models/lstm/lstm-options.js";
import { scale, unscale } from "../../models/lstm/lstm-windows.js";
import { SeededRandom } from "../../models/math/seeded-random.js";
import { restoreModel } from "../../training/restore-model.js";

/** Tiny network and few epochs: these tests check behaviour, not accuracy at scale. */
const small: LstmForecasterOptions = {
  period: 24,
  horizonSteps: 24,
  chunks: 3,
  hiddenSize: 8,
  maxEpochs: 8,
  patience: 3,
  learningRate: 0.01,
  seed: 7,
};

function lstmState(model: FittedModel): LstmState {
  if (!(model instanceof FittedLstm)) throw new Error(`expected a fitted LSTM, got ${model.name}`);
  return model.toJSON();
}

/** A daily profile whose night hours are a small share of the daily mean, with multiplicative noise. */
function peaky(length: number, seed: number): number[] {
  const random = new SeededRandom(seed);
  return Array.from({ length }, (_, i) => {
    const hour = i % 24;
    const profile = hour >= 8 && hour < 20 ? 1000 : 5;
    return profile * Math.exp(0.15 * random.normal());
  });
}

describe("LSTM residual on a seasonal-naive skip", () => {
  beforeAll(async () => {
    await initLstmBackend();
  });

  it("starts as exactly seasonal naive: the untrained output layer adds nothing to the skip", () => {
    const shape = {
      sequenceLength: 3,
      inputSize: 26,
      hiddenSize: 8,
      skipSize: 72,
      skipPhase: 24,
      outputSize: 48,
    };
    const weights = initialWeights(shape, 42);
    const random = new SeededRandom(1);
    const sequence = Float32Array.from({ length: 3 * 26 }, () => random.normal());
    const skip = Float32Array.from({ length: 72 }, () => random.normal());
    const output = forwardLstm(shape, weights, sequence, skip);
    // Step k (0-based) of the horizon copies the last observed value in its phase: skip[48 + k mod 24].
    const seasonalNaive = Array.from({ length: 48 }, (_, k) => skip[48 + (k % 24)] ?? Number.NaN);
    expect(Array.from(output)).toEqual(seasonalNaive);
  });

  it("keeps seasonal naive when training never beats it on the validation windows", () => {
    // An exactly repeating day: seasonal naive has zero validation error, which no trained epoch beats.
    const day = Array.from({ length: 24 }, (_, h) => 100 + 60 * Math.sin((2 * Math.PI * h) / 24) + (h % 5));
    const values = Array.from({ length: 24 * 14 }, (_, i) => day[i % 24] ?? 0);
    const fitted = new LstmForecaster(small).fit({ values, stepSeconds: 3600 });
    const state = lstmState(fitted);
    expect(state.training.bestEpoch).toBe(0);
    expect(state.training.epochs).toBeGreaterThan(0);
    expect(state.training.validationLoss).toBe(0);
    const forecast = fitted.predict(48).mean;
    forecast.forEach((value, h) => {
      expect(Math.abs(value - (day[h % 24] ?? 0))).toBeLessThan(1e-4 * (day[h % 24] ?? 1));
    });
  });

  it("scales positive series on the log scale, so forecasts and interval bounds stay positive", () => {
    expect(scale(50, 100, true)).toBeCloseTo(Math.log(0.5), 12);
    expect(unscale(scale(50, 100, true), 100, true)).toBeCloseTo(50, 9);
    expect(scale(50, 100)).toBe(-0.5);
    // A value ≤ 0 reads as 0.1% of the level; forecasts and bands stay within 21 × the level.
    expect(scale(0, 100, true)).toBeCloseTo(Math.log(1e-3), 12);
    expect(unscale(1000, 100, true)).toBeCloseTo(2100, 6);

    const values = peaky(24 * 14, 3);
    const fitted = new LstmForecaster(small).fit({ values, stepSeconds: 3600 });
    expect(lstmState(fitted).layout.logScale).toBe(true);
    const forecast = fitted.predict(48, { levels: [80, 95] });
    expect(forecast.mean.every((value) => value > 0)).toBe(true);
    for (const interval of forecast.intervals) {
      expect(interval.lower.every((value) => value > 0)).toBe(true);
    }
    // Night hours (5 ± noise) are forecast near 5, not near a share of the daily mean (~500).
    const nights = forecast.mean.filter((_, h) => h % 24 < 8 || h % 24 >= 20);
    expect(Math.max(...nights)).toBeLessThan(20);

    const restored = restoreModel(JSON.parse(JSON.stringify(fitted.toJSON())) as LstmState);
    expect(restored.predict(48, { levels: [80, 95] })).toEqual(forecast);
  });

  it("uses the linear scale when a value is ≤ 0, and can be told not to use the log scale", () => {
    const values = peaky(24 * 14, 4);
    values[30] = 0;
    expect(lstmState(new LstmForecaster(small).fit({ values, stepSeconds: 3600 })).layout.logScale).toBe(
      undefined,
    );
    const linear = new LstmForecaster({ ...small, logScale: false }).fit({
      values: peaky(24 * 14, 5),
      stepSeconds: 3600,
    });
    expect(lstmState(linear).layout.logScale).toBe(undefined);
  });

  it("falls back to seasonal naive for a series with values ≤ 0 on a global network trained on the log scale", () => {
    const forecaster = new GlobalLstmForecaster(small, [
      { values: peaky(24 * 14, 6), stepSeconds: 3600 },
      { values: peaky(24 * 14, 7), stepSeconds: 3600 },
    ]);
    expect(forecaster.train()?.layout.logScale).toBe(true);
    const values = peaky(24 * 10, 8);
    values[values.length - 30] = -1;
    const forecast = forecaster.fit({ values, stepSeconds: 3600 }).predict(24);
    expect(forecast.model).toBe("snaive(24)");
    expect(forecast.notes.join(" ")).toMatch(/trained on the log scale.*values ≤ 0.*fell back to snaive/);
  });

  it("gives calendar phase features only to series with a start time", () => {
    const startMs = Date.UTC(2026, 0, 5, 0);
    const values = peaky(24 * 14, 9);
    const withoutStart = new LstmForecaster(small).fit({ values, stepSeconds: 3600 });
    expect(lstmState(withoutStart).layout.phasePeriods).toEqual([]);
    const withStart = new LstmForecaster(small).fit({ values, stepSeconds: 3600, startMs });
    expect(lstmState(withStart).layout.phasePeriods).toEqual([24]);

    const pool = [peaky(24 * 14, 10), peaky(24 * 14, 11)];
    const undated = new GlobalLstmForecaster(
      small,
      pool.map((v) => ({ values: v, stepSeconds: 3600 })),
    );
    expect(undated.train()?.layout.phasePeriods).toEqual([]);
    const dated = new GlobalLstmForecaster(
      small,
      pool.map((v) => ({ values: v, stepSeconds: 3600, startMs })),
    );
    expect(dated.train()?.layout.phasePeriods).toEqual([24]);
    const attached = dated.fit({ values: peaky(24 * 10, 12), stepSeconds: 3600 });
    expect(attached.notes.join(" ")).toMatch(/trained with calendar phases.*no start time/);
  });

  it("marks log-scaled states as version 2, and refuses states newer than it reads", () => {
    const values = peaky(24 * 14, 3);
    const logScaled = lstmState(new LstmForecaster(small).fit({ values, stepSeconds: 3600 }));
    expect(logScaled.version).toBe(2);
    const linear = lstmState(
      new LstmForecaster({ ...small, logScale: false }).fit({ values, stepSeconds: 3600 }),
    );
    expect(linear.version).toBe(1);
    expect(() => restoreModel({ ...logScaled, version: 3 })).toThrow(
      /version 3 is newer than this presage reads/,
    );
  });

  it("keeps forecasts finite and bounded when a zero arrives after a log-scale fit", () => {
    const values = peaky(24 * 14, 3);
    const fitted = new LstmForecaster(small).fit({ values, stepSeconds: 3600 });
    const updated = fitted.update([0, 0, 0]);
    const forecast = updated.predict(48, { levels: [95] });
    const level = values.slice(-24).reduce((sum, value) => sum + value, 0) / 24;
    for (const value of [...forecast.mean, ...forecast.intervals.flatMap((band) => band.upper)]) {
      expect(Number.isFinite(value)).toBe(true);
      expect(value).toBeLessThanOrEqual(21 * level * 1.5);
    }
  });
});
