/** Mean length of a year in days, so yearly terms stay aligned over leap years. */
export const YEAR_DAYS = 365.25;

/** The yearly cycle as `harmonics` Fourier pairs: `Σ a_k sin(2πkt/365.25) + b_k cos(2πkt/365.25)`. */
export interface YearlyFourier {
  readonly harmonics: number;
  /** `[a_1, b_1, a_2, b_2, …]`. */
  readonly coefficients: readonly number[];
}

/** Value of the yearly cycle at day `t` (days since the series start). */
export function yearlyFourierValue(cycle: YearlyFourier, t: number): number {
  let sum = 0;
  for (let k = 1; k <= cycle.harmonics; k++) {
    const angle = (2 * Math.PI * k * t) / YEAR_DAYS;
    sum += (cycle.coefficients[2 * k - 2] ?? 0) * Math.sin(angle);
    sum += (cycle.coefficients[2 * k - 1] ?? 0) * Math.cos(angle);
  }
  return sum;
}

/** Fewest days for a yearly cycle: two full years, so it is seen twice rather than guessed from once. */
export const MIN_YEARLY_DAYS = 730;

/** A fitted yearly cycle with the evidence that it repeats. */
export interface YearlyFit {
  readonly cycle: YearlyFourier;
  /**
   * Share of the variance of one year's detrended values that the cycle fitted on the other days
   * predicts (out of sample, averaged over both directions); ≤ 0 means it does not repeat.
   */
  readonly crossYearR2: number;
  /**
   * Least-squares slope of the held-out detrended values on the cycle's out-of-sample predictions
   * (both directions pooled): 1 when the cycle repeats at full size, near 0 when it does not. The
   * share of the fitted cycle worth extrapolating.
   */
  readonly crossYearSlope: number;
}

/**
 * Fits the yearly cycle of a daily series without its weekly cycle: the trend is a centred 365-day
 * moving average (which has no yearly component by construction), and the detrended values of the
 * days where that average is defined are regressed on `harmonics` Fourier pairs, with a small ridge
 * penalty so harmonics the data cannot pin down shrink towards zero.
 *
 * Whether the cycle is real is checked across years: the detrended days are split into the first
 * year and the rest, a cycle fitted on each part predicts the other, and `crossYearR2` is the mean
 * out-of-sample R². A random walk's wander fits Fourier terms well in sample but does not repeat.
 * Returns `undefined` for fewer than {@link MIN_YEARLY_DAYS} days or when the days after the first
 * detrended year are fewer than 90.
 */
export function fitYearlyFourier(values: readonly number[], harmonics: number): YearlyFit | undefined {
  const n = values.length;
  if (n < MIN_YEARLY_DAYS || harmonics < 1) return undefined;
  const window = 365;
  const half = (window - 1) / 2;
  const prefix = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) prefix[i + 1] = (prefix[i] ?? 0) + (values[i] ?? 0);
  const times: number[] = [];
  const residuals: number[] = [];
  for (let t = half; t < n - half; t++) {
    const trend = ((prefix[t + half + 1] ?? 0) - (prefix[t - half] ?? 0)) / window;
    times.push(t);
    residuals.push((values[t] ?? 0) - trend);
  }
  const split = 365;
  if (times.length - split < 90) return undefined;
  const all = regress(times, residuals, harmonics, 0, times.length);
  const first = regress(times, residuals, harmonics, 0, split);
  const rest = regress(times, residuals, harmonics, split, times.length);
  if (!all || !first || !rest) return undefined;
  const backward = outOfSample(rest, times, residuals, 0, split);
  const forward = outOfSample(first, times, residuals, split, times.length);
  const r2 = (backward.r2 + forward.r2) / 2;
  const slope =
    (backward.cross + forward.cross) /
    Math.max(Number.MIN_VALUE, backward.predictedSquares + forward.predictedSquares);
  return { cycle: all, crossYearR2: r2, crossYearSlope: slope };
}

