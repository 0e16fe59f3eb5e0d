/** A central prediction interval at one confidence level, e.g. `{ level: 80, lower, upper }`. */
export interface PredictionInterval {
  /** Nominal coverage in percent (0 < level < 100). */
  readonly level: number;
  readonly lower: readonly number[];
  readonly upper: readonly number[];
}

/** What a fitted model predicts for the next `horizonSteps` steps. */
export interface Forecast {
  /** Name of the model that produced the forecast (after any fallback). */
  readonly model: string;
  /** Point forecast, one value per step ahead. */
  readonly mean: readonly number[];
  /** One interval per requested level, in the order requested. */
  readonly intervals: readonly PredictionInterval[];
  /** Human-readable remarks: fallbacks taken, data repaired, components chosen. */
  readonly notes: readonly string[];
}

export interface PredictOptions {
  /**
   * Confidence levels in percent.
   * @defaultValue `[80, 95]`
   */
  readonly levels?: readonly number[];
}

export const DEFAULT_LEVELS: readonly number[] = [80, 95];
