import { restoreDrift } from "./baseline/drift.js";
import { restoreMovingAverage } from "./baseline/moving-average.js";
import { restoreNaive2 } from "./baseline/naive2.js";
import { restoreSeasonalNaive } from "./baseline/seasonal-naive.js";
import { ModelError, ModelErrorCode } from "./errors.js";
import { restoreEts } from "./ets/fitted-ets.js";
import { restoreLongHorizon } from "./long-horizon/long-horizon-forecaster.js";
import type { FittedModel, ModelState } from "./forecaster.js";
import { restoreDeseasonalizedLstm } from "./lstm/deseasonalized-lstm-forecaster.js";
import { restoreLstm } from "./lstm/fitted-lstm.js";
import { restoreDampedTrend } from "./multi-seasonal/damped-trend-forecaster.js";
import { restoreMstl } from "./multi-seasonal/mstl-forecaster.js";
import { restoreTheta } from "./theta/theta-forecaster.js";

const RESTORERS: Record<string, (state: ModelState) => FittedModel> = {
  "seasonal-naive": restoreSeasonalNaive,
  drift: restoreDrift,
  "moving-average": restoreMovingAverage,
  ets: restoreEts,
  naive2: restoreNaive2,
  theta: restoreTheta,
  "damped-trend": restoreDampedTrend,
  "long-horizon": restoreLongHorizon,
  lstm: restoreLstm,
  mstl: (state) => restoreMstl(state, restoreModelFamily),
  "mstl-lstm": (state) => restoreDeseasonalizedLstm(state, restoreModelFamily),
};

/** Rebuilds a fitted model of any family in models/ from its `toJSON()` state. */
export function restoreModelFamily(state: ModelState): FittedModel {
  const restore = RESTORERS[state.kind];
  if (!restore) throw new ModelError(ModelErrorCode.invalidState, `unknown model kind "${state.kind}"`);
  return restore(state);
}
