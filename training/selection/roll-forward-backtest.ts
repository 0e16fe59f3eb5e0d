import type { FittedModel, Forecaster } from "../../models/forecaster.js";
import type { BacktestFold, BacktestResult } from "../backtest/rolling-origin-backtest.js";
import { meanAbsoluteError, seasonalScale } from "../metrics/accuracy-metrics.js";

export interface RollForwardOptions {
  readonly horizonSteps: number;
  /** Forecast origins, `horizonSteps` apart, the last one `horizonSteps` before the end. */
  readonly folds: number;
  /** Seasonal period for the MASE scale. */
  readonly period: number;
  /** @defaultValue 3600 */
  readonly stepSeconds?: number;
  /** Epoch ms of `values[0]`, passed on to the model (calendar features). */
  readonly startMs?: number;
  /** @defaultValue `[80, 95]` */
  readonly levels?: readonly number[];
}

/** A roll-forward backtest and the model it leaves behind, advanced to the end of the series. */
export interface RollForwardResult {
  readonly backtest: BacktestResult;
  /** The model fitted once at the first origin and updated with every later value; `undefined` when the fit failed. */
  readonly fitted: FittedModel | undefined;
}

/**
 * Rolling-origin evaluation with fixed parameters (Tashman 2000, "non-updated"): fits once on
 * everything before the first origin, then moves the origin forward with `update()` (new data, no
 * refit) and forecasts from each. For models whose fit is costly (neural networks) this is one
 * training instead of one per fold plus a final one, and it is what the scaler does in production
 * (update between retrainings). Scores match `rollingOriginBacktest`'s: MASE per fold, scaled by the
 * in-sample seasonal naive error up to that origin.
 */
export function rollForwardBacktest(
  values: readonly number[],
  forecaster: Forecaster,
  options: RollForwardOptions,
): RollForwardResult {
  const { horizonSteps, folds: count } = options;
  const firstOrigin = values.length - count * horizonSteps;
  if (firstOrigin < Math.max(2, forecaster.capabilities.minTrainLength) || count < 1) {
    return { backtest: { folds: [], mase: Infinity, failures: 0 }, fitted: undefined };
  }
  let model: FittedModel;
  try {
    model = forecaster.fit({
      values: values.slice(0, firstOrigin),
      stepSeconds: options.stepSeconds ?? 3600,
      ...(options.startMs === undefined ? {} : { startMs: options.startMs }),
    });
  } catch {
    return { backtest: { folds: [], mase: Infinity, failures: count }, fitted: undefined };
  }
  const folds: BacktestFold[] = [];
  let failures = 0;
  for (let k = 0; k < count; k++) {
    const origin = firstOrigin + k * horizonSteps;
    if (k > 0) model = model.update(values.slice(origin - horizonSteps, origin));
    const train = values.slice(0, origin);
    const actual = values.slice(origin, origin + horizonSteps);
    try {
      const forecast = model.predict(horizonSteps, { levels: options.levels ?? [80, 95] });
      if (!forecast.mean.every(Number.isFinite)) throw new Error("non-finite forecast");
      const scale = usableScale(train, options.period);
      folds.push({ origin, actual, forecast, mase: meanAbsoluteError(actual, forecast.mean) / scale, scale });
    } catch {
      failures++;
    }
  }
  const fitted = model.update(values.slice(firstOrigin + (count - 1) * horizonSteps));
  const scored = folds.filter((fold) => Number.isFinite(fold.mase));
  const mase =
    scored.length === 0 ? Infinity : scored.reduce((sum, fold) => sum + fold.mase, 0) / scored.length;
  return { backtest: { folds, mase, failures }, fitted };
}

/** As in `rollingOriginBacktest`: the MASE scale, else the mean absolute level, else 1. */
function usableScale(train: readonly number[], period: number): number {
  const scale = seasonalScale(train, period);
  if (scale > 0) return scale;
  const level = train.reduce((sum, value) => sum + Math.abs(value), 0) / Math.max(1, train.length);
  return level > 0 ? level : 1;
}
