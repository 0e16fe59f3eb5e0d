import { ModelError, ModelErrorCode } from "../errors.js";

/** How the seasonal component combines with trend and remainder. */
export const DecompositionType = {
  additive: "additive",
  multiplicative: "multiplicative",
} as const;
export type DecompositionType = (typeof DecompositionType)[keyof typeof DecompositionType];

/** Result of {@link classicalDecomposition}; arrays are as long as the input. */
export interface ClassicalDecomposition {
  readonly type: DecompositionType;
  readonly period: number;
  /** Centered moving average; `NaN` for the first and last `⌊period/2⌋` points. */
  readonly trend: readonly number[];
  /**
   * One index per position in the cycle, position 0 being the first observation (R's `figure`).
   * They sum to 0 (additive) or average 1 (multiplicative).
   */
  readonly seasonalIndices: readonly number[];
  /** The seasonal index at each observation. */
  readonly seasonal: readonly number[];
  /** `x − trend − seasonal` or `x / (trend · seasonal)`; `NaN` where the trend is. */
  readonly remainder: readonly number[];
}

/**
 * Classical decomposition exactly as R's `decompose()`: a centered moving average of order `period`
 * (2×`period` for even periods) as trend, seasonal indices as the mean per cycle position of the
 * detrended values, normalized to sum 0 (additive) or mean 1 (multiplicative). `NaN` values are
 * skipped in the means, as R does with `na.rm = TRUE`.
 */
export function classicalDecomposition(
  values: readonly number[],
  period: number,
  type: DecompositionType = DecompositionType.additive,
): ClassicalDecomposition {
  if (!Number.isInteger(period) || period < 2) {
    throw new ModelError(ModelErrorCode.invalidOption, `period (${period}) must be an integer ≥ 2`);
  }
  const observed = values.filter(Number.isFinite).length;
  if (observed < 2 * period) {
    throw new ModelError(
      ModelErrorCode.insufficientData,
      `values has ${observed} observations; classical decomposition needs ≥ 2 × period (${2 * period})`,
    );
  }
  const n = values.length;
  const trend = centeredMovingAverage(values, period);
  const multiplicative = type === DecompositionType.multiplicative;
  const detrended = values.map((x, i) => {
    const t = trend[i] ?? Number.NaN;
    return multiplicative ? x / t : x - t;
  });
  const seasonalIndices: number[] = [];
  for (let position = 0; position < period; position++) {
    let sum = 0;
    let count = 0;
    for (let i = position; i < n; i += period) {
      const d = detrended[i] ?? Number.NaN;
      if (Number.isFinite(d)) {
        sum += d;
        count++;
      }
    }
    seasonalIndices.push(count > 0 ? sum / count : Number.NaN);
  }
  const meanIndex = seasonalIndices.reduce((acc, s) => acc + s, 0) / period;
  for (let position = 0; position < period; position++) {
    const s = seasonalIndices[position] ?? Number.NaN;
    seasonalIndices[position] = multiplicative ? s / meanIndex : s - meanIndex;
  }
  const seasonal = values.map((_, i) => seasonalIndices[i % period] ?? Number.NaN);
  const remainder = values.map((x, i) => {
    const t = trend[i] ?? Number.NaN;
    const s = seasonal[i] ?? Number.NaN;
    return multiplicative ? x / s / t : x - s - t;
  });
  return { type, period, trend, seasonalIndices, seasonal, remainder };
}

/**
 * Centered moving average as R's `filter(x, f, sides = 2)` with `f = rep(1/order, order)` for odd
 * orders and `c(0.5, rep(1, order − 1), 0.5) / order` for even ones. Ends are `NaN`.
 */
export function centeredMovingAverage(values: readonly number[], order: number): number[] {
  const weights: number[] =
    order % 2 === 0
      ? [0.5, ...new Array<number>(order - 1).fill(1), 0.5].map((w) => w / order)
      : new Array<number>(order).fill(1 / order);
  const half = Math.floor(weights.length / 2);
  const n = values.length;
  const out = new Array<number>(n).fill(Number.NaN);
  for (let i = half; i < n - half; i++) {
    // Summed from the newest value backwards, as R's C filter does, to match it to the last bit.
    let sum = 0;
    for (let j = 0; j < weights.length; j++) sum += (weights[j] ?? 0) * (values[i + half - j] ?? Number.NaN);
    out[i] = sum;
  }
  return out;
}
