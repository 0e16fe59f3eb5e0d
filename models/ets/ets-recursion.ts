import type { SeededRandom } from "../math/seeded-random.js";
import type { EtsSpec } from "./ets-spec.js";

/**
 * The state recursion of the ETS family in the form of Hyndman, Koehler, Ord & Snyder (2008),
 * written in terms of the observation as R's `etscalc` does. Expressed that way the state update does
 * not depend on the error type: the error type only changes the likelihood and the simulation.
 */

/** Smoothing parameters; absent components take neutral values (`beta` 0, `gamma` 0, `phi` 1). */
export interface EtsParameters {
  readonly alpha: number;
  readonly beta: number;
  readonly gamma: number;
  readonly phi: number;
}

/** Level, slope and seasonal states at one time. `season[j]` applies to the observation `j + 1` steps later. */
export interface EtsStateVector {
  readonly level: number;
  /** 0 for models without trend. */
  readonly slope: number;
  /** Length `period` for seasonal models, empty otherwise. */
  readonly season: readonly number[];
}

/** Spec compiled to flags for the inner loops. */
export interface EtsKernel {
  readonly multiplicativeError: boolean;
  readonly trended: boolean;
  /** 0 none, 1 additive, 2 multiplicative. */
  readonly seasonKind: 0 | 1 | 2;
  /** Seasonal period; 1 for non-seasonal models. */
  readonly period: number;
}

// Guards of R's etscalc: forecasts this close to zero are nudged; dividing by them gives a huge value.
const TOLERANCE = 1e-10;
const HUGE = 1e10;
// R clamps the objective so that perfect fits do not send the optimizer to -Infinity.
const OBJECTIVE_FLOOR = -1e10;

export function etsKernel(spec: EtsSpec, period: number): EtsKernel {
  const seasonKind = spec.season === "N" ? 0 : spec.season === "A" ? 1 : 2;
  return {
    multiplicativeError: spec.error === "M",
    trended: spec.trend !== "N",
    seasonKind,
    period: seasonKind === 0 ? 1 : period,
  };
}

/**
 * −2·log-likelihood up to a constant, as R's `ets` computes it: `n·log(Σe²) + 2·Σlog|ŷ|`, the second
 * term only for multiplicative errors (where `e = (y − ŷ)/ŷ`). Returns `Infinity` when the recursion
 * breaks down. The hot path of fitting: no allocation; `seasonWork` is scratch of length `period`.
 *
 * The loops are latency-bound, so the level/slope update is expanded into
 * `l' = (1−α)·l + (1−α)φ·b + α·a` and `b' = φ(1−β)·b − β·l + β·a` (with `a` the seasonally adjusted
 * observation): algebraically R's `b' = φb + (β/α)(l' − l − φb)`, with a shorter dependency chain.
 */
export function etsObjective(
  y: Float64Array,
  kernel: EtsKernel,
  alpha: number,
  beta: number,
  gamma: number,
  phi: number,
  level0: number,
  slope0: number,
  season0: Float64Array,
  seasonWork: Float64Array,
): number {
  const coefficients: LoopCoefficients = {
    alpha,
    beta: kernel.trended ? beta : 0,
    gamma,
    phi: kernel.trended ? phi : 0,
    multiplicativeError: kernel.multiplicativeError,
  };
  const slope = kernel.trended ? slope0 : 0;
  let value: number;
  if (kernel.seasonKind === 0) {
    value = objectiveNonSeasonal(y, coefficients, level0, slope);
  } else {
    seasonWork.set(season0);
    value =
      kernel.seasonKind === 1
        ? objectiveAdditiveSeason(y, coefficients, level0, slope, seasonWork, kernel.period)
        : objectiveMultiplicativeSeason(y, coefficients, level0, slope, seasonWork, kernel.period);
  }
  if (Number.isNaN(value)) return Number.POSITIVE_INFINITY;
  return value < OBJECTIVE_FLOOR ? OBJECTIVE_FLOOR : value;
}

interface LoopCoefficients {
  readonly alpha: number;
  /** 0 without trend. */
  readonly beta: number;
  readonly gamma: number;
  /** 0 without trend, so the slope stays 0. */
  readonly phi: number;
  readonly multiplicativeError: boolean;
}

// Σlog|ŷ| is accumulated as a running product, taking a logarithm only when the product leaves
// [LOG_FLUSH_LOW, LOG_FLUSH_HIGH] (or a factor is extreme): Math.log per step would double the cost.
const LOG_FLUSH_HIGH = 1e150;
const LOG_FLUSH_LOW = 1e-150;
const FACTOR_HIGH = 1e100;
const FACTOR_LOW = 1e-100;

