import { beforeAll, describe, expect, it } from "vitest";
import { SeasonalNaiveForecaster } from "../../models/baseline/seasonal-naive.js";
import type { FittedModel } from "../../models/forecaster.js";
import { FittedLstm, type LstmState } from "../../models/lstm/fitted-lstm.js";
import { fitGlobal, GlobalLstmForecaster } from "../../models/lstm/global-lstm-forecaster.js";
import { initLstmBackend, lstmBackend, lstmMemory } from "../../models/lstm/lstm-backend.js";
import { LstmForecaster } from "../../models/lstm/lstm-forecaster.js";
import type { LstmForecasterOptions } from "../../models/lstm/lstm-options.js";
import type { LstmTrainingProgress } from "../../models/lstm/lstm-training.js";
import { SeededRandom } from "../../models/math/seeded-random.js";
import { restoreModel } from "../../training/restore-model.js";

/** Tiny network and few epochs: these tests check behaviour, not accuracy at scale. */
const small: LstmForecasterOptions = {
  period: 24,
  horizonSteps: 24,
  chunks: 3,
  hiddenSize: 8,
  maxEpochs: 12,
  patience: 4,
  learningRate: 0.01,
  seed: 7,
};

function seasonal(length: number, seed: number, level = 100): number[] {
  const random = new SeededRandom(seed);
  return Array.from(
    { length },
    (_, i) => level * (1 + 0.3 * Math.sin((2 * Math.PI * i) / 24)) + level * 0.02 * random.normal(),
  );
}

function meanAbsoluteError(actual: readonly number[], forecast: readonly number[]): number {
  return actual.reduce((sum, value, i) => sum + Math.abs(value - (forecast[i] ?? 0)), 0) / actual.length;
}

function lstmState(model: FittedModel): LstmState {
  if (!(model instanceof FittedLstm)) throw new Error(`expected a fitted LSTM, got ${model.name}`);
  return model.toJSON();
}

