import { ModelError, ModelErrorCode } from "../errors.js";

/** Settings of {@link seasonalityTest}; the defaults are those of the M4 benchmarks. */
export interface SeasonalityTestOptions {
  /**
   * Critical value of the two-sided test on the lag-`period` autocorrelation. R's `thetaf` uses
   * `qnorm(0.95)` (1.6448536…).
   * @defaultValue `1.645` (M4's `tcrit`)
   */
  readonly criticalValue?: number;
  /**
   * Fewest observations to run the test; shorter series are called non-seasonal. R's `thetaf`
   * tests when `n > 2·period`, i.e. `minLength = 2·period + 1`.
   * @defaultValue `3 · period` (M4)
   */
  readonly minLength?: number;
}

/** Outcome of {@link seasonalityTest}, with the numbers behind it for notes. */
export interface SeasonalityTestResult {
  readonly seasonal: boolean;
  /** `|r_period|`; `NaN` when the test was not run. */
  readonly statistic: number;
  /** `criticalValue · sqrt((1 + 2 Σ_{k<period} r_k²) / n)`; `NaN` when the test was not run. */
  readonly limit: number;
  /** Why the test was not run (too short, constant, `period` 1), when it was not. */
  readonly skipped?: string;
}

/**
 * The M4 seasonality test (`SeasonalityTest` in M4's `Benchmarks and Evaluation.R`): a series of
 * length `n ≥ 3·period` is seasonal when `|r_m| > 1.645 · sqrt((1 + 2 Σ_{k=1}^{m−1} r_k²) / n)`,
 * `r_k` being the sample autocorrelation at lag `k` and `m = period`.
 *
 * M4's code takes `r_m` from `acf()` with R's default `lag.max = ⌊10 log10 n⌋` and answers "not
 * seasonal" when `m` exceeds it. That never binds on M4 data (hourly series have n ≥ 700 ≥ 10^2.4),
 * but would make weekly cycles of hourly data (m = 168) untestable, so the ACF is always computed up
 * to lag `m` here. `values` must be finite (clean them first).
 */
export function seasonalityTest(
  values: readonly number[],
  period: number,
  options: SeasonalityTestOptions = {},
): SeasonalityTestResult {
  if (!Number.isInteger(period) || period < 1) {
    throw new ModelError(ModelErrorCode.invalidOption, `period (${period}) must be an integer ≥ 1`);
  }
  const criticalValue = options.criticalValue ?? 1.645;
  const minLength = options.minLength ?? 3 * period;
  const n = values.length;
  const notRun = (skipped: string): SeasonalityTestResult => ({
    seasonal: false,
    statistic: Number.NaN,
    limit: Number.NaN,
    skipped,
  });
  if (period === 1) return notRun("period 1 has no seasonality");
  if (n < minLength) return notRun(`length ${n} < ${minLength}`);
  const r = sampleAutocorrelations(values, period);
  if (r.some((value) => !Number.isFinite(value))) return notRun("constant or non-finite series");
  let sumSquares = 0;
  for (let k = 0; k < period - 1; k++) sumSquares += (r[k] ?? 0) ** 2;
  const statistic = Math.abs(r[period - 1] ?? Number.NaN);
  const limit = (criticalValue / Math.sqrt(n)) * Math.sqrt(1 + 2 * sumSquares);
  return { seasonal: statistic > limit, statistic, limit };
}

/**
 * Sample autocorrelations `r_1..r_maxLag` as R's `acf()`:
 * `r_k = Σ_{t=1}^{n−k} (x_t − x̄)(x_{t+k} − x̄) / Σ_{t=1}^{n} (x_t − x̄)²`.
 * A constant series gives `NaN`s; lags ≥ n give 0 terms.
 */
export function sampleAutocorrelations(values: readonly number[], maxLag: number): number[] {
  const n = values.length;
  let mean = 0;
  for (const x of values) mean += x;
  mean /= n;
  const centered = values.map((x) => x - mean);
  let c0 = 0;
  for (const d of centered) c0 += d * d;
  const out: number[] = [];
  for (let k = 1; k <= maxLag; k++) {
    let ck = 0;
    for (let t = 0; t + k < n; t++) ck += (centered[t] ?? 0) * (centered[t + k] ?? 0);
    out.push(ck / c0);
  }
  return out;
}
