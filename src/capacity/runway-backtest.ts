import type { Forecaster } from "../../models/forecaster.js";
import { DAY_MS } from "./daily-series.js";
import { sevenDayMeanAt } from "./runway.js";

/** One origin of the runway backtest. */
export interface RunwayBacktestFold {
  /** Epoch ms of UTC midnight of the last day the model saw. */
  readonly lastTrainDayMs: number;
  /** Forecast mean of the 7 days ending at the horizon. */
  readonly predicted: number;
  /** What happened over those days. */
  readonly actual: number;
  /** |predicted − actual| / |actual|. */
  readonly absolutePercentError: number;
  /** Whether the actual 7-day mean lay under the forecast's p90 for those days. */
  readonly belowP90: boolean;
}

/** How well the forecaster did, on this target's own history, at the horizon that matters now. */
export interface RunwayBacktest {
  readonly horizonDays: number;
  readonly folds: readonly RunwayBacktestFold[];
  /** Mean absolute percentage error of the 7-day means; `NaN` when no origin fitted in the history. */
  readonly mape: number;
  /** Origins whose fit failed or whose forecast was not finite. */
  readonly failures: number;
}

export interface RunwayBacktestOptions {
  /** Days ahead scored: the p90 runway when there is one, the horizon otherwise. */
  readonly horizonDays: number;
  /** Origins, the last one `horizonDays` before the end. @defaultValue 3 */
  readonly folds?: number;
  /** Days between origins. @defaultValue 30 */
  readonly strideDays?: number;
  /** Fewest observed days before an origin. @defaultValue 56 */
  readonly minTrainDays?: number;
}

/**
 * Rolling-origin backtest of a daily forecaster at one horizon: refit on everything before each
 * origin, forecast `horizonDays`, and compare the mean of the 7 days ending at the horizon with what
 * happened (at least 4 of those 7 days observed). Origins every `strideDays`, newest first in time
 * order; origins without enough history before them are skipped.
 */
export function backtestRunwayHorizon(
  values: readonly number[],
  startMs: number,
  forecaster: Forecaster,
  options: RunwayBacktestOptions,
): RunwayBacktest {
  const horizonDays = Math.max(1, Math.round(options.horizonDays));
  const count = options.folds ?? 3;
  const stride = options.strideDays ?? 30;
  const minTrain = Math.max(options.minTrainDays ?? 56, forecaster.capabilities.minTrainLength);
  const folds: RunwayBacktestFold[] = [];
  let failures = 0;
  for (let k = count - 1; k >= 0; k--) {
    const origin = values.length - horizonDays - k * stride;
    if (origin < minTrain) continue;
    const train = values.slice(0, origin);
    const future = values.slice(origin, origin + horizonDays);
    const actual = sevenDayMeanAt(future, horizonDays, 4);
    if (!Number.isFinite(actual)) continue;
    try {
      const forecast = forecaster
        .fit({ values: train, stepSeconds: 86_400, startMs })
        .predict(horizonDays, { levels: [80] });
      const predicted = sevenDayMeanAt(forecast.mean, horizonDays);
      const p90 = sevenDayMeanAt(forecast.intervals[0]?.upper ?? forecast.mean, horizonDays);
      if (!Number.isFinite(predicted)) throw new Error("non-finite forecast");
      folds.push({
        lastTrainDayMs: startMs + (origin - 1) * DAY_MS,
        predicted,
        actual,
        absolutePercentError: Math.abs(predicted - actual) / Math.max(Math.abs(actual), Number.EPSILON),
        belowP90: actual <= p90,
      });
    } catch {
      failures += 1;
    }
  }
  const mape =
    folds.length === 0
      ? Number.NaN
      : folds.reduce((sum, fold) => sum + fold.absolutePercentError, 0) / folds.length;
  return { horizonDays, folds, mape, failures };
}