describe("LstmForecaster", () => {
  beforeAll(async () => {
    await initLstmBackend();
  });

  it("runs on the backend it reports, one of native, wasm or cpu", async () => {
    const report = await initLstmBackend();
    expect(["tensorflow", "wasm", "cpu"]).toContain(report.backend);
    expect(lstmBackend()).toBe(report.backend);
    const fitted = new LstmForecaster(small).fit({ values: seasonal(24 * 14, 1), stepSeconds: 3600 });
    expect(lstmState(fitted).training.backend).toBe(report.backend);
  });

  it("learns a clean seasonal pattern better than the naive forecast", () => {
    const values = seasonal(24 * 21, 2);
    const train = values.slice(0, 24 * 20);
    const test = values.slice(24 * 20);
    const forecast = new LstmForecaster(small).fit({ values: train, stepSeconds: 3600 }).predict(24);
    const naive = new SeasonalNaiveForecaster(1).fit({ values: train, stepSeconds: 3600 }).predict(24);
    expect(forecast.model).toMatch(/^lstm\(/);
    expect(meanAbsoluteError(test, forecast.mean)).toBeLessThan(0.5 * meanAbsoluteError(test, naive.mean));
  });

  it("gives ordered intervals that widen with the level", () => {
    const forecast = new LstmForecaster(small)
      .fit({ values: seasonal(24 * 14, 3), stepSeconds: 3600 })
      .predict(24, { levels: [80, 95] });
    const [i80, i95] = forecast.intervals;
    forecast.mean.forEach((mean, h) => {
      expect(i95?.lower[h]).toBeLessThanOrEqual(i80?.lower[h] ?? -Infinity);
      expect(i80?.lower[h]).toBeLessThanOrEqual(mean);
      expect(mean).toBeLessThanOrEqual(i80?.upper[h] ?? Infinity);
      expect(i80?.upper[h]).toBeLessThanOrEqual(i95?.upper[h] ?? -Infinity);
    });
    expect(i95!.upper.some((upper, h) => upper > (i95?.lower[h] ?? upper))).toBe(true);
  });

  it("gives 80% and 95% intervals that cover about as often as they say on unseen data", () => {
    // Six seeded series with daily cycles and autocorrelated noise; each model is fitted once and
    // rolled through eight later days with update(), as the scaler uses it between retrainings.
    let inside80 = 0;
    let inside95 = 0;
    let total = 0;
    for (let s = 0; s < 6; s++) {
      const random = new SeededRandom(100 + s);
      let noise = 0;
      const values = Array.from({ length: 24 * 36 }, (_, i) => {
        noise = 0.6 * noise + 0.05 * random.normal();
        return 100 * (1 + 0.3 * Math.sin((2 * Math.PI * (i + 5 * s)) / 24)) * (1 + noise);
      });
      let model = new LstmForecaster(small).fit({ values: values.slice(0, 24 * 28), stepSeconds: 3600 });
      for (let day = 28; day < 36; day++) {
        if (day > 28) model = model.update(values.slice(24 * (day - 1), 24 * day));
        const forecast = model.predict(24, { levels: [80, 95] });
        const [i80, i95] = forecast.intervals;
        values.slice(24 * day, 24 * (day + 1)).forEach((actual, h) => {
          total++;
          if (actual >= (i80?.lower[h] ?? Infinity) && actual <= (i80?.upper[h] ?? -Infinity)) inside80++;
          if (actual >= (i95?.lower[h] ?? Infinity) && actual <= (i95?.upper[h] ?? -Infinity)) inside95++;
        });
      }
    }
    expect(total).toBe(6 * 8 * 24);
    expect(inside80 / total).toBeGreaterThan(0.74);
    expect(inside80 / total).toBeLessThan(0.88);
    expect(inside95 / total).toBeGreaterThan(0.9);
    expect(inside95 / total).toBeLessThan(0.99);
  });

  it("restores from JSON with weights and predicts exactly the same", () => {
    const fitted = new LstmForecaster(small).fit({ values: seasonal(24 * 14, 4), stepSeconds: 3600 });
    const restored = restoreModel(JSON.parse(JSON.stringify(fitted.toJSON())) as LstmState);
    expect(restored.predict(60, { levels: [50, 80, 95] })).toEqual(
      fitted.predict(60, { levels: [50, 80, 95] }),
    );
  });

  it("is reproducible with the same seed and differs with another", () => {
    const values = seasonal(24 * 14, 5);
    const first = lstmState(new LstmForecaster(small).fit({ values, stepSeconds: 3600 }));
    const again = lstmState(new LstmForecaster(small).fit({ values, stepSeconds: 3600 }));
    const other = lstmState(new LstmForecaster({ ...small, seed: 8 }).fit({ values, stepSeconds: 3600 }));
    expect(again.weights).toEqual(first.weights);
    expect(other.weights).not.toEqual(first.weights);
  });

  it("leaves no tensors behind after fit and predict", () => {
    const before = lstmMemory().numTensors;
    const fitted = new LstmForecaster(small).fit({ values: seasonal(24 * 14, 6), stepSeconds: 3600 });
    fitted.predict(24);
    new GlobalLstmForecaster(small, [
      { values: seasonal(24 * 14, 7), stepSeconds: 3600 },
      { values: seasonal(24 * 14, 8), stepSeconds: 3600 },
    ]).train();
    expect(lstmMemory().numTensors).toBe(before);
  });

  it("reports every epoch's losses to the progress callback", () => {
    const seen: LstmTrainingProgress[] = [];
    new LstmForecaster({ ...small, onProgress: (progress) => seen.push(progress) }).fit({
      values: seasonal(24 * 14, 9),
      stepSeconds: 3600,
    });
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.map((progress) => progress.epoch)).toEqual(seen.map((_, i) => i + 1));
    for (const progress of seen) {
      expect(progress.maxEpochs).toBe(12);
      expect(Number.isFinite(progress.trainLoss) && Number.isFinite(progress.validationLoss)).toBe(true);
    }
  });

  it("advances with update() without retraining", () => {
    const values = seasonal(24 * 15, 10);
    const fitted = new LstmForecaster(small).fit({ values: values.slice(0, -24), stepSeconds: 3600 });
    const advanced = fitted.update(values.slice(-24));
    expect(lstmState(advanced).weights).toBe(lstmState(fitted).weights);
    expect(lstmState(advanced).nextIndex).toBe(lstmState(fitted).nextIndex + 24);
    expect(lstmState(advanced).tail.slice(-24)).toEqual(values.slice(-24));
    expect(advanced.predict(24).mean).not.toEqual(fitted.predict(24).mean);
  });

  it("repairs NaN gaps and falls back to seasonal naive, by name, on short series", () => {
    const values = seasonal(24 * 14, 11);
    for (let i = 50; i < 70; i++) values[i] = Number.NaN;
    values[values.length - 1] = Number.NaN;
    const repaired = new LstmForecaster(small).fit({ values, stepSeconds: 3600 }).predict(24);
    expect(repaired.mean.every(Number.isFinite)).toBe(true);
    expect(repaired.notes.join(" ")).toMatch(/interpolated 20 missing/);

    const short = new LstmForecaster(small).fit({ values: seasonal(40, 12), stepSeconds: 3600 }).predict(24);
    expect(short.model).toBe("snaive(24)");
    expect(short.notes.join(" ")).toMatch(/lstm: 40 points are too few to train .*fell back to snaive\(24\)/);
    const tiny = new LstmForecaster(small).fit({ values: [5, Number.NaN, 7], stepSeconds: 3600 }).predict(3);
    expect(tiny.mean).toEqual([7, 7, 7]);
    expect(tiny.notes.join(" ")).toMatch(/fell back to naive/);
  });

  it("rejects bad options with the field, the value and the rule", () => {
    expect(() => new LstmForecaster({ ...small, hiddenSize: 0, learningRate: 2 })).toThrow(
      /hiddenSize \(0\) must be an integer ≥ 1; learningRate \(2\) must be in \(0, 1\)/,
    );
  });
});

