import { describe, expect, it } from "vitest";
import type { Forecast } from "../../models/forecast.js";
import type { FittedModel, Forecaster } from "../../models/forecaster.js";
import type { Series } from "../../models/series.js";
import { SeasonalNaiveForecaster } from "../../models/baseline/seasonal-naive.js";
import { rollingOriginBacktest } from "../../training/backtest/rolling-origin-backtest.js";

/** Records what each fit saw, to prove the backtest never trains on what it predicts. */
class RecordingForecaster implements Forecaster {
  readonly name = "recording";
  readonly capabilities = { minTrainLength: 5, supportsIntervals: true };
  readonly seenLengths: number[] = [];
  readonly seenLast: number[] = [];

  fit(series: Series): FittedModel {
    this.seenLengths.push(series.values.length);
    this.seenLast.push(series.values[series.values.length - 1] ?? Number.NaN);
    const last = series.values[series.values.length - 1] ?? 0;
    const fitted: FittedModel = {
      name: "recording",
      notes: [],
      predict: (h): Forecast => {
        const mean = Array.from({ length: h }, () => last);
        return { model: "recording", mean, intervals: [{ level: 80, lower: mean, upper: mean }], notes: [] };
      },
      update: () => fitted,
      toJSON: () => ({ kind: "recording", version: 1 }),
    };
    return fitted;
  }
}

describe("rollingOriginBacktest", () => {
  const values = Array.from({ length: 40 }, (_, i) => i);

  it("fits each origin only on the values before it", () => {
    const forecaster = new RecordingForecaster();
    const result = rollingOriginBacktest(values, forecaster, { horizonSteps: 5, folds: 3, period: 1 });
    expect(result.folds.map((fold) => fold.origin)).toEqual([25, 30, 35]);
    expect(forecaster.seenLengths).toEqual([25, 30, 35]);
    expect(forecaster.seenLast).toEqual([24, 29, 34]);
    expect(result.folds[0]?.actual).toEqual([25, 26, 27, 28, 29]);
  });

  it("scores each fold by MASE against the in-sample naive error", () => {
    // A line with slope 1 forecast flat: errors 1..5 → MAE 3; in-sample lag-1 scale 1.
    const result = rollingOriginBacktest(values, new RecordingForecaster(), {
      horizonSteps: 5,
      folds: 2,
      period: 1,
    });
    expect(result.mase).toBeCloseTo(3, 12);
  });

  it("skips origins that leave less history than the model needs", () => {
    const result = rollingOriginBacktest(values.slice(0, 14), new RecordingForecaster(), {
      horizonSteps: 4,
      folds: 3,
      period: 1,
    });
    expect(result.folds.map((fold) => fold.origin)).toEqual([6, 10]);
  });

  it("gives seasonal naive a perfect score on a purely periodic series", () => {
    const periodic = Array.from({ length: 96 }, (_, i) => [3, 7, 1, 9][i % 4] ?? 0);
    const result = rollingOriginBacktest(periodic, new SeasonalNaiveForecaster(4), {
      horizonSteps: 8,
      folds: 3,
      period: 4,
    });
    expect(result.mase).toBe(0);
  });
});