function objectiveNonSeasonal(y: Float64Array, k: LoopCoefficients, level0: number, slope0: number): number {
  const n = y.length;
  const { alpha, beta, phi, multiplicativeError } = k;
  const levelFromLevel = 1 - alpha;
  const levelFromSlope = (1 - alpha) * phi;
  const slopeFromSlope = phi * (1 - beta);
  let level = level0;
  let slope = slope0;
  let sumSquares = 0;
  let sumLog = 0;
  let product = 1;
  for (let t = 0; t < n; t++) {
    const observed = y[t]!;
    const forecast = level + phi * slope;
    let error: number;
    if (multiplicativeError) {
      const guarded = forecast > -TOLERANCE && forecast < TOLERANCE ? forecast + TOLERANCE : forecast;
      error = (observed - guarded) / guarded;
      const size = guarded < 0 ? -guarded : guarded;
      if (size > FACTOR_HIGH || size < FACTOR_LOW) {
        sumLog += Math.log(size);
      } else {
        product *= size;
        if (product > LOG_FLUSH_HIGH || product < LOG_FLUSH_LOW) {
          sumLog += Math.log(product);
          product = 1;
        }
      }
    } else {
      error = observed - forecast;
    }
    sumSquares += error * error;
    const newLevel = levelFromLevel * level + levelFromSlope * slope + alpha * observed;
    slope = slopeFromSlope * slope - beta * level + beta * observed;
    level = newLevel;
  }
  return n * Math.log(sumSquares) + (multiplicativeError ? 2 * (sumLog + Math.log(product)) : 0);
}

function objectiveAdditiveSeason(
  y: Float64Array,
  k: LoopCoefficients,
  level0: number,
  slope0: number,
  season: Float64Array,
  m: number,
): number {
  const n = y.length;
  const { alpha, beta, gamma, phi, multiplicativeError } = k;
  const levelFromLevel = 1 - alpha;
  const levelFromSlope = (1 - alpha) * phi;
  const slopeFromSlope = phi * (1 - beta);
  let level = level0;
  let slope = slope0;
  let sumSquares = 0;
  let sumLog = 0;
  let product = 1;
  let phase = 0;
  for (let t = 0; t < n; t++) {
    const observed = y[t]!;
    const base = level + phi * slope;
    const seasonal = season[phase]!;
    const forecast = base + seasonal;
    let error: number;
    if (multiplicativeError) {
      const guarded = forecast > -TOLERANCE && forecast < TOLERANCE ? forecast + TOLERANCE : forecast;
      error = (observed - guarded) / guarded;
      const size = guarded < 0 ? -guarded : guarded;
      if (size > FACTOR_HIGH || size < FACTOR_LOW) {
        sumLog += Math.log(size);
      } else {
        product *= size;
        if (product > LOG_FLUSH_HIGH || product < LOG_FLUSH_LOW) {
          sumLog += Math.log(product);
          product = 1;
        }
      }
    } else {
      error = observed - forecast;
    }
    sumSquares += error * error;
    const adjusted = observed - seasonal;
    const newLevel = levelFromLevel * level + levelFromSlope * slope + alpha * adjusted;
    slope = slopeFromSlope * slope - beta * level + beta * adjusted;
    season[phase] = seasonal + gamma * (observed - base - seasonal);
    level = newLevel;
    phase++;
    if (phase === m) phase = 0;
  }
  return n * Math.log(sumSquares) + (multiplicativeError ? 2 * (sumLog + Math.log(product)) : 0);
}

