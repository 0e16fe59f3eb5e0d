import type { FittedModel } from "../../models/forecaster.js";
import type { BacktestFold } from "../backtest/rolling-origin-backtest.js";
import { meanAbsoluteError } from "../metrics/accuracy-metrics.js";

export interface ChampionComparison {
  /** Backtest origins (indices into the new history) both models were scored on. */
  readonly origins: readonly number[];
  readonly challengerMase: number;
  readonly championMase: number;
}

/**
 * Scores the current (champion) model on the challenger's backtest origins that lie after the
 * champion's own training data — so neither model has seen what it is scored on. The champion is not
 * refitted: it is advanced with `update()` through the new observations up to each origin, exactly as
 * the scaler would use it. Returns `undefined` when no origin lies after the champion's data.
 *
 * @param championEndIndex index in `values` of the champion's last training sample (−1 when the
 *   champion's data ended just before `values` starts)
 */
export function compareWithChampion(
  champion: FittedModel,
  championEndIndex: number,
  values: readonly number[],
  challengerFolds: readonly BacktestFold[],
): ChampionComparison | undefined {
  const folds = challengerFolds
    .filter((fold) => fold.origin > championEndIndex)
    .sort((a, b) => a.origin - b.origin);
  if (folds.length === 0) return undefined;
  let model = champion;
  let position = championEndIndex + 1;
  const championScores: number[] = [];
  for (const fold of folds) {
    if (fold.origin > position) {
      model = model.update(values.slice(position, fold.origin));
      position = fold.origin;
    }
    const forecast = model.predict(fold.actual.length);
    championScores.push(meanAbsoluteError(fold.actual, forecast.mean) / fold.scale);
  }
  return {
    origins: folds.map((fold) => fold.origin),
    challengerMase: mean(folds.map((fold) => fold.mase)),
    championMase: mean(championScores),
  };
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}
