import type { Forecast, PredictOptions } from "./forecast.js";
import type { Series } from "./series.js";

/** What a model can do, declared up front so selection can skip models that cannot serve a series. */
export interface ForecasterCapabilities {
  /** Fewest (non-missing) training points the model needs; shorter series fall back. */
  readonly minTrainLength: number;
  /** Whether `predict` returns model-based intervals (all models return intervals of some kind). */
  readonly supportsIntervals: boolean;
}

/** JSON-safe fitted state; `kind` names the model family so `restoreModel` can rebuild it. */
export interface ModelState {
  readonly kind: string;
  readonly version: number;
  readonly [key: string]: unknown;
}

/** A model fitted to one series. */
export interface FittedModel {
  /** Specific name of what was fitted, e.g. `ETS(M,Ad,N)` or `snaive(24)`. */
  readonly name: string;
  /** Remarks made while fitting (fallbacks, repairs); copied into every forecast. */
  readonly notes: readonly string[];
  /** Forecast `horizonSteps` steps past the last observation. */
  predict(horizonSteps: number, options?: PredictOptions): Forecast;
  /**
   * Advance the state by new observations without refitting parameters.
   * Returns a new fitted model; the receiver is left unchanged.
   */
  update(newValues: readonly number[]): FittedModel;
  /** Serializable state; `restoreModel(toJSON())` predicts the same. */
  toJSON(): ModelState;
}

/** A model family with its settings; `fit` learns parameters from a series. */
export interface Forecaster {
  /** Family name as used on the command line, e.g. `ets`, `theta`, `snaive`. */
  readonly name: string;
  readonly capabilities: ForecasterCapabilities;
  fit(series: Series): FittedModel;
}