function objectiveMultiplicativeSeason(
  y: Float64Array,
  k: LoopCoefficients,
  level0: number,
  slope0: number,
  season: Float64Array,
  m: number,
): number {
  const n = y.length;
  const { alpha, beta, gamma, phi, multiplicativeError } = k;
  const levelFromLevel = 1 - alpha;
  const levelFromSlope = (1 - alpha) * phi;
  const slopeFromSlope = phi * (1 - beta);
  let level = level0;
  let slope = slope0;
  let sumSquares = 0;
  let sumLog = 0;
  let product = 1;
  let phase = 0;
  for (let t = 0; t < n; t++) {
    const observed = y[t]!;
    const base = level + phi * slope;
    const seasonal = season[phase]!;
    const forecast = base * seasonal;
    let error: number;
    if (multiplicativeError) {
      const guarded = forecast > -TOLERANCE && forecast < TOLERANCE ? forecast + TOLERANCE : forecast;
      error = (observed - guarded) / guarded;
      const size = guarded < 0 ? -guarded : guarded;
      if (size > FACTOR_HIGH || size < FACTOR_LOW) {
        sumLog += Math.log(size);
      } else {
        product *= size;
        if (product > LOG_FLUSH_HIGH || product < LOG_FLUSH_LOW) {
          sumLog += Math.log(product);
          product = 1;
        }
      }
    } else {
      error = observed - forecast;
    }
    sumSquares += error * error;
    const adjusted = seasonal > -TOLERANCE && seasonal < TOLERANCE ? HUGE : observed / seasonal;
    const newLevel = levelFromLevel * level + levelFromSlope * slope + alpha * adjusted;
    slope = slopeFromSlope * slope - beta * level + beta * adjusted;
    season[phase] =
      seasonal + gamma * ((base > -TOLERANCE && base < TOLERANCE ? HUGE : observed / base) - seasonal);
    level = newLevel;
    phase++;
    if (phase === m) phase = 0;
  }
  return n * Math.log(sumSquares) + (multiplicativeError ? 2 * (sumLog + Math.log(product)) : 0);
}

/** Result of running the recursion over observations. */
export interface EtsFilterResult {
  /** State after the last observation. */
  readonly final: EtsStateVector;
  /** One-step errors: `y − ŷ` (additive) or `(y − ŷ)/ŷ` (multiplicative); 0 where `y` was missing. */
  readonly residuals: Float64Array;
  /** Sum of squared residuals. */
  readonly sumSquares: number;
  /** Same value as {@link etsObjective}. */
  readonly objective: number;
  /** Observations that were missing and replaced by their one-step forecast. */
  readonly missing: number;
}

/**
 * Runs the recursion from `initial` through `values`, keeping the residuals. A missing value (`NaN`)
 * is replaced by its one-step forecast, so the states advance with a zero error.
 */
export function etsFilter(
  values: ArrayLike<number>,
  kernel: EtsKernel,
  parameters: EtsParameters,
  initial: EtsStateVector,
): EtsFilterResult {
  const n = values.length;
  const m = kernel.period;
  const { alpha, beta, gamma, phi } = parameters;
  const residuals = new Float64Array(n);
  const season = Float64Array.from(initial.season);
  let level = initial.level;
  let slope = kernel.trended ? initial.slope : 0;
  const damping = kernel.trended ? phi : 0;
  const betaRatio = kernel.trended && alpha > 0 ? beta / alpha : 0;
  let sumSquares = 0;
  let sumLog = 0;
  let missing = 0;
  let observedCount = 0;
  for (let t = 0; t < n; t++) {
    const phase = t % m;
    const dampedSlope = damping * slope;
    const base = level + dampedSlope;
    const seasonal = kernel.seasonKind === 0 ? 0 : season[phase]!;
    const forecast =
      kernel.seasonKind === 0 ? base : kernel.seasonKind === 1 ? base + seasonal : base * seasonal;
    let observed = values[t]!;
    if (!Number.isFinite(observed)) {
      observed = forecast;
      missing++;
    } else {
      observedCount++;
      let error: number;
      if (kernel.multiplicativeError) {
        const guarded = Math.abs(forecast) < TOLERANCE ? forecast + TOLERANCE : forecast;
        error = (observed - guarded) / guarded;
        sumLog += Math.log(Math.abs(guarded));
      } else {
        error = observed - forecast;
      }
      residuals[t] = error;
      sumSquares += error * error;
    }
    const adjusted =
      kernel.seasonKind === 0
        ? observed
        : kernel.seasonKind === 1
          ? observed - seasonal
          : Math.abs(seasonal) < TOLERANCE
            ? HUGE
            : observed / seasonal;
    const newLevel = base + alpha * (adjusted - base);
    slope = dampedSlope + betaRatio * (newLevel - level - dampedSlope);
    if (kernel.seasonKind === 1) {
      season[phase] = seasonal + gamma * (observed - base - seasonal);
    } else if (kernel.seasonKind === 2) {
      const ratio = Math.abs(base) < TOLERANCE ? HUGE : observed / base;
      season[phase] = seasonal + gamma * (ratio - seasonal);
    }
    level = newLevel;
  }
  const rotated: number[] = [];
  if (kernel.seasonKind !== 0) {
    for (let j = 0; j < m; j++) rotated.push(season[(n + j) % m]!);
  }
  const objective = observedCount * Math.log(sumSquares) + 2 * sumLog;
  return {
    final: { level, slope, season: rotated },
    residuals,
    sumSquares,
    objective: Number.isNaN(objective) ? Number.POSITIVE_INFINITY : Math.max(objective, OBJECTIVE_FLOOR),
    missing,
  };
}

