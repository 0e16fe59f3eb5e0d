import { assertHorizon, ModelError, ModelErrorCode } from "../errors.js";
import { DEFAULT_LEVELS, type Forecast, type PredictOptions } from "../forecast.js";
import type { FittedModel, Forecaster, ModelState } from "../forecaster.js";
import { cleanValues } from "../cleaning/clean-values.js";
import { normalIntervals } from "../math/intervals.js";
import type { Series } from "../series.js";
import { goldenSectionMinimum } from "../math/golden-section.js";

export interface DampedTrendState extends ModelState {
  readonly kind: "damped-trend";
  readonly alpha: number;
  readonly beta: number;
  readonly phi: number;
  /** Level after the last observation. */
  readonly level: number;
  /** Trend (per step) after the last observation. */
  readonly slope: number;
  /** Standard deviation of the one-step errors (`sqrt(SSE / (n − 5))`). */
  readonly sigma: number;
  readonly notes: readonly string[];
}

/** Parameter box of R's `ets` "usual" bounds for ETS(A,Ad,N). */
const ALPHA_RANGE = [1e-4, 0.9999] as const;
const PHI_RANGE = [0.8, 0.98] as const;

/**
 * Additive damped trend (Gardner & McKenzie; ETS(A,Ad,N)), the non-seasonal model under
 * `MstlForecaster` by default. Fitted by least squares: for given smoothing parameters the
 * errors are linear in the initial level and slope, which are solved exactly; α, β ≤ α and
 * φ ∈ [0.8, 0.98] come from a grid refined by coordinate-wise golden-section search. A damped slope
 * keeps long horizons sane when the adjusted series drifts. Intervals as ETS class 1 (Hyndman et al.
 * 2008, Table 6.1).
 */
export class DampedTrendForecaster implements Forecaster {
  readonly name = "damped-trend";
  readonly capabilities = { minTrainLength: 3, supportsIntervals: true } as const;

  fit(series: Series): FittedDampedTrend {
    const cleaned = cleanValues(series.values);
    const values = cleaned.values;
    const n = values.length;
    if (n === 0) throw new ModelError(ModelErrorCode.insufficientData, "series has no observations");
    const notes = [...cleaned.notes];
    if (n < 3) {
      notes.push(`only ${n} observation(s): damped trend fell back to naive`);
      const last = values[n - 1] ?? 0;
      return new FittedDampedTrend({
        kind: "damped-trend",
        version: 1,
        alpha: ALPHA_RANGE[1],
        beta: ALPHA_RANGE[0],
        phi: PHI_RANGE[0],
        level: last,
        slope: 0,
        sigma: 0,
        notes,
      });
    }
    // The model is shift-equivariant; fitting around the first value keeps the SSE algebra exact.
    const offset = values[0] ?? 0;
    const shifted = values.map((x) => x - offset);
    const best = searchParameters(shifted);
    const fit = evaluate(shifted, best.alpha, best.beta, best.phi, true);
    const degrees = Math.max(1, n - 5);
    return new FittedDampedTrend({
      kind: "damped-trend",
      version: 1,
      alpha: best.alpha,
      beta: best.beta,
      phi: best.phi,
      level: fit.level + offset,
      slope: fit.slope,
      sigma: Math.sqrt(fit.sse / degrees),
      notes,
    });
  }
}

export class FittedDampedTrend implements FittedModel {
  readonly name = "damped-trend";
  readonly notes: readonly string[];

  constructor(private readonly state: DampedTrendState) {
    this.notes = state.notes;
  }

  predict(horizonSteps: number, options: PredictOptions = {}): Forecast {
    assertHorizon(horizonSteps);
    const { alpha, beta, phi, level, slope, sigma } = this.state;
    const mean: number[] = [];
    const sd: number[] = [];
    let phiSum = 0; // φ + φ² + … + φ^h
    let variance = 0; // Σ_{j<h} c_j², c_j = α + β (φ + … + φ^j)
    let phiPower = 1;
    for (let h = 1; h <= horizonSteps; h++) {
      const cj = alpha + beta * phiSum; // c_{h−1} uses the sum up to φ^{h−1}
      if (h > 1) variance += cj * cj;
      phiPower *= phi;
      phiSum += phiPower;
      mean.push(level + phiSum * slope);
      sd.push(sigma * Math.sqrt(1 + variance));
    }
    return {
      model: this.name,
      mean,
      intervals: normalIntervals(mean, sd, options.levels ?? DEFAULT_LEVELS),
      notes: this.notes,
    };
  }

  /** Runs the smoothing recursions over the new values; missing values take the forecast (zero error). */
  update(newValues: readonly number[]): FittedDampedTrend {
    const { alpha, beta, phi } = this.state;
    let level = this.state.level;
    let slope = this.state.slope;
    for (const y of newValues) {
      const forecast = level + phi * slope;
      const error = Number.isFinite(y) ? y - forecast : 0;
      level = forecast + alpha * error;
      slope = phi * slope + beta * error;
    }
    return new FittedDampedTrend({ ...this.state, level, slope });
  }

  toJSON(): DampedTrendState {
    return this.state;
  }
}

export function restoreDampedTrend(state: ModelState): FittedDampedTrend {
  const candidate = state as Partial<DampedTrendState>;
  const numbers = [
    candidate.alpha,
    candidate.beta,
    candidate.phi,
    candidate.level,
    candidate.slope,
    candidate.sigma,
  ];
  if (state.kind !== "damped-trend" || numbers.some((value) => typeof value !== "number")) {
    throw new ModelError(ModelErrorCode.invalidState, "not a damped-trend state");
  }
  return new FittedDampedTrend({ ...(state as DampedTrendState), notes: candidate.notes ?? [] });
}

