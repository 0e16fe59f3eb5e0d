import { restoreDrift } from "./baseline/drift.js";
import { restoreSeasonalNaive } from "./baseline/seasonal-naive.js";
import { ModelError, ModelErrorCode } from "./errors.js";
import type { FittedModel, ModelState } from "./forecaster.js";

const RESTORERS: Record<string, (state: ModelState) => FittedModel> = {
  "seasonal-naive": restoreSeasonalNaive,
  drift: restoreDrift,
};

/** Rebuilds a fitted model of any family in models/ from its `toJSON()` state. */
export function restoreModelFamily(state: ModelState): FittedModel {
  const restore = RESTORERS[state.kind];
  if (!restore) throw new ModelError(ModelErrorCode.invalidState, `unknown model kind "${state.kind}"`);
  return restore(state);
}
