import type { MetricSource } from "../sources/metric-source.js";
import type { ResolvedCapacityTarget } from "./capacity-config.js";
import { aggregateDaily, DAY_MS, lastFinite, utcDayStart, type DailySeries } from "./daily-series.js";

/** Days of recent history searched for the latest capacity sample. */
const CAPACITY_LOOKBACK_DAYS = 7;

/**
 * Daily usage of a target: its usage query over `historyDays` complete UTC days before today, fetched
 * at the target's (finer) step and aggregated per day to the max or p95. Today is left out (incomplete).
 */
export async function fetchDailyUsage(
  source: MetricSource,
  target: ResolvedCapacityTarget,
  nowMs: number,
  signal?: AbortSignal,
): Promise<DailySeries> {
  const todayMs = utcDayStart(nowMs);
  const series = await source.fetchRange({
    query: target.usageQuery,
    startMs: todayMs - target.historyDays * DAY_MS,
    endMs: todayMs - target.stepSeconds * 1000,
    stepSeconds: target.stepSeconds,
    ...(signal === undefined ? {} : { signal }),
  });
  return aggregateDaily(series, { aggregate: target.aggregate, endBeforeMs: nowMs });
}

/**
 * The capacity a target's runway is measured against: the configured constant, or the latest sample of
 * its capacity query within the last week (`undefined` when there is none).
 */
export async function fetchLatestCapacity(
  source: MetricSource,
  target: ResolvedCapacityTarget,
  nowMs: number,
  signal?: AbortSignal,
): Promise<{ readonly value: number | undefined; readonly source: "constant" | "latest" }> {
  if ("constant" in target.capacity) return { value: target.capacity.constant, source: "constant" };
  const series = await source.fetchRange({
    query: target.capacity.query,
    startMs: nowMs - CAPACITY_LOOKBACK_DAYS * DAY_MS,
    endMs: nowMs,
    stepSeconds: target.stepSeconds,
    ...(signal === undefined ? {} : { signal }),
  });
  return { value: lastFinite(series.values)?.value, source: "latest" };
}
