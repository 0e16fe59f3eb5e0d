import type { Series } from "../../models/series.js";

/** Milliseconds in a day. */
export const DAY_MS = 86_400_000;

/** How the samples of one day become that day's value. */
export type DailyAggregate = "max" | "p95";

/** One value per UTC day; `NaN` marks a day without samples. */
export interface DailySeries {
  /** Epoch ms of UTC midnight of `values[0]`. */
  readonly startMs: number;
  readonly values: readonly number[];
}

/** UTC midnight at or before `epochMs`. */
export function utcDayStart(epochMs: number): number {
  return Math.floor(epochMs / DAY_MS) * DAY_MS;
}

/** `YYYY-MM-DD` of the UTC day holding `epochMs`. */
export function isoDay(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}

/** Options of {@link aggregateDaily}. */
export interface AggregateDailyOptions {
  readonly aggregate: DailyAggregate;
  /**
   * Days that start at or after this instant are left out (the current, incomplete day: its maximum
   * so far would read as a drop). @defaultValue no limit
   */
  readonly endBeforeMs?: number;
  /**
   * A day with fewer than this fraction of its expected samples is missing (`NaN`) rather than the
   * maximum of a few stray points. @defaultValue 0.25
   */
  readonly minCoverage?: number;
}

/**
 * Aggregates a finely stepped series (step dividing a day) into one value per UTC day: the maximum or
 * the 95th percentile (linear interpolation between order statistics, R type 7) of the day's samples.
 * Days with too few samples become `NaN`; gaps are left for the models' cleaning, never filled here.
 * The first and last days may be partial; the first is kept when covered well enough.
 */
export function aggregateDaily(series: Series, options: AggregateDailyOptions): DailySeries {
  const stepMs = series.stepSeconds * 1000;
  const startMs = series.startMs ?? 0;
  if (!(stepMs > 0) || series.values.length === 0) return { startMs: utcDayStart(startMs), values: [] };
  const expectedPerDay = Math.max(1, Math.round(DAY_MS / stepMs));
  const minSamples = Math.max(1, Math.ceil(expectedPerDay * (options.minCoverage ?? 0.25)));
  const firstDay = utcDayStart(startMs);
  const lastSampleMs = startMs + (series.values.length - 1) * stepMs;
  let lastDay = utcDayStart(lastSampleMs);
  if (options.endBeforeMs !== undefined)
    lastDay = Math.min(lastDay, utcDayStart(options.endBeforeMs) - DAY_MS);
  const dayCount = Math.max(0, Math.round((lastDay - firstDay) / DAY_MS) + 1);
  const buckets: number[][] = Array.from({ length: dayCount }, () => []);
  series.values.forEach((value, index) => {
    if (!Number.isFinite(value)) return;
    const day = Math.floor((startMs + index * stepMs - firstDay) / DAY_MS);
    buckets[day]?.push(value);
  });
  return {
    startMs: firstDay,
    values: buckets.map((samples) =>
      samples.length < minSamples
        ? Number.NaN
        : options.aggregate === "max"
          ? Math.max(...samples)
          : quantile(samples, 0.95),
    ),
  };
}

/** Quantile `q` of `values` (finite, non-empty) by linear interpolation (R type 7). */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const lower = sorted[below] ?? Number.NaN;
  const upper = sorted[Math.min(sorted.length - 1, below + 1)] ?? lower;
  return lower + (upper - lower) * (position - below);
}

/** The last finite value of a series, with its index, or `undefined` when there is none. */
export function lastFinite(
  values: readonly number[],
): { readonly index: number; readonly value: number } | undefined {
  for (let index = values.length - 1; index >= 0; index--) {
    const value = values[index] ?? Number.NaN;
    if (Number.isFinite(value)) return { index, value };
  }
  return undefined;
}