describe("global LSTM", () => {
  beforeAll(async () => {
    await initLstmBackend();
  });

  it("trains one network for many series and scales it to each series' level", () => {
    const series = [1, 10, 100, 1000].map((level, i) => ({
      values: seasonal(24 * 14, 20 + i, level),
      stepSeconds: 3600,
    }));
    const fitted = fitGlobal(series, small);
    const states = fitted.map(lstmState);
    expect(states.every((state) => state.mode === "global" && state.training.series === 4)).toBe(true);
    expect(
      states.every((state) => JSON.stringify(state.weights) === JSON.stringify(states[0]?.weights)),
    ).toBe(true);
    fitted.forEach((model, i) => {
      const level = 10 ** i;
      const mean = model.predict(24).mean;
      const average = mean.reduce((sum, value) => sum + value, 0) / mean.length;
      expect(average).toBeGreaterThan(0.7 * level);
      expect(average).toBeLessThan(1.3 * level);
    });
  });

  it("attaches a new series to the trained network without training again", () => {
    const forecaster = new GlobalLstmForecaster(small, [
      { values: seasonal(24 * 14, 30), stepSeconds: 3600 },
      { values: seasonal(24 * 14, 31), stepSeconds: 3600 },
    ]);
    const network = forecaster.train();
    const fitted = forecaster.fit({ values: seasonal(24 * 10, 32, 50), stepSeconds: 3600 });
    expect(forecaster.train()).toBe(network);
    const restored = restoreModel(JSON.parse(JSON.stringify(fitted.toJSON())) as LstmState);
    expect(restored.predict(30)).toEqual(fitted.predict(30));
  });
});
