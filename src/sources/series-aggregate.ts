/** How several series returned by one query are combined into one, timestamp by timestamp. */
export const SeriesAggregate = { sum: "sum", mean: "mean", max: "max", min: "min" } as const;
export type SeriesAggregate = (typeof SeriesAggregate)[keyof typeof SeriesAggregate];

/**
 * Combines equally long value arrays per index, ignoring `NaN` (a series without a sample there). The
 * result is `NaN` where every series is missing; with no series at all it is `length` NaNs.
 */
export function aggregateValues(
  seriesValues: readonly (readonly number[])[],
  aggregate: SeriesAggregate,
  length: number,
): number[] {
  const combined: number[] = [];
  for (let index = 0; index < length; index++) {
    let total = 0;
    let present = 0;
    let extreme = Number.NaN;
    for (const values of seriesValues) {
      const value = values[index] ?? Number.NaN;
      if (Number.isNaN(value)) continue;
      total += value;
      present += 1;
      if (Number.isNaN(extreme) || (aggregate === "max" ? value > extreme : value < extreme)) extreme = value;
    }
    if (present === 0) combined.push(Number.NaN);
    else if (aggregate === "sum") combined.push(total);
    else if (aggregate === "mean") combined.push(total / present);
    else combined.push(extreme);
  }
  return combined;
}
