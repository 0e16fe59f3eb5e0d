/** How rolling forecast origins are laid out on one daily series. */
export interface CapacityOriginOptions {
  /** Forecast horizons in days; the latest origin leaves the longest one for scoring. */
  readonly horizonsDays: readonly number[];
  /**
   * Days between consecutive origins, going back from the latest.
   * @defaultValue 30
   */
  readonly strideDays?: number;
  /**
   * Earlier origins are used only while at least this much history precedes them (two years, so
   * a yearly cycle can be learnt at every origin).
   * @defaultValue 730
   */
  readonly minHistoryDays?: number;
  /**
   * Most origins per series, counting the latest; keeps runtime proportional to the number of series.
   * @defaultValue 12
   */
  readonly maxOrigins?: number;
  /**
   * Fewest days of history for the latest origin to be used at all.
   * @defaultValue 28
   */
  readonly minTrainDays?: number;
}

export const DEFAULT_STRIDE_DAYS = 30;
export const DEFAULT_MIN_HISTORY_DAYS = 730;
export const DEFAULT_MAX_ORIGINS = 12;
export const DEFAULT_MIN_TRAIN_DAYS = 28;

/**
 * Forecast origins (= training lengths) for a series of `length` days, latest first: the latest is
 * `length − max(horizons)`; earlier ones step back by `strideDays` while `minHistoryDays` of history
 * remain before them, at most `maxOrigins` in all. A series too short for even the latest origin
 * (fewer than `minTrainDays` before it) gets none.
 */
export function capacityOrigins(length: number, options: CapacityOriginOptions): number[] {
  const longest = Math.max(...options.horizonsDays);
  const stride = options.strideDays ?? DEFAULT_STRIDE_DAYS;
  const minHistory = options.minHistoryDays ?? DEFAULT_MIN_HISTORY_DAYS;
  const maxOrigins = options.maxOrigins ?? DEFAULT_MAX_ORIGINS;
  const latest = length - longest;
  if (!Number.isFinite(latest) || latest < (options.minTrainDays ?? DEFAULT_MIN_TRAIN_DAYS)) return [];
  const origins = [latest];
  for (let origin = latest - stride; origin >= minHistory && origins.length < maxOrigins; origin -= stride) {
    origins.push(origin);
  }
  return origins;
}
