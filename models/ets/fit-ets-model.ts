import { nelderMead } from "../math/nelder-mead.js";
import { etsInitialStates } from "./ets-initial-states.js";
import {
  etsFilter,
  etsKernel,
  etsObjective,
  type EtsParameters,
  type EtsStateVector,
} from "./ets-recursion.js";
import { etsParameterCount, type EtsSpec } from "./ets-spec.js";
import { refineInitialStates } from "./refine-initial-states.js";

/** One spec fitted by maximum likelihood. */
export interface EtsModelFit {
  readonly spec: EtsSpec;
  /** Seasonal period used (1 for non-seasonal specs). */
  readonly period: number;
  readonly parameters: EtsParameters;
  /** States before the first observation (`season[j]` applies to observation `j`). */
  readonly initial: EtsStateVector;
  /** States after the last observation. */
  readonly final: EtsStateVector;
  /** Log-likelihood up to the same constant as R's `ets`: `−½·(n·log Σe² + 2·Σlog|ŷ|)`. */
  readonly logLikelihood: number;
  /** AICc; `Infinity` when there are too few observations for the correction. */
  readonly aicc: number;
  /** Residual variance `Σe²/(n − k + 1)` (R's `sigma2`; relative errors for multiplicative error). */
  readonly sigma2: number;
  /** Estimated quantities `k`, sigma included. */
  readonly parameterCount: number;
  /** Likelihood evaluations spent (a sensitivity pass counts as one). */
  readonly evaluations: number;
}

/** R's "usual" region: 1e-4 ≤ α ≤ 0.9999, 1e-4 ≤ β ≤ α, 1e-4 ≤ γ ≤ 1 − α, 0.8 ≤ φ ≤ 0.98. */
export const ETS_BOUNDS = {
  smoothingLower: 1e-4,
  smoothingUpper: 0.9999,
  phiLower: 0.8,
  phiUpper: 0.98,
} as const;

const MAX_EVALUATIONS = 1000;
const TOLERANCE = 1e-8;
const SMOOTHING_STEP = 0.1;
const PHI_STEP = 0.02;
const GRID_ALPHA = [0.1, 0.5, 0.9, 0.99];
/** Grid of the fractions `(β − lo)/(α − lo)` and `(γ − lo)/(1 − α − lo)`. */
const GRID_FRACTION = [0.1, 0.9];
const GRID_PHI = [0.85, 0.97];
/** Gauss–Newton iterations per refinement of the initial states. */
const REFINE_ITERATIONS = 5;

/**
 * Fits one spec by maximum likelihood, alternating two cheap optimizers instead of R's single
 * Nelder–Mead over every parameter and state (up to 30 dimensions for hourly data):
 *
 * 1. the smoothing parameters (α, β, γ, φ) by bounded Nelder–Mead, started from the best point of a
 *    coarse grid because the likelihood is multimodal (optima often lie on β = α or γ = 1 − α);
 *    `β ≤ α` and `γ ≤ 1 − α` are kept by optimizing the fractions `(β − lo)/(α − lo)` and
 *    `(γ − lo)/(1 − α − lo)` in [0, 1];
 * 2. the initial level and all seasonal states by Gauss–Newton ({@link refineInitialStates});
 *
 * then a Nelder–Mead restart and a second refinement. Gauss–Newton also refines the initial slope of
 * non-seasonal models; seasonal models keep the heuristic slope (a regression on the first two
 * seasons, as R's `initstate`): there a likelihood-estimated slope tends to act as a one-step
 * correction (with α ≈ 1, β ≈ 0) that extrapolates as a spurious drift — on M4 hourly series
 * H1–H150 it raised the sMAPE of automatic ETS from 14.4 to 17.6, while on the non-seasonal weekly
 * series W1–W200 estimating it lowered the sMAPE from 6.8 to 6.6. Returns `undefined` when no finite
 * likelihood was found.
 */
