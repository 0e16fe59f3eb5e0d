import { ModelError, ModelErrorCode } from "../errors.js";

/** Settings of {@link stl}, named and defaulted as R's `stats::stl`. Windows are in steps. */
export interface StlOptions {
  /** Seasonal period in steps (R's `frequency`), an integer ≥ 2. */
  readonly period: number;
  /**
   * Span of the loess smoothing each cycle-subseries, odd (even values are rounded up), or
   * `"periodic"` for a seasonal pattern that does not change (R's `s.window = "periodic"`).
   */
  readonly seasonalWindow: number | "periodic";
  /**
   * Local polynomial degree of the seasonal smoother, 0 or 1 (forced to 0 when periodic).
   * @defaultValue `0`
   */
  readonly seasonalDegree?: 0 | 1;
  /**
   * Span of the trend smoother.
   * @defaultValue `nextOdd(ceil(1.5 · period / (1 − 1.5 / seasonalWindow)))`
   */
  readonly trendWindow?: number;
  /** @defaultValue `1` */
  readonly trendDegree?: 0 | 1;
  /**
   * Span of the low-pass filter's final loess.
   * @defaultValue `nextOdd(period)`
   */
  readonly lowPassWindow?: number;
  /** @defaultValue `trendDegree` */
  readonly lowPassDegree?: 0 | 1;
  /**
   * Loess is evaluated every `jump` points and linearly interpolated between (speed).
   * @defaultValue `ceil(seasonalWindow / 10)`
   */
  readonly seasonalJump?: number;
  /** @defaultValue `ceil(trendWindow / 10)` */
  readonly trendJump?: number;
  /** @defaultValue `ceil(lowPassWindow / 10)` */
  readonly lowPassJump?: number;
  /**
   * Use bisquare robustness weights (outer loop) so outliers do not bend trend and season.
   * @defaultValue `false`
   */
  readonly robust?: boolean;
  /** @defaultValue `robust ? 1 : 2` */
  readonly innerIterations?: number;
  /** @defaultValue `robust ? 15 : 0` */
  readonly outerIterations?: number;
}

/** Result of {@link stl}; arrays are as long as the input. */
export interface StlDecomposition {
  readonly seasonal: number[];
  readonly trend: number[];
  /** `values − seasonal − trend`. */
  readonly remainder: number[];
  /** Final robustness weights (all 1 without robustness iterations). */
  readonly weights: number[];
  /** The resolved windows, for reporting. */
  readonly windows: { readonly seasonal: number; readonly trend: number; readonly lowPass: number };
}

/**
 * STL, Seasonal-Trend decomposition by Loess (Cleveland, Cleveland, McRae & Terpenning 1990),
 * following the netlib Fortran behind R's `stats::stl` step by step, jumps and end rules included,
 * so the output matches R's to rounding. Needs finite `values` and more than two full periods.
 */
