import type { Forecast } from "../../models/forecast.js";

/**
 * Days averaged around each horizon: capacity is planned on weekly means, not on single days.
 */
export const CAPACITY_WINDOW_DAYS = 7;

/** Relative error within which a forecast 7-day mean counts as right. */
export const CAPACITY_TOLERANCE = 0.15;

/** How one forecast did at one horizon. */
export interface CapacityWindowScore {
  /** Mean of the point forecast over the window (days `horizon − 6 … horizon` ahead). */
  readonly forecastMean: number;
  /** Mean of the observed days in the same window. */
  readonly actualMean: number;
  /** `|forecastMean − actualMean| ≤ 0.15 · |actualMean|`. */
  readonly withinTolerance: boolean;
  /** `100 · |forecastMean − actualMean| / |actualMean|` (percent). */
  readonly absolutePercentError: number;
  /** Observed days of the window inside the daily 80% interval; `undefined` without one. */
  readonly covered80?: number;
  /** Observed (non-missing) days in the window. */
  readonly observedDays: number;
}

/**
 * Scores a forecast at `horizonDays` on the window of the 7 days ending there: forecast step
 * `horizonDays − 6 … horizonDays` against the actual values of those days (`actual[0]` is the first
 * day after the origin). Missing actual days are left out of the window mean and of coverage; a
 * window with fewer than 4 observed days, or whose actual mean is 0 (no relative error), cannot be
 * scored and gives `undefined`.
 */
export function scoreCapacityWindow(
  forecast: Forecast,
  actual: readonly number[],
  horizonDays: number,
): CapacityWindowScore | undefined {
  const first = horizonDays - CAPACITY_WINDOW_DAYS;
  const interval = forecast.intervals.find((candidate) => candidate.level === 80);
  let forecastSum = 0;
  let actualSum = 0;
  let observed = 0;
  let covered = 0;
  for (let step = Math.max(0, first); step < horizonDays; step++) {
    const predicted = forecast.mean[step] ?? Number.NaN;
    forecastSum += predicted;
    const value = actual[step] ?? Number.NaN;
    if (!Number.isFinite(value)) continue;
    actualSum += value;
    observed++;
    const lower = interval?.lower[step] ?? Number.NaN;
    const upper = interval?.upper[step] ?? Number.NaN;
    if (value >= lower && value <= upper) covered++;
  }
  const windowDays = horizonDays - Math.max(0, first);
  if (observed < Math.min(4, windowDays)) return undefined;
  const forecastMean = forecastSum / windowDays;
  const actualMean = actualSum / observed;
  if (actualMean === 0) return undefined;
  const relative = Math.abs(forecastMean - actualMean) / Math.abs(actualMean);
  return {
    forecastMean,
    actualMean,
    withinTolerance: relative <= CAPACITY_TOLERANCE,
    absolutePercentError: 100 * relative,
    ...(interval ? { covered80: covered } : {}),
    observedDays: observed,
  };
}
