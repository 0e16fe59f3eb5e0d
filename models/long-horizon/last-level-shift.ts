/** A detected level shift: where the current regime starts and how large the jump was. */
export interface LevelShift {
  /** Index of the first day of the regime after the shift. */
  readonly index: number;
  /**
   * Size of the shift: mean of the weekly means after it minus mean of those before it, over
   * `persistenceWeeks` on each side (in the series' units).
   */
  readonly jump: number;
}

export interface LevelShiftOptions {
  /**
   * A week-to-week change counts as a shift when it exceeds this many robust standard deviations of
   * the week-to-week changes (median absolute deviation × 1.4826).
   * @defaultValue 5
   */
  readonly threshold?: number;
  /**
   * Weeks compared on each side to tell a lasting shift from a one-off spike.
   * @defaultValue 4
   */
  readonly persistenceWeeks?: number;
}

/**
 * Finds the last lasting level shift of a daily series (without its weekly cycle). For every day,
 * the mean of the 7 days from it is compared with the mean of the 7 days before it; a day where that
 * change is an outlier among all such changes (beyond `threshold` robust standard deviations) and
 * the largest within a week either side, and whose new level holds — the mean of the next
 * `persistenceWeeks` weeks differs from that of the previous ones by at least half the change, in
 * the same direction — starts a new regime. Random-walk wander does not qualify (its changes are not
 * outliers); a one-week spike does not either (it does not hold).
 */
export function lastLevelShift(
  values: readonly number[],
  options: LevelShiftOptions = {},
): LevelShift | undefined {
  const threshold = options.threshold ?? 5;
  const span = 7 * (options.persistenceWeeks ?? 4);
  const n = values.length;
  if (n < 2 * span + 7) return undefined;
  const prefix = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) prefix[i + 1] = (prefix[i] ?? 0) + (values[i] ?? 0);
  const meanOf = (from: number, to: number): number =>
    ((prefix[to] ?? 0) - (prefix[from] ?? 0)) / (to - from);
  // changes[i − 7] = mean(values[i … i+6]) − mean(values[i−7 … i−1]), for i in [7, n − 7]
  const changes: number[] = [];
  for (let i = 7; i <= n - 7; i++) changes.push(meanOf(i, i + 7) - meanOf(i - 7, i));
  const center = median(changes);
  const spread = 1.4826 * median(changes.map((c) => Math.abs(c - center)));
  if (!(spread > 0)) return undefined;
  for (let k = changes.length - 1; k >= 0; k--) {
    const change = (changes[k] ?? 0) - center;
    if (Math.abs(change) <= threshold * spread) continue;
    const neighbours = changes.slice(Math.max(0, k - 7), k + 8).map((c) => Math.abs(c - center));
    if (Math.abs(change) < Math.max(...neighbours)) continue;
    const index = k + 7;
    const held = shiftSize(values, index, span);
    if (Math.sign(held) === Math.sign(change) && Math.abs(held) >= 0.5 * Math.abs(change)) {
      return { index, jump: held };
    }
  }
  return undefined;
}

/** Mean of the `spanDays` days from `index` minus the mean of the `spanDays` days before it. */
export function shiftSize(values: readonly number[], index: number, spanDays: number): number {
  const after = values.slice(index, index + spanDays);
  const before = values.slice(Math.max(0, index - spanDays), index);
  return mean(after) - mean(before);
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
}

function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}