export function stl(values: readonly number[], options: StlOptions): StlDecomposition {
  const { period } = options;
  const n = values.length;
  if (!Number.isInteger(period) || period < 2) {
    throw new ModelError(ModelErrorCode.invalidOption, `period (${period}) must be an integer ≥ 2`);
  }
  if (n <= 2 * period) {
    throw new ModelError(
      ModelErrorCode.insufficientData,
      `values has ${n} points; STL needs more than 2 × period (${2 * period})`,
    );
  }
  if (!values.every(Number.isFinite)) {
    throw new ModelError(ModelErrorCode.invalidOption, "values must be finite for STL (clean them first)");
  }
  const periodic = options.seasonalWindow === "periodic";
  const seasonalWindow = periodic ? 10 * n + 1 : options.seasonalWindow;
  assertWindow("seasonalWindow", seasonalWindow);
  const seasonalDegree = periodic ? 0 : (options.seasonalDegree ?? 0);
  const trendWindow = options.trendWindow ?? nextOdd(Math.ceil((1.5 * period) / (1 - 1.5 / seasonalWindow)));
  assertWindow("trendWindow", trendWindow);
  const trendDegree = options.trendDegree ?? 1;
  const lowPassWindow = options.lowPassWindow ?? nextOdd(period);
  assertWindow("lowPassWindow", lowPassWindow);
  const lowPassDegree = options.lowPassDegree ?? trendDegree;
  const robust = options.robust ?? false;
  const settings: StlSettings = {
    period,
    seasonalWindow: oddAtLeastThree(seasonalWindow),
    trendWindow: oddAtLeastThree(trendWindow),
    lowPassWindow: oddAtLeastThree(lowPassWindow),
    seasonalDegree,
    trendDegree,
    lowPassDegree,
    seasonalJump: options.seasonalJump ?? Math.ceil(seasonalWindow / 10),
    trendJump: options.trendJump ?? Math.ceil(trendWindow / 10),
    lowPassJump: options.lowPassJump ?? Math.ceil(lowPassWindow / 10),
    innerIterations: options.innerIterations ?? (robust ? 1 : 2),
  };
  for (const key of ["seasonalJump", "trendJump", "lowPassJump", "innerIterations"] as const) {
    if (!Number.isInteger(settings[key]) || settings[key] < 1) {
      throw new ModelError(ModelErrorCode.invalidOption, `${key} (${settings[key]}) must be an integer ≥ 1`);
    }
  }
  const outerIterations = options.outerIterations ?? (robust ? 15 : 0);

  const y = Float64Array.from(values);
  const seasonal = new Float64Array(n);
  const trend = new Float64Array(n);
  const weights = new Float64Array(n).fill(1);
  const work = new StlWork(n, period);
  let useWeights = false;
  for (let k = 0; ; k++) {
    innerLoop(y, settings, useWeights ? weights : undefined, seasonal, trend, work);
    if (k >= outerIterations) break;
    robustnessWeights(y, seasonal, trend, weights);
    useWeights = true;
  }
  if (outerIterations <= 0) weights.fill(1);

  const seasonalOut = Array.from(seasonal);
  if (periodic) {
    // R replaces the (already near-constant) seasonal by its mean per cycle position.
    const sums = new Array<number>(period).fill(0);
    const counts = new Array<number>(period).fill(0);
    for (let i = 0; i < n; i++) {
      sums[i % period] = (sums[i % period] ?? 0) + (seasonalOut[i] ?? 0);
      counts[i % period] = (counts[i % period] ?? 0) + 1;
    }
    for (let i = 0; i < n; i++) seasonalOut[i] = (sums[i % period] ?? 0) / (counts[i % period] ?? 1);
  }
  const trendOut = Array.from(trend);
  return {
    seasonal: seasonalOut,
    trend: trendOut,
    remainder: values.map((x, i) => x - (seasonalOut[i] ?? 0) - (trendOut[i] ?? 0)),
    weights: Array.from(weights),
    windows: { seasonal: seasonalWindow, trend: trendWindow, lowPass: lowPassWindow },
  };
}

/** R's `nextodd`: round, then add one if even. */
export function nextOdd(x: number): number {
  const rounded = Math.round(x);
  return rounded % 2 === 0 ? rounded + 1 : rounded;
}

function assertWindow(field: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new ModelError(ModelErrorCode.invalidOption, `${field} (${value}) must be an integer ≥ 1`);
  }
}

function oddAtLeastThree(window: number): number {
  const w = Math.max(3, window);
  return w % 2 === 0 ? w + 1 : w;
}

interface StlSettings {
  readonly period: number;
  readonly seasonalWindow: number;
  readonly trendWindow: number;
  readonly lowPassWindow: number;
  readonly seasonalDegree: number;
  readonly trendDegree: number;
  readonly lowPassDegree: number;
  readonly seasonalJump: number;
  readonly trendJump: number;
  readonly lowPassJump: number;
  readonly innerIterations: number;
}

/** Scratch arrays reused across iterations (the Fortran `work(n + 2·np, 5)`). */
class StlWork {
  readonly detrended: Float64Array;
  readonly cycle: Float64Array;
  readonly lowPass: Float64Array;
  readonly scratch: Float64Array;
  readonly subseries: Float64Array;
  readonly subseriesWeights: Float64Array;
  readonly subseriesSmooth: Float64Array;
  readonly loessWeights: Float64Array;

  constructor(n: number, period: number) {
    const extended = n + 2 * period;
    this.detrended = new Float64Array(extended);
    this.cycle = new Float64Array(extended);
    this.lowPass = new Float64Array(extended);
    this.scratch = new Float64Array(extended);
    const subseriesLength = Math.floor(n / period) + 3;
    this.subseries = new Float64Array(subseriesLength);
    this.subseriesWeights = new Float64Array(subseriesLength);
    this.subseriesSmooth = new Float64Array(subseriesLength + 2);
    this.loessWeights = new Float64Array(extended);
  }
}

