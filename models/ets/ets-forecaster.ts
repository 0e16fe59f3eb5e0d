import type { Forecaster, ForecasterCapabilities } from "../forecaster.js";
import type { Series } from "../series.js";
import { resolveEtsOptions, type EtsOptions, type ResolvedEtsOptions } from "./ets-options.js";
import { fitEtsResolved, MIN_ETS_OBSERVATIONS } from "./fit-ets.js";
import type { FittedEts } from "./fitted-ets.js";

/**
 * Exponential smoothing state-space models (ETS; Hyndman, Koehler, Ord & Snyder 2008), fitted by
 * maximum likelihood as R's `forecast::ets`, with automatic choice of components by AICc among
 * error A/M × trend N/A/Ad × season N/A/M (additive error with multiplicative season excluded).
 *
 * Differences from R, for speed and accuracy (see `fitEtsModel`): smoothing parameters by Nelder–Mead
 * from a grid start, initial level and seasonal states by Gauss–Newton instead of one 30-dimensional
 * simplex; seasonal models keep the heuristic initial slope; seasonal periods above 24 are allowed;
 * models with a multiplicative error or season get simulated intervals (R approximates them).
 */
export class EtsForecaster implements Forecaster {
  readonly name = "ets";
  readonly capabilities: ForecasterCapabilities = {
    minTrainLength: MIN_ETS_OBSERVATIONS,
    supportsIntervals: true,
  };
  readonly options: ResolvedEtsOptions;

  /** @throws ModelError `invalidOption` naming the bad field. */
  constructor(options: EtsOptions = {}) {
    this.options = resolveEtsOptions(options);
  }

  fit(series: Series): FittedEts {
    return fitEtsResolved(series.values, this.options);
  }
}
