/** A regularly sampled univariate series. Missing samples are `NaN`. */
export interface Series {
  /** Observations in time order; `NaN` marks a missing sample. */
  readonly values: readonly number[];
  /** Sampling interval in seconds (3600 for hourly data). */
  readonly stepSeconds: number;
  /** Epoch milliseconds of `values[0]`, when known. Enables calendar-aligned seasonality. */
  readonly startMs?: number;
}

/** Seasonal periods in steps, e.g. `[24, 168]` for hourly data with daily and weekly cycles. */
export type SeasonalPeriods = readonly number[];