/** One pass of the inner loop (Fortran `stlstp`), `innerIterations` times. */
function innerLoop(
  y: Float64Array,
  s: StlSettings,
  robustWeights: Float64Array | undefined,
  seasonal: Float64Array,
  trend: Float64Array,
  work: StlWork,
): void {
  const n = y.length;
  const np = s.period;
  for (let iteration = 0; iteration < s.innerIterations; iteration++) {
    for (let i = 0; i < n; i++) work.detrended[i] = (y[i] ?? 0) - (trend[i] ?? 0);
    // 1–2: smooth each cycle-subseries, extended one period at each end → cycle (n + 2·np).
    cycleSubseries(work.detrended, n, s, robustWeights, work.cycle, work);
    // 3: low-pass filter of the cycle: moving averages np, np, 3, then loess.
    lowPassFilter(work.cycle, n + 2 * np, np, work.lowPass, work.scratch);
    loessSmooth(
      work.lowPass,
      n,
      s.lowPassWindow,
      s.lowPassDegree,
      s.lowPassJump,
      undefined,
      work.detrended,
      0,
      work.loessWeights,
    );
    // 4: seasonal = cycle − low-pass; 5–6: trend = loess of the deseasonalized series.
    for (let i = 0; i < n; i++) seasonal[i] = (work.cycle[np + i] ?? 0) - (work.detrended[i] ?? 0);
    for (let i = 0; i < n; i++) work.detrended[i] = (y[i] ?? 0) - (seasonal[i] ?? 0);
    loessSmooth(
      work.detrended,
      n,
      s.trendWindow,
      s.trendDegree,
      s.trendJump,
      robustWeights,
      trend,
      0,
      work.loessWeights,
    );
  }
}

/** Fortran `stlss`: loess of each cycle-subseries, extrapolated one point at either end. */
function cycleSubseries(
  y: Float64Array,
  n: number,
  s: StlSettings,
  robustWeights: Float64Array | undefined,
  out: Float64Array,
  work: StlWork,
): void {
  const np = s.period;
  const ns = s.seasonalWindow;
  const sub = work.subseries;
  const subWeights = robustWeights === undefined ? undefined : work.subseriesWeights;
  const smooth = work.subseriesSmooth;
  for (let j = 1; j <= np; j++) {
    const k = Math.floor((n - j) / np) + 1;
    for (let i = 1; i <= k; i++) sub[i - 1] = y[(i - 1) * np + j - 1] ?? 0;
    if (subWeights !== undefined && robustWeights !== undefined) {
      for (let i = 1; i <= k; i++) subWeights[i - 1] = robustWeights[(i - 1) * np + j - 1] ?? 0;
    }
    loessSmooth(sub, k, ns, s.seasonalDegree, s.seasonalJump, subWeights, smooth, 1, work.loessWeights);
    const first = loessEstimate(
      sub,
      k,
      ns,
      s.seasonalDegree,
      0,
      1,
      Math.min(ns, k),
      work.loessWeights,
      subWeights,
    );
    smooth[0] = first ?? smooth[1] ?? 0;
    const last = loessEstimate(
      sub,
      k,
      ns,
      s.seasonalDegree,
      k + 1,
      Math.max(1, k - ns + 1),
      k,
      work.loessWeights,
      subWeights,
    );
    smooth[k + 1] = last ?? smooth[k] ?? 0;
    for (let m = 1; m <= k + 2; m++) out[(m - 1) * np + j - 1] = smooth[m - 1] ?? 0;
  }
}

/** Fortran `stlfts`: moving averages of length np, np and 3; output has `length − 2·np` points. */
function lowPassFilter(
  x: Float64Array,
  length: number,
  np: number,
  out: Float64Array,
  scratch: Float64Array,
): void {
  movingAverage(x, length, np, out);
  movingAverage(out, length - np + 1, np, scratch);
  movingAverage(scratch, length - 2 * np + 2, 3, out);
}

/** Fortran `stlma`: running means of `len` consecutive values; `n − len + 1` outputs. */
function movingAverage(x: Float64Array, n: number, len: number, out: Float64Array): void {
  const outputs = n - len + 1;
  let v = 0;
  for (let i = 0; i < len; i++) v += x[i] ?? 0;
  out[0] = v / len;
  for (let j = 1; j < outputs; j++) {
    v = v - (x[j - 1] ?? 0) + (x[j + len - 1] ?? 0);
    out[j] = v / len;
  }
}

/**
 * Fortran `stless`: loess of `y[0..n)` at every point, evaluated every `jump` points and linearly
 * interpolated between, written to `out[outOffset ..]`.
 */
