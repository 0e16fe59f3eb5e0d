import { describe, expect, it } from "vitest";
import { DriftForecaster } from "../../models/baseline/drift.js";
import { SeasonalNaiveForecaster } from "../../models/baseline/seasonal-naive.js";
import type { FittedModel, Forecaster } from "../../models/forecaster.js";
import { SeededRandom } from "../../models/math/seeded-random.js";
import type { Series } from "../../models/series.js";
import { AutoForecaster, FittedAuto } from "../../training/selection/auto-forecaster.js";
import { rollForwardBacktest } from "../../training/selection/roll-forward-backtest.js";
import { createForecaster, MODEL_NAMES } from "../../training/model-catalog.js";

function seasonalSeries(length: number, seed: number): number[] {
  const random = new SeededRandom(seed);
  return Array.from({ length }, (_, i) => 100 + 30 * Math.sin((2 * Math.PI * i) / 24) + 3 * random.normal());
}

/** Wraps a forecaster and counts how often it is fitted (the costly step for a neural network). */
function counting(inner: Forecaster): Forecaster & { fits: number[] } {
  const fits: number[] = [];
  return {
    name: inner.name,
    capabilities: inner.capabilities,
    fits,
    fit(series: Series): FittedModel {
      fits.push(series.values.length);
      return inner.fit(series);
    },
  };
}

describe("roll-forward backtest", () => {
  it("fits once before the first origin and scores every fold after it", () => {
    const values = seasonalSeries(24 * 20, 1);
    const model = counting(new SeasonalNaiveForecaster(24));
    const { backtest, fitted } = rollForwardBacktest(values, model, {
      horizonSteps: 24,
      folds: 4,
      period: 24,
    });
    expect(model.fits).toEqual([values.length - 4 * 24]);
    expect(backtest.folds.map((fold) => fold.origin)).toEqual([384, 408, 432, 456]);
    expect(backtest.mase).toBeGreaterThan(0);
    expect(backtest.mase).toBeLessThan(1.5);
    // Advanced to the end: it forecasts what a model fitted on everything would (seasonal naive).
    const refitted = new SeasonalNaiveForecaster(24).fit({ values, stepSeconds: 3600 });
    expect(fitted?.predict(24).mean).toEqual(refitted.predict(24).mean);
  });

  it("scores nothing when the history is too short for the folds", () => {
    const model = counting(new SeasonalNaiveForecaster(24));
    const { backtest, fitted } = rollForwardBacktest([1, 2, 3, 4], model, {
      horizonSteps: 24,
      folds: 4,
      period: 24,
    });
    expect(backtest.folds).toEqual([]);
    expect(backtest.mase).toBe(Infinity);
    expect(fitted).toBeUndefined();
    expect(model.fits).toEqual([]);
  });
});

describe("AutoForecaster with roll-forward candidates", () => {
  it("ranks them with the other candidates and reuses their one fit when chosen", () => {
    const costly = counting(new SeasonalNaiveForecaster(24));
    const fitted = new AutoForecaster({
      candidates: [new SeasonalNaiveForecaster(1), new DriftForecaster()],
      rollForwardCandidates: [costly],
      fallback: new SeasonalNaiveForecaster(1),
      horizonSteps: 24,
      period: 24,
      combine: 1,
    }).fit({ values: seasonalSeries(24 * 20, 2), stepSeconds: 3600 });
    if (!(fitted instanceof FittedAuto)) throw new Error(`expected an auto model, got ${fitted.name}`);
    expect(fitted.name).toBe("auto[snaive(24)]");
    expect(fitted.scores.map((score) => score.name)).toContain("naive");
    expect(costly.fits).toHaveLength(1);
  });

  it("combines a roll-forward candidate only where it beats every regular candidate", () => {
    const values = seasonalSeries(24 * 20, 3);
    const options = {
      candidates: [new SeasonalNaiveForecaster(24)],
      fallback: new SeasonalNaiveForecaster(1),
      horizonSteps: 24,
      period: 24,
      combine: 5,
      maxScoreRatio: 100,
    };
    const strict = new AutoForecaster({ ...options, rollForwardCandidates: [new DriftForecaster()] }).fit({
      values,
      stepSeconds: 3600,
    });
    expect(strict.name).toBe("auto[snaive(24)]");
    const lenient = new AutoForecaster({
      ...options,
      rollForwardCandidates: [new DriftForecaster()],
      rollForwardMaxScoreRatio: 100,
    }).fit({ values, stepSeconds: 3600 });
    expect(lenient.name).toBe("auto[snaive(24)+drift]");
  });

  it("is offered as auto+lstm, leaving plain auto without any LSTM", () => {
    expect(MODEL_NAMES).toEqual(expect.arrayContaining(["lstm", "lstm-global", "auto+lstm"]));
    const context = { period: 24, horizonSteps: 24, stepSeconds: 3600 };
    const plain = createForecaster("auto", context) as unknown as {
      options: { rollForwardCandidates?: unknown[] };
    };
    const withLstm = createForecaster("auto+lstm", context) as unknown as {
      options: { rollForwardCandidates?: { name: string }[] };
    };
    expect(plain.options.rollForwardCandidates ?? []).toEqual([]);
    // With a season the network is the MSTL + LSTM hybrid; without one, the plain network.
    expect(withLstm.options.rollForwardCandidates?.map((candidate) => candidate.name)).toEqual(["mstl-lstm"]);
    const yearless = createForecaster("auto+lstm", {
      period: 1,
      horizonSteps: 13,
      stepSeconds: 604_800,
    }) as unknown as {
      options: { rollForwardCandidates?: { name: string }[] };
    };
    expect(yearless.options.rollForwardCandidates?.map((candidate) => candidate.name)).toEqual(["lstm"]);
  });
});