interface Parameters {
  readonly alpha: number;
  readonly beta: number;
  readonly phi: number;
}

/**
 * Coordinates in which the box is a cube: α on a logit scale, β as a fraction of α, φ linear.
 */
function toParameters(u: readonly [number, number, number]): Parameters {
  const [a, r, p] = u;
  const alpha = ALPHA_RANGE[0] + (ALPHA_RANGE[1] - ALPHA_RANGE[0]) / (1 + Math.exp(-a));
  const beta = Math.max(ALPHA_RANGE[0], alpha * r);
  return { alpha, beta, phi: p };
}

function searchParameters(values: readonly number[]): Parameters {
  const sse = (u: readonly [number, number, number]): number => {
    const p = toParameters(u);
    return evaluate(values, p.alpha, p.beta, p.phi, false).sse;
  };
  let best: [number, number, number] = [0, 0.1, 0.9];
  let bestSse = Number.POSITIVE_INFINITY;
  for (const a of [-7, -4, -2.5, -1, 0, 1, 2.5, 5]) {
    for (const r of [0.001, 0.02, 0.1, 0.4, 1]) {
      for (const p of [0.8, 0.88, 0.94, 0.98]) {
        const u: [number, number, number] = [a, r, p];
        const value = sse(u);
        if (value < bestSse) {
          bestSse = value;
          best = u;
        }
      }
    }
  }
  const ranges: readonly (readonly [number, number])[] = [
    [-9.2, 9.2],
    [0, 1],
    [PHI_RANGE[0], PHI_RANGE[1]],
  ];
  const spans = [2, 0.15, 0.04];
  for (let round = 0; round < 3; round++) {
    for (let k = 0; k < 3; k++) {
      const [lowest, highest] = ranges[k] ?? [0, 1];
      const span = (spans[k] ?? 1) / (round + 1);
      const centre = best[k] ?? 0;
      const along = (x: number): [number, number, number] => {
        const u: [number, number, number] = [...best];
        u[k] = x;
        return u;
      };
      const x = goldenSection(
        (x) => sse(along(x)),
        Math.max(lowest, centre - span),
        Math.min(highest, centre + span),
      );
      const value = sse(along(x));
      if (value < bestSse) {
        bestSse = value;
        best = along(x);
      }
    }
  }
  return toParameters(best);
}

function goldenSection(f: (x: number) => number, low: number, high: number): number {
  return goldenSectionMinimum(f, low, high, 20);
}

/**
 * SSE and final state at given parameters with least-squares initial level and slope. The state
 * obeys `x_t = D x_{t−1} + g y_t` with `D = F − g wᵀ`, so every error is `e⁰_t − wᵀ D^{t−1} x₀`, with
 * `e⁰` the errors from a zero start: a two-column least-squares problem in `x₀`. During the search
 * the SSE comes from the normal equations; `exact` re-runs the recursions from the solved start for
 * the final state and an SSE free of cancellation.
 */
function evaluate(
  values: readonly number[],
  alpha: number,
  beta: number,
  phi: number,
  exact: boolean,
): { sse: number; level: number; slope: number } {
  // D = [[1 − α, φ − αφ], [−β, φ − βφ]]; M = D^{t−1} tracked as its first row products with w.
  const d11 = 1 - alpha;
  const d12 = phi * (1 - alpha);
  const d21 = -beta;
  const d22 = phi * (1 - beta);
  let m11 = 1;
  let m12 = 0;
  let m21 = 0;
  let m22 = 1;
  let level = 0;
  let slope = 0;
  let s11 = 0;
  let s12 = 0;
  let s22 = 0;
  let t1 = 0;
  let t2 = 0;
  let sumSquares = 0;
  for (const y of values) {
    const e0 = y - level - phi * slope;
    sumSquares += e0 * e0;
    // z = wᵀ M with w = (1, φ)
    const z1 = m11 + phi * m21;
    const z2 = m12 + phi * m22;
    s11 += z1 * z1;
    s12 += z1 * z2;
    s22 += z2 * z2;
    t1 += z1 * e0;
    t2 += z2 * e0;
    level = level + phi * slope + alpha * e0;
    slope = phi * slope + beta * e0;
    const n11 = d11 * m11 + d12 * m21;
    const n12 = d11 * m12 + d12 * m22;
    const n21 = d21 * m11 + d22 * m21;
    const n22 = d21 * m12 + d22 * m22;
    m11 = n11;
    m12 = n12;
    m21 = n21;
    m22 = n22;
  }
  const det = s11 * s22 - s12 * s12;
  let l0 = 0;
  let b0 = 0;
  if (Math.abs(det) > 1e-12 * Math.max(1, s11 * s22)) {
    l0 = (s22 * t1 - s12 * t2) / det;
    b0 = (s11 * t2 - s12 * t1) / det;
  } else if (s11 > 0) {
    l0 = t1 / s11;
  }
  if (!exact)
    return { sse: Math.max(0, sumSquares - l0 * t1 - b0 * t2), level: Number.NaN, slope: Number.NaN };
  // Re-run from the solved start for the exact SSE and final state (cheap, and avoids cancellation).
  level = l0;
  slope = b0;
  let sse = 0;
  for (const y of values) {
    const forecast = level + phi * slope;
    const error = y - forecast;
    sse += error * error;
    level = forecast + alpha * error;
    slope = phi * slope + beta * error;
  }
  return { sse, level, slope };
}
