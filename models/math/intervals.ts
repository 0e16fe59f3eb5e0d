import type { PredictionInterval } from "../forecast.js";
import { zForLevel } from "./normal-quantile.js";

/** Gaussian central intervals `mean ± z·sd` for each level. */
export function normalIntervals(
  mean: readonly number[],
  sd: readonly number[],
  levels: readonly number[],
): PredictionInterval[] {
  return levels.map((level) => {
    const z = zForLevel(level);
    return {
      level,
      lower: mean.map((m, i) => m - z * (sd[i] ?? Number.NaN)),
      upper: mean.map((m, i) => m + z * (sd[i] ?? Number.NaN)),
    };
  });
}

/** Empirical central intervals from simulated sample paths: `paths[k][h]`. */
export function simulatedIntervals(
  paths: readonly (readonly number[])[],
  horizonSteps: number,
  levels: readonly number[],
): PredictionInterval[] {
  const columns: Float64Array[] = [];
  for (let h = 0; h < horizonSteps; h++) {
    const column = new Float64Array(paths.length);
    let count = 0;
    for (const path of paths) {
      const value = path[h] ?? Number.NaN;
      if (Number.isFinite(value)) column[count++] = value;
    }
    // A typed-array sort is numeric and several times faster than Array#sort with a comparator.
    columns.push(column.subarray(0, count).sort());
  }
  return levels.map((level) => {
    const tail = (1 - level / 100) / 2;
    return {
      level,
      lower: columns.map((column) => quantileSorted(column, tail)),
      upper: columns.map((column) => quantileSorted(column, 1 - tail)),
    };
  });
}

/** Linear-interpolated quantile of an ascending array (type 7, as R's default). */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const position = (sorted.length - 1) * p;
  const below = Math.floor(position);
  const above = Math.ceil(position);
  const low = sorted[below] ?? Number.NaN;
  const high = sorted[above] ?? Number.NaN;
  return low + (high - low) * (position - below);
}