function regress(
  times: readonly number[],
  residuals: readonly number[],
  harmonics: number,
  from: number,
  to: number,
): YearlyFourier | undefined {
  const columns = 2 * harmonics;
  const xtx = Array.from({ length: columns }, () => new Float64Array(columns));
  const xty = new Float64Array(columns);
  const row = new Float64Array(columns);
  for (let index = from; index < to; index++) {
    const t = times[index] ?? 0;
    const residual = residuals[index] ?? 0;
    for (let k = 1; k <= harmonics; k++) {
      const angle = (2 * Math.PI * k * t) / YEAR_DAYS;
      row[2 * k - 2] = Math.sin(angle);
      row[2 * k - 1] = Math.cos(angle);
    }
    for (let i = 0; i < columns; i++) {
      const ri = row[i] ?? 0;
      xty[i] = (xty[i] ?? 0) + ri * residual;
      const line = xtx[i];
      if (!line) continue;
      for (let j = 0; j < columns; j++) line[j] = (line[j] ?? 0) + ri * (row[j] ?? 0);
    }
  }
  // Each Fourier column has mean square ½, so a ridge of 1% of the diagonal barely touches a
  // well-determined harmonic and pulls a poorly determined one towards zero.
  const ridge = 0.01 * Math.max(1, (to - from) / 2);
  xtx.forEach((line, i) => (line[i] = (line[i] ?? 0) + ridge));
  const coefficients = solveSymmetric(xtx, xty);
  return coefficients ? { harmonics, coefficients } : undefined;
}

function outOfSample(
  cycle: YearlyFourier,
  times: readonly number[],
  residuals: readonly number[],
  from: number,
  to: number,
): { r2: number; cross: number; predictedSquares: number } {
  let total = 0;
  let error = 0;
  let cross = 0;
  let predictedSquares = 0;
  const count = to - from;
  let center = 0;
  for (let index = from; index < to; index++) center += (residuals[index] ?? 0) / count;
  for (let index = from; index < to; index++) {
    const residual = residuals[index] ?? 0;
    const predicted = yearlyFourierValue(cycle, times[index] ?? 0);
    total += (residual - center) ** 2;
    error += (residual - predicted) ** 2;
    cross += (residual - center) * predicted;
    predictedSquares += predicted * predicted;
  }
  return { r2: total > 0 ? 1 - error / total : 0, cross, predictedSquares };
}

/** Solves `A x = b` for a small symmetric positive definite `A` by Cholesky; `undefined` if singular. */
export function solveSymmetric(
  matrix: readonly ArrayLike<number>[],
  rhs: ArrayLike<number>,
): number[] | undefined {
  const size = rhs.length;
  const lower = Array.from({ length: size }, () => new Float64Array(size));
  for (let i = 0; i < size; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = matrix[i]?.[j] ?? 0;
      for (let k = 0; k < j; k++) sum -= (lower[i]?.[k] ?? 0) * (lower[j]?.[k] ?? 0);
      const li = lower[i];
      if (!li) return undefined;
      if (i === j) {
        if (!(sum > 0)) return undefined;
        li[i] = Math.sqrt(sum);
      } else {
        li[j] = sum / (lower[j]?.[j] ?? 1);
      }
    }
  }
  const forward = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    let sum = rhs[i] ?? 0;
    for (let k = 0; k < i; k++) sum -= (lower[i]?.[k] ?? 0) * (forward[k] ?? 0);
    forward[i] = sum / (lower[i]?.[i] ?? 1);
  }
  const solution = new Array<number>(size).fill(0);
  for (let i = size - 1; i >= 0; i--) {
    let sum = forward[i] ?? 0;
    for (let k = i + 1; k < size; k++) sum -= (lower[k]?.[i] ?? 0) * (solution[k] ?? 0);
    solution[i] = sum / (lower[i]?.[i] ?? 1);
  }
  return solution;
}
