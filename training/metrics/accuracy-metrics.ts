/**
 * Forecast accuracy metrics by the M4 rules (Makridakis et al. 2020, `Benchmarks and Evaluation.R`).
 * Every function takes the actuals and forecasts of one series over one horizon.
 */

/** Symmetric MAPE in percent: mean of 200·|y − ŷ| / (|y| + |ŷ|); a 0/0 term counts as 0. */
export function smape(actual: readonly number[], forecast: readonly number[]): number {
  const n = checkedLength(actual, forecast);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const y = actual[i] ?? 0;
    const f = forecast[i] ?? 0;
    const denominator = Math.abs(y) + Math.abs(f);
    sum += denominator === 0 ? 0 : (200 * Math.abs(y - f)) / denominator;
  }
  return sum / n;
}

/**
 * In-sample scale of MASE and MSIS: mean |y_t − y_{t−m}| over the training part. When the series is
 * shorter than m + 1 the lag falls back to 1 (as the M4 code effectively needs a defined scale).
 */
export function seasonalScale(insample: readonly number[], period: number): number {
  const lag = insample.length > period ? period : 1;
  let sum = 0;
  let count = 0;
  for (let i = lag; i < insample.length; i++) {
    sum += Math.abs((insample[i] ?? 0) - (insample[i - lag] ?? 0));
    count++;
  }
  return count > 0 ? sum / count : Number.NaN;
}

/** Mean absolute scaled error, scaled by the in-sample seasonal-naive MAE with lag `period`. */
export function mase(
  actual: readonly number[],
  forecast: readonly number[],
  insample: readonly number[],
  period: number,
): number {
  return meanAbsoluteError(actual, forecast) / seasonalScale(insample, period);
}

/**
 * Mean scaled interval score (M4): mean of (U − L) + (2/α)(L − y)·[y < L] + (2/α)(y − U)·[y > U],
 * scaled like MASE. `alpha` is 1 − level/100 (0.05 for the 95% interval M4 used).
 */
export function msis(
  actual: readonly number[],
  lower: readonly number[],
  upper: readonly number[],
  insample: readonly number[],
  period: number,
  alpha = 0.05,
): number {
  const n = checkedLength(actual, lower);
  checkedLength(actual, upper);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const y = actual[i] ?? 0;
    const low = lower[i] ?? 0;
    const high = upper[i] ?? 0;
    sum += high - low;
    if (y < low) sum += (2 / alpha) * (low - y);
    if (y > high) sum += (2 / alpha) * (y - high);
  }
  return sum / n / seasonalScale(insample, period);
}

/** Fraction (0–1) of actuals inside [lower, upper]. */
export function coverage(
  actual: readonly number[],
  lower: readonly number[],
  upper: readonly number[],
): number {
  const n = checkedLength(actual, lower);
  checkedLength(actual, upper);
  let inside = 0;
  for (let i = 0; i < n; i++) {
    const y = actual[i] ?? Number.NaN;
    if (y >= (lower[i] ?? Number.NaN) && y <= (upper[i] ?? Number.NaN)) inside++;
  }
  return inside / n;
}

/**
 * Overall weighted average relative to Naive2, computed on set-level means (M4: OWA is not averaged
 * per series).
 */
export function owa(
  smapeMean: number,
  maseMean: number,
  naive2SmapeMean: number,
  naive2MaseMean: number,
): number {
  return 0.5 * (smapeMean / naive2SmapeMean + maseMean / naive2MaseMean);
}

export function meanAbsoluteError(actual: readonly number[], forecast: readonly number[]): number {
  const n = checkedLength(actual, forecast);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.abs((actual[i] ?? 0) - (forecast[i] ?? 0));
  return sum / n;
}

function checkedLength(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length)
    throw new RangeError(`lengths differ: actual ${a.length} vs forecast ${b.length}`);
  if (a.length === 0) throw new RangeError("cannot score an empty horizon");
  return a.length;
}
