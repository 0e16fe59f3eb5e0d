import type { Forecast } from "../../models/forecast.js";
import type { Forecaster } from "../../models/forecaster.js";
import { meanAbsoluteError, seasonalScale } from "../metrics/accuracy-metrics.js";

export interface BacktestOptions {
  /** Steps forecast from each origin. */
  readonly horizonSteps: number;
  /**
   * Number of forecast origins, the last one `horizonSteps` before the end of the series.
   * @defaultValue 3
   */
  readonly folds?: number;
  /**
   * Steps between consecutive origins.
   * @defaultValue `horizonSteps` (non-overlapping test windows)
   */
  readonly originStepSteps?: number;
  /** Seasonal period for the MASE scale. */
  readonly period: number;
  /** @defaultValue 3600 */
  readonly stepSeconds?: number;
  /**
   * Epoch ms of `values[0]`, given to every fold's fit as the series' start (models with calendar
   * features need it to fit the folds as they fit the whole history). @defaultValue none
   */
  readonly startMs?: number;
  /** @defaultValue `[80, 95]` */
  readonly levels?: readonly number[];
}

/** One origin of a rolling-origin backtest: what was predicted and what happened. */
export interface BacktestFold {
  /** Index of the first forecast step in the full series (= training length). */
  readonly origin: number;
  readonly actual: readonly number[];
  readonly forecast: Forecast;
  /** MASE of this fold, scaled by the in-sample seasonal naive error up to the origin. */
  readonly mase: number;
  /** In-sample scale used for `mase`, reused to normalise interval errors. */
  readonly scale: number;
}

export interface BacktestResult {
  readonly folds: readonly BacktestFold[];
  /** Mean fold MASE; `Infinity` when no fold could be fitted. */
  readonly mase: number;
  /** Folds whose fit failed (they are left out of the mean). */
  readonly failures: number;
}

/**
 * Rolling-origin evaluation (Tashman 2000): refits the forecaster at each origin on everything before
 * it, never on what it predicts. Origins that leave fewer than the model's `minTrainLength` points are
 * skipped.
 */
export function rollingOriginBacktest(
  values: readonly number[],
  forecaster: Forecaster,
  options: BacktestOptions,
): BacktestResult {
  const folds: BacktestFold[] = [];
  const count = options.folds ?? 3;
  const stride = options.originStepSteps ?? options.horizonSteps;
  let failures = 0;
  for (let k = count - 1; k >= 0; k--) {
    const origin = values.length - options.horizonSteps - k * stride;
    if (origin < Math.max(2, forecaster.capabilities.minTrainLength)) continue;
    const train = values.slice(0, origin);
    const actual = values.slice(origin, origin + options.horizonSteps);
    try {
      const forecast = forecaster
        .fit({
          values: train,
          stepSeconds: options.stepSeconds ?? 3600,
          ...(options.startMs === undefined ? {} : { startMs: options.startMs }),
        })
        .predict(options.horizonSteps, { levels: options.levels ?? [80, 95] });
      if (!forecast.mean.every(Number.isFinite)) throw new Error("non-finite forecast");
      const scale = usableScale(train, options.period);
      folds.push({ origin, actual, forecast, mase: meanAbsoluteError(actual, forecast.mean) / scale, scale });
    } catch {
      failures++;
    }
  }
  const scored = folds.filter((fold) => Number.isFinite(fold.mase));
  const meanMase =
    scored.length === 0 ? Infinity : scored.reduce((sum, fold) => sum + fold.mase, 0) / scored.length;
  return { folds, mase: meanMase, failures };
}

/** The MASE scale, or for flat history (scale 0) the mean absolute level, or 1 for an all-zero history. */
function usableScale(train: readonly number[], period: number): number {
  const scale = seasonalScale(train, period);
  if (scale > 0) return scale;
  const level = train.reduce((sum, value) => sum + Math.abs(value), 0) / Math.max(1, train.length);
  return level > 0 ? level : 1;
}
