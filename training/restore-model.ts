import type { FittedModel, ModelState } from "../models/forecaster.js";
import { restoreModelFamily } from "../models/model-catalog.js";
import { restoreAuto } from "./selection/auto-forecaster.js";

/** Rebuilds any fitted model, including auto-selected combinations, from its `toJSON()` state. */
export function restoreModel(state: ModelState): FittedModel {
  return state.kind === "auto" ? restoreAuto(state, restoreModel) : restoreModelFamily(state);
}