export function fitEtsModel(values: Float64Array, spec: EtsSpec, period: number): EtsModelFit | undefined {
  const n = values.length;
  const kernel = etsKernel(spec, period);
  const m = kernel.period;
  const start = etsInitialStates(values, spec, m);
  const seasonWork = new Float64Array(m);
  const trended = spec.trend !== "N";
  const damped = spec.trend === "Ad";
  const seasonal = spec.season !== "N";
  const { smoothingLower: lo, smoothingUpper: hi, phiLower, phiUpper } = ETS_BOUNDS;

  // Coordinates: alpha, [betaFraction], [gammaFraction], [phi].
  const betaIndex = trended ? 1 : -1;
  const gammaIndex = seasonal ? (trended ? 2 : 1) : -1;
  const phiIndex = damped ? 1 + (trended ? 1 : 0) + (seasonal ? 1 : 0) : -1;
  const lower: number[] = [lo];
  const upper: number[] = [hi];
  const steps: number[] = [SMOOTHING_STEP];
  if (trended) bound(0, 1, SMOOTHING_STEP);
  if (seasonal) bound(0, 1, SMOOTHING_STEP);
  if (damped) bound(phiLower, phiUpper, PHI_STEP);

  const decode = (x: ArrayLike<number>): EtsParameters => {
    const alpha = x[0]!;
    return {
      alpha,
      beta: trended ? lo + x[betaIndex]! * (alpha - lo) : 0,
      gamma: seasonal ? lo + x[gammaIndex]! * (1 - alpha - lo) : 0,
      phi: damped ? x[phiIndex]! : 1,
    };
  };
  let level = start.level;
  let slope = start.slope;
  // Seasonal models keep the heuristic slope (see the function comment).
  const fixSlope = seasonal;
  let season = start.season;
  const objective = (x: ArrayLike<number>): number => {
    const alpha = x[0]!;
    return etsObjective(
      values,
      kernel,
      alpha,
      trended ? lo + x[betaIndex]! * (alpha - lo) : 0,
      seasonal ? lo + x[gammaIndex]! * (1 - alpha - lo) : 0,
      damped ? x[phiIndex]! : 1,
      level,
      slope,
      season,
      seasonWork,
    );
  };

  let evaluations = 0;
  const x0 = lower.map(() => 0);
  const trial = [...x0];
  let startValue = Number.POSITIVE_INFINITY;
  for (const alpha of GRID_ALPHA) {
    for (const betaFraction of trended ? GRID_FRACTION : [0]) {
      for (const gammaFraction of seasonal ? GRID_FRACTION : [0]) {
        for (const phi of damped ? GRID_PHI : [1]) {
          trial[0] = alpha;
          if (trended) trial[betaIndex] = betaFraction;
          if (seasonal) trial[gammaIndex] = gammaFraction;
          if (damped) trial[phiIndex] = phi;
          const value = objective(trial);
          evaluations++;
          if (value < startValue) {
            startValue = value;
            for (let i = 0; i < trial.length; i++) x0[i] = trial[i]!;
          }
        }
      }
    }
  }

  const options = { lower, upper, maxEvaluations: MAX_EVALUATIONS, tolerance: TOLERANCE };
  const first = nelderMead(objective, x0, { ...options, initialStep: steps });
  evaluations += first.evaluations;
  if (!Number.isFinite(first.value)) return undefined;
  let bestX = first.x;
  let bestValue = refine(bestX, first.value);
  // The restart rebuilds a simplex that may have collapsed against a bound, now with better states.
  const second = nelderMead(objective, bestX, { ...options, initialStep: steps.map((step) => step / 2) });
  evaluations += second.evaluations;
  if (second.value <= bestValue) {
    bestX = second.x;
    bestValue = second.value;
  }
  refine(bestX, bestValue);

  const parameters = decode(bestX);
  const initial: EtsStateVector = { level, slope, season: Array.from(season) };
  const filtered = etsFilter(values, kernel, parameters, initial);
  if (!Number.isFinite(filtered.objective) || !Number.isFinite(filtered.final.level)) return undefined;

  const k = etsParameterCount(spec, m);
  const logLikelihood = -0.5 * filtered.objective;
  const aic = filtered.objective + 2 * k;
  const aicc = n - k - 1 > 0 ? aic + (2 * k * (k + 1)) / (n - k - 1) : Number.POSITIVE_INFINITY;
  const sigma2 = filtered.sumSquares / (n - k + 1 > 0 ? n - k + 1 : n);
  return {
    spec,
    period: m,
    parameters,
    initial,
    final: filtered.final,
    logLikelihood,
    aicc,
    sigma2,
    parameterCount: k,
    evaluations,
  };

  function bound(min: number, max: number, step: number): void {
    lower.push(min);
    upper.push(max);
    steps.push(step);
  }

  /** Refines level and seasonal states for the parameters `x`; returns the new objective. */
  function refine(x: readonly number[], value: number): number {
    const refined = refineInitialStates(values, kernel, decode(x), { level, slope, season }, value, {
      iterations: REFINE_ITERATIONS,
      fixSlope,
    });
    evaluations += refined.evaluations;
    level = refined.level;
    slope = refined.slope;
    season = refined.season;
    return refined.objective;
  }
}