function loessSmooth(
  y: Float64Array,
  n: number,
  len: number,
  degree: number,
  jump: number,
  robustWeights: Float64Array | undefined,
  out: Float64Array,
  outOffset: number,
  w: Float64Array,
): void {
  if (n < 2) {
    out[outOffset] = y[0] ?? 0;
    return;
  }
  const at = (i: number, nleft: number, nright: number): void => {
    const estimate = loessEstimate(y, n, len, degree, i, nleft, nright, w, robustWeights);
    out[outOffset + i - 1] = estimate ?? y[i - 1] ?? 0;
  };
  const step = Math.min(jump, n - 1);
  let nleft = 1;
  let nright = n;
  if (len >= n) {
    for (let i = 1; i <= n; i += step) at(i, nleft, nright);
  } else if (step === 1) {
    const half = Math.floor((len + 1) / 2);
    nright = len;
    for (let i = 1; i <= n; i++) {
      if (i > half && nright !== n) {
        nleft++;
        nright++;
      }
      at(i, nleft, nright);
    }
  } else {
    const half = Math.floor((len + 1) / 2);
    for (let i = 1; i <= n; i += step) {
      if (i < half) {
        nleft = 1;
        nright = len;
      } else if (i >= n - half + 1) {
        nleft = n - len + 1;
        nright = n;
      } else {
        nleft = i - half + 1;
        nright = len + i - half;
      }
      at(i, nleft, nright);
    }
  }
  if (step === 1) return;
  for (let i = 1; i <= n - step; i += step) {
    const base = out[outOffset + i - 1] ?? 0;
    const delta = ((out[outOffset + i + step - 1] ?? 0) - base) / step;
    for (let j = i + 1; j <= i + step - 1; j++) out[outOffset + j - 1] = base + delta * (j - i);
  }
  const k = Math.floor((n - 1) / step) * step + 1;
  if (k !== n) {
    // The last point reuses the window of the last evaluated one, as the Fortran does.
    at(n, nleft, nright);
    if (k !== n - 1) {
      const base = out[outOffset + k - 1] ?? 0;
      const delta = ((out[outOffset + n - 1] ?? 0) - base) / (n - k);
      for (let j = k + 1; j <= n - 1; j++) out[outOffset + j - 1] = base + delta * (j - k);
    }
  }
}

/**
 * Fortran `stlest`: tricube-weighted local fit (degree 0 or 1) at position `xs` (1-based) using
 * points `nleft..nright`; `undefined` when every weight is zero.
 */
function loessEstimate(
  y: Float64Array,
  n: number,
  len: number,
  degree: number,
  xs: number,
  nleft: number,
  nright: number,
  w: Float64Array,
  robustWeights: Float64Array | undefined,
): number | undefined {
  const range = n - 1;
  let h = Math.max(xs - nleft, nright - xs);
  if (len > n) h += Math.trunc((len - n) / 2);
  const h9 = 0.999 * h;
  const h1 = 0.001 * h;
  let a = 0;
  for (let j = nleft; j <= nright; j++) {
    const r = Math.abs(j - xs);
    let wj = 0;
    if (r <= h9) {
      if (r <= h1) {
        wj = 1;
      } else {
        const q = r / h;
        const t = 1 - q * q * q;
        wj = t * t * t;
      }
      if (robustWeights !== undefined) wj *= robustWeights[j - 1] ?? 0;
      a += wj;
    }
    w[j - 1] = wj;
  }
  if (a <= 0) return undefined;
  for (let j = nleft; j <= nright; j++) w[j - 1] = (w[j - 1] ?? 0) / a;
  if (h > 0 && degree > 0) {
    let center = 0;
    for (let j = nleft; j <= nright; j++) center += (w[j - 1] ?? 0) * j;
    let b = xs - center;
    let c = 0;
    for (let j = nleft; j <= nright; j++) c += (w[j - 1] ?? 0) * (j - center) * (j - center);
    if (Math.sqrt(c) > 0.001 * range) {
      b /= c;
      for (let j = nleft; j <= nright; j++) w[j - 1] = (w[j - 1] ?? 0) * (b * (j - center) + 1);
    }
  }
  let ys = 0;
  for (let j = nleft; j <= nright; j++) ys += (w[j - 1] ?? 0) * (y[j - 1] ?? 0);
  return ys;
}

/** Fortran `stlrwt`: bisquare weights of the residuals scaled by 6 × their median absolute value. */
function robustnessWeights(
  y: Float64Array,
  seasonal: Float64Array,
  trend: Float64Array,
  weights: Float64Array,
): void {
  const n = y.length;
  const residuals = new Float64Array(n);
  for (let i = 0; i < n; i++) residuals[i] = Math.abs((y[i] ?? 0) - (seasonal[i] ?? 0) - (trend[i] ?? 0));
  const sorted = Float64Array.from(residuals).sort();
  const mid1 = Math.floor(n / 2) + 1;
  const mid2 = n - mid1 + 1;
  const cmad = 3 * ((sorted[mid1 - 1] ?? 0) + (sorted[mid2 - 1] ?? 0));
  const c9 = 0.999 * cmad;
  const c1 = 0.001 * cmad;
  for (let i = 0; i < n; i++) {
    const r = residuals[i] ?? 0;
    if (r <= c1) weights[i] = 1;
    else if (r <= c9) weights[i] = (1 - (r / cmad) ** 2) ** 2;
    else weights[i] = 0;
  }
}