/** Point forecasts: the recursion with all future errors zero (R's point forecast for every class). */
export function etsPointForecast(
  kernel: EtsKernel,
  parameters: EtsParameters,
  state: EtsStateVector,
  horizonSteps: number,
): number[] {
  const mean: number[] = [];
  const phi = kernel.trended ? parameters.phi : 0;
  let slopeSum = 0;
  let phiPower = 1;
  for (let h = 1; h <= horizonSteps; h++) {
    phiPower *= phi;
    slopeSum += phiPower;
    const base = state.level + slopeSum * state.slope;
    const seasonal = kernel.seasonKind === 0 ? 0 : state.season[(h - 1) % kernel.period]!;
    mean.push(kernel.seasonKind === 0 ? base : kernel.seasonKind === 1 ? base + seasonal : base * seasonal);
  }
  return mean;
}

/**
 * Forecast variances of the linear class (additive error, no multiplicative season), Hyndman et al.
 * (2008) §6.2: `v_h = σ²·(1 + Σ_{j<h} c_j²)` with `c_j = α + β·φ_j + γ·[j mod m = 0]`, where
 * `φ_j = j` without damping and `φ(1 − φ^j)/(1 − φ)` with it.
 */
export function etsLinearVariances(
  kernel: EtsKernel,
  parameters: EtsParameters,
  sigma2: number,
  horizonSteps: number,
): number[] {
  const { alpha, beta, gamma, phi } = parameters;
  const variances: number[] = [];
  let sumSquares = 0;
  let dampedSum = 0;
  let phiPower = 1;
  for (let h = 1; h <= horizonSteps; h++) {
    variances.push(sigma2 * (1 + sumSquares));
    // Add c_h for the next horizon.
    const j = h;
    let c = alpha;
    if (kernel.trended) {
      phiPower *= phi;
      dampedSum += phiPower;
      c += beta * dampedSum;
    }
    if (kernel.seasonKind === 1 && j % kernel.period === 0) c += gamma;
    sumSquares += c * c;
  }
  return variances;
}

/**
 * Simulated future sample paths `paths[k][h]` with Gaussian errors of variance `sigma2`
 * (relative errors for multiplicative-error models), drawn from `random`.
 */
export function etsSimulatePaths(
  kernel: EtsKernel,
  parameters: EtsParameters,
  state: EtsStateVector,
  sigma2: number,
  horizonSteps: number,
  pathCount: number,
  random: SeededRandom,
): number[][] {
  const m = kernel.period;
  const { alpha, beta, gamma } = parameters;
  const damping = kernel.trended ? parameters.phi : 0;
  const betaRatio = kernel.trended && alpha > 0 ? beta / alpha : 0;
  const sigma = Math.sqrt(sigma2);
  const season = new Float64Array(Math.max(1, state.season.length));
  const paths: number[][] = [];
  for (let k = 0; k < pathCount; k++) {
    if (kernel.seasonKind !== 0) season.set(state.season);
    let level = state.level;
    let slope = kernel.trended ? state.slope : 0;
    const path: number[] = [];
    for (let h = 0; h < horizonSteps; h++) {
      const phase = h % m;
      const dampedSlope = damping * slope;
      const base = level + dampedSlope;
      const seasonal = kernel.seasonKind === 0 ? 0 : season[phase]!;
      const forecast =
        kernel.seasonKind === 0 ? base : kernel.seasonKind === 1 ? base + seasonal : base * seasonal;
      const shock = sigma * random.normal();
      const observed = kernel.multiplicativeError ? forecast * (1 + shock) : forecast + shock;
      path.push(observed);
      const adjusted =
        kernel.seasonKind === 0
          ? observed
          : kernel.seasonKind === 1
            ? observed - seasonal
            : Math.abs(seasonal) < TOLERANCE
              ? HUGE
              : observed / seasonal;
      const newLevel = base + alpha * (adjusted - base);
      slope = dampedSlope + betaRatio * (newLevel - level - dampedSlope);
      if (kernel.seasonKind === 1) {
        season[phase] = seasonal + gamma * (observed - base - seasonal);
      } else if (kernel.seasonKind === 2) {
        const ratio = Math.abs(base) < TOLERANCE ? HUGE : observed / base;
        season[phase] = seasonal + gamma * (ratio - seasonal);
      }
      level = newLevel;
    }
    paths.push(path);
  }
  return paths;
}
