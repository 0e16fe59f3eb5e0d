import { beforeAll, describe, expect, it } from "vitest";
import { SeasonalNaiveForecaster } from "../../models/baseline/seasonal-naive.js";
import {
  DeseasonalizedLstmForecaster,
  deseasonalize,
  FittedDeseasonalizedLstm,
} from "../../models/lstm/deseasonalized-lstm-forecaster.js";
import { initLstmBackend, lstmMemory } from "../../models/lstm/lstm-backend.js";
import { LstmForecaster } from "../../models/lstm/lstm-forecaster.js";
import { SeededRandom } from "../../models/math/seeded-random.js";
import { restoreModel } from "../../training/restore-model.js";

/** Daily and weekly cycles proportional to a slowly rising level, with 3% noise. */
function hourlyLoad(days: number, seed: number): number[] {
  const random = new SeededRandom(seed);
  return Array.from({ length: 24 * days }, (_, i) => {
    const level = 200 * (1 + i / 2000);
    const daily = 1 + 0.4 * Math.sin((2 * Math.PI * i) / 24);
    const weekly = Math.floor(i / 24) % 7 >= 5 ? 0.7 : 1;
    return level * daily * weekly * (1 + 0.03 * random.normal());
  });
}

function hybrid(): DeseasonalizedLstmForecaster {
  return new DeseasonalizedLstmForecaster({
    periods: [24, 168],
    adjustedModel: new LstmForecaster({
      period: 1,
      horizonSteps: 24,
      chunkSteps: 24,
      chunks: 3,
      hiddenSize: 8,
      maxEpochs: 10,
      patience: 3,
      phasePeriods: [24, 168],
      seed: 3,
    }),
  });
}

function meanAbsoluteError(actual: readonly number[], forecast: readonly number[]): number {
  return actual.reduce((sum, value, i) => sum + Math.abs(value - (forecast[i] ?? 0)), 0) / actual.length;
}

describe("deseasonalize", () => {
  it("divides positive series by their seasonal factors and puts them back exactly", () => {
    const values = hourlyLoad(28, 1);
    const result = deseasonalize(values, [24, 168]);
    expect(result.adjustment).toBe("multiplicative");
    expect(result.cycles.map((cycle) => cycle.period)).toEqual([24, 168]);
    // The adjusted series keeps the level but loses most of the daily swing.
    const swing = (series: readonly number[]): number =>
      Math.max(...series.slice(-24)) / Math.min(...series.slice(-24));
    expect(swing(result.adjusted)).toBeLessThan(1.25);
    expect(swing(values)).toBeGreaterThan(2);
  });

  it("subtracts the seasonal part when the series has zeros", () => {
    const values = hourlyLoad(28, 2).map((value, i) => (i % 50 === 0 ? 0 : value));
    const result = deseasonalize(values, [24, 168]);
    expect(result.adjustment).toBe("additive");
    expect(result.notes.join(" ")).toMatch(/additive seasonal adjustment/);
    expect(result.adjusted.every(Number.isFinite)).toBe(true);
  });
});

describe("DeseasonalizedLstmForecaster (mstl-lstm)", () => {
  beforeAll(async () => {
    await initLstmBackend();
  });

  it("forecasts a daily and weekly pattern far better than the naive forecast", () => {
    const values = hourlyLoad(35, 3);
    const train = values.slice(0, -24);
    const test = values.slice(-24);
    const forecast = hybrid()
      .fit({ values: train, stepSeconds: 3600 })
      .predict(24, { levels: [80] });
    const naive = new SeasonalNaiveForecaster(1).fit({ values: train, stepSeconds: 3600 }).predict(24);
    expect(forecast.model).toMatch(/^mstl\(24,168;log\)\+lstm\(/);
    expect(meanAbsoluteError(test, forecast.mean)).toBeLessThan(0.3 * meanAbsoluteError(test, naive.mean));
    const [band] = forecast.intervals;
    forecast.mean.forEach((mean, h) => {
      expect(band?.lower[h]).toBeLessThanOrEqual(mean);
      expect(band?.upper[h]).toBeGreaterThanOrEqual(mean);
    });
  });

  it("restores from JSON and predicts the same, also after update(), leaving no tensors", () => {
    const before = lstmMemory().numTensors;
    const values = hourlyLoad(30, 4);
    const fitted = hybrid().fit({ values: values.slice(0, -24), stepSeconds: 3600 });
    expect(fitted).toBeInstanceOf(FittedDeseasonalizedLstm);
    const restored = restoreModel(
      JSON.parse(JSON.stringify(fitted.toJSON())) as ReturnType<typeof fitted.toJSON>,
    );
    expect(restored.predict(48, { levels: [80, 95] })).toEqual(fitted.predict(48, { levels: [80, 95] }));
    const advanced = fitted.update(values.slice(-24));
    expect(advanced.predict(24).mean).not.toEqual(fitted.predict(24).mean);
    const advancedRestored = restoreModel(
      JSON.parse(JSON.stringify(advanced.toJSON())) as ReturnType<typeof advanced.toJSON>,
    );
    expect(advancedRestored.predict(24)).toEqual(advanced.predict(24));
    expect(lstmMemory().numTensors).toBe(before);
  });

  it("rejects an empty period list and a malformed state by name", () => {
    expect(
      () => new DeseasonalizedLstmForecaster({ periods: [], adjustedModel: new SeasonalNaiveForecaster(1) }),
    ).toThrow(/periods must name at least one seasonal period/);
    expect(() => restoreModel({ kind: "mstl-lstm", version: 1, cycles: "x" })).toThrow(
      /not an mstl-lstm state/,
    );
  });
});
