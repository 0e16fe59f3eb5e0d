import { DAY_MS, isoDay } from "./daily-series.js";

/** When one forecast quantile first reaches the usable capacity. */
export interface RunwayCrossing {
  /**
   * Days from the last observed day to the first forecast day at or above the limit: 1 = the day
   * after the last observed day; 0 = usage already reached it on the last observed day. `undefined`:
   * no crossing within the horizon.
   */
  readonly days: number | undefined;
  /** `YYYY-MM-DD` (UTC) of that day, when there is one. */
  readonly date: string | undefined;
}

/** Runway of one target: when the median and the pessimistic forecast reach capacity × headroom. */
export interface Runway {
  /** capacity × headroom: the line usage must stay under. */
  readonly limit: number;
  readonly capacity: number;
  readonly headroom: number;
  /** Days forecast; a missing crossing means "not within this many days". */
  readonly horizonDays: number;
  /** Median (point) forecast. */
  readonly p50: RunwayCrossing;
  /** Upper end of the central 80% interval: usage stays below this with 90% probability. */
  readonly p90: RunwayCrossing;
}

export interface RunwayInput {
  /** Epoch ms of UTC midnight of the last observed (complete) day; forecast day k is k days later. */
  readonly lastObservedDayMs: number;
  /** Usage on the last observed day, `NaN` when that day is missing. */
  readonly lastObserved: number;
  /** Median forecast for days 1…H after the last observed day. */
  readonly p50: readonly number[];
  /** 90th-percentile forecast for the same days. */
  readonly p90: readonly number[];
  readonly capacity: number;
  /** Fraction of capacity that may be used (0 < headroom ≤ 1). */
  readonly headroom: number;
}

/**
 * The first dates the p50 and the p90 forecasts reach capacity × headroom. Capacity is one number —
 * the latest observed capacity (or the configured constant), not a forecast of it: capacity moves in
 * steps that people decide (nodes bought, volumes grown), and a forecast of those steps would assume
 * the very purchases the runway is meant to prompt. The runway therefore answers "if nothing is added".
 */
export function computeRunway(input: RunwayInput): Runway {
  const limit = input.capacity * input.headroom;
  const crossing = (forecast: readonly number[]): RunwayCrossing => {
    if (Number.isFinite(input.lastObserved) && input.lastObserved >= limit) {
      return { days: 0, date: isoDay(input.lastObservedDayMs) };
    }
    const index = forecast.findIndex((value) => Number.isFinite(value) && value >= limit);
    if (index < 0) return { days: undefined, date: undefined };
    const days = index + 1;
    return { days, date: isoDay(input.lastObservedDayMs + days * DAY_MS) };
  };
  return {
    limit,
    capacity: input.capacity,
    headroom: input.headroom,
    horizonDays: input.p50.length,
    p50: crossing(input.p50),
    p90: crossing(input.p90),
  };
}

/**
 * Mean of the 7 days ending at day `horizonDays` (1-based: `values[0]` is day 1; fewer days when the
 * horizon is shorter), skipping missing days; `NaN` when fewer than `minDays` are present.
 */
export function sevenDayMeanAt(values: readonly number[], horizonDays: number, minDays = 1): number {
  const end = Math.min(horizonDays, values.length);
  const start = Math.max(0, end - 7);
  let total = 0;
  let count = 0;
  for (let index = start; index < end; index++) {
    const value = values[index] ?? Number.NaN;
    if (!Number.isFinite(value)) continue;
    total += value;
    count += 1;
  }
  return count === 0 || count < minDays ? Number.NaN : total / count;
}
