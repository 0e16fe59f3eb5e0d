import { etsObjective, type EtsKernel, type EtsParameters } from "./ets-recursion.js";

/** Initial states being refined; `season[j]` applies to observation `j`. */
export interface InitialStateGuess {
  readonly level: number;
  readonly slope: number;
  readonly season: Float64Array;
}

/** Outcome of {@link refineInitialStates}. */
export interface RefinedInitialStates extends InitialStateGuess {
  /** Objective ({@link etsObjective}) at the refined states. */
  readonly objective: number;
  /** Objective evaluations, counting each sensitivity pass as one. */
  readonly evaluations: number;
}

/** Settings of {@link refineInitialStates}. */
export interface RefineOptions {
  /** Most Gauss–Newton steps. */
  readonly iterations: number;
  /** Keep the slope at its guess (only level and seasonal states move). */
  readonly fixSlope: boolean;
}

const TOLERANCE = 1e-10;
const HUGE = 1e10;
const MAX_STEP_HALVINGS = 8;
/** Time steps per block update of the Gauss–Newton matrix. */
const BLOCK = 8;

/**
 * Improves the initial states (level, slope and all seasonal states) for fixed smoothing parameters
 * with damped Gauss–Newton steps on the likelihood, as R's `ets` improves them inside its optimizer
 * but at a fraction of the cost: one pass computes the one-step errors and their exact derivatives
 * with respect to the initial states (forward-mode differentiation of the recursion), a linear solve
 * gives the step, and a backtracking line search on the true objective keeps only improvements.
 *
 * The seasonal states stay normalized (sum 0 additive, sum `period` multiplicative): the last one is
 * determined by the others, as in R.
 */
export function refineInitialStates(
  y: Float64Array,
  kernel: EtsKernel,
  parameters: EtsParameters,
  guess: InitialStateGuess,
  objective: number,
  options: RefineOptions,
): RefinedInitialStates {
  const { iterations, fixSlope } = options;
  const m = kernel.period;
  const seasonKind = kernel.seasonKind;
  const trended = kernel.trended;
  // Full coordinates: level, [slope], season[0..m-1]; free ones drop the last seasonal state.
  const slopeColumn = trended ? 1 : -1;
  const seasonColumn = trended ? 2 : 1;
  const full = seasonColumn + (seasonKind === 0 ? 0 : m);
  const free = seasonKind === 0 ? full : full - 1;

  let level = guess.level;
  let slope = trended ? guess.slope : 0;
  const season = Float64Array.from(guess.season);
  const trialSeason = new Float64Array(season.length);
  const seasonWork = new Float64Array(Math.max(1, m));
  let best = objective;
  let evaluations = 0;

  const gradientFull = new Float64Array(full);
  const hessianFull = new Float64Array(full * full);
  const gradient = new Float64Array(free);
  let factor: Float64Array | undefined;
  const step = new Float64Array(free);
  const work = new SensitivityWork(full, m);
  const n = y.length;

  for (let iteration = 0; iteration < iterations; iteration++) {
    // The Gauss–Newton matrix Σ ∂e ∂eᵀ is computed and factored once (it costs n·k² against n·k for
    // the gradient); later steps reuse it with a fresh gradient and error scale.
    const sumSquares = accumulateNormalEquations(
      y,
      kernel,
      parameters,
      level,
      slope,
      season,
      work,
      gradientFull,
      factor === undefined ? hessianFull : undefined,
    );
    evaluations++;
    if (!(sumSquares > 0) || !Number.isFinite(sumSquares)) break;
    projectGradient(gradientFull, full, free, seasonColumn, gradient);
    if (factor === undefined) {
      factor = new Float64Array(free * free);
      projectHessian(hessianFull, full, free, seasonColumn, factor);
      if (fixSlope && trended) {
        for (let i = 0; i < free; i++) {
          factor[i * free + slopeColumn] = 0;
          factor[slopeColumn * free + i] = 0;
        }
      }
      // Slight Levenberg damping keeps the factorization well posed for weakly identified states.
      for (let i = 0; i < free; i++) {
        const diagonal = factor[i * free + i]!;
        factor[i * free + i] = diagonal > 0 ? diagonal * (1 + 1e-6) : 1;
      }
      if (!choleskyFactor(factor, free)) break;
    }
    if (fixSlope && trended) gradient[slopeColumn] = 0;
    choleskySolve(factor, gradient, step, free);
    // The objective's Gauss–Newton Hessian is (2n/S)·Σ ∂e ∂eᵀ.
    const weight = sumSquares / (2 * n);
    for (let i = 0; i < free; i++) step[i] = step[i]! * weight;

    let scale = 1;
    let improved = false;
    for (let halving = 0; halving <= MAX_STEP_HALVINGS; halving++) {
      const trialLevel = level - scale * step[0]!;
      const trialSlope = trended ? slope - scale * step[slopeColumn]! : 0;
      if (seasonKind !== 0) {
        let sum = 0;
        for (let j = 0; j < m - 1; j++) {
          const value = season[j]! - scale * step[seasonColumn + j]!;
          trialSeason[j] = value;
          sum += value;
        }
        trialSeason[m - 1] = (seasonKind === 2 ? m : 0) - sum;
      }
      const value = etsObjective(
        y,
        kernel,
        parameters.alpha,
        parameters.beta,
        parameters.gamma,
        parameters.phi,
        trialLevel,
        trialSlope,
        trialSeason,
        seasonWork,
      );
      evaluations++;
      if (value < best) {
        const gain = best - value;
        best = value;
        level = trialLevel;
        slope = trialSlope;
        season.set(trialSeason);
        improved = gain > 1e-6 * (Math.abs(best) + 1);
        break;
      }
      scale *= 0.5;
    }
    if (!improved) break;
  }
  return { level, slope, season, objective: best, evaluations };
}

/**
 * Gradient of {@link etsObjective} with respect to the initial states in full coordinates
 * `[level, slope (trended only), season[0..period−1] (seasonal only)]`, by forward-mode
 * differentiation; exposed so tests can check it against finite differences.
 */
export function initialStateGradient(
  y: Float64Array,
  kernel: EtsKernel,
  parameters: EtsParameters,
  guess: InitialStateGuess,
): Float64Array {
  const full = (kernel.trended ? 2 : 1) + (kernel.seasonKind === 0 ? 0 : kernel.period);
  const gradient = new Float64Array(full);
  accumulateNormalEquations(
    y,
    kernel,
    parameters,
    guess.level,
    kernel.trended ? guess.slope : 0,
    guess.season,
    new SensitivityWork(full, kernel.period),
    gradient,
    undefined,
  );
  return gradient;
}

/** Scratch for the sensitivity pass: derivative rows of level, slope and every seasonal state. */
class SensitivityWork {
  readonly dLevel: Float64Array;
  readonly dSlope: Float64Array;
  readonly dSeason: Float64Array;
  readonly dBase: Float64Array;
  readonly dForecast: Float64Array;
  readonly dLevelNew: Float64Array;
  /** `BLOCK` rows of ∂e, column-major. */
  readonly block: Float64Array;

  constructor(full: number, m: number) {
    this.dLevel = new Float64Array(full);
    this.dSlope = new Float64Array(full);
    this.dSeason = new Float64Array(full * Math.max(1, m));
    this.dBase = new Float64Array(full);
    this.dForecast = new Float64Array(full);
    this.dLevelNew = new Float64Array(full);
    this.block = new Float64Array(full * BLOCK);
  }
}

/**
 * One pass of the recursion that also propagates derivatives with respect to the initial states:
 * fills `gradient` with the exact gradient of the objective `n·log S + 2·Σlog|ŷ|` (`S = Σe²`) and,
 * when given, `hessian` with the upper and lower triangles of `Σ ∂e ∂eᵀ`. Returns `S`.
 */
function accumulateNormalEquations(
  y: Float64Array,
  kernel: EtsKernel,
  parameters: EtsParameters,
  level0: number,
  slope0: number,
  season0: Float64Array,
  work: SensitivityWork,
  gradient: Float64Array,
  hessian: Float64Array | undefined,
): number {
  const n = y.length;
  const full = gradient.length;
  const m = kernel.period;
  const seasonKind = kernel.seasonKind;
  const trended = kernel.trended;
  const multiplicativeError = kernel.multiplicativeError;
  const { alpha, gamma } = parameters;
  const phi = trended ? parameters.phi : 0;
  const ratio = trended ? parameters.beta / alpha : 0;
  const seasonColumn = trended ? 2 : 1;
  const { dLevel, dSlope, dSeason, dBase, dForecast, dLevelNew } = work;

  dLevel.fill(0);
  dSlope.fill(0);
  dSeason.fill(0);
  dLevel[0] = 1;
  if (trended) dSlope[1] = 1;
  const season = Float64Array.from(season0);
  if (seasonKind !== 0) for (let p = 0; p < m; p++) dSeason[p * full + seasonColumn + p] = 1;

  const errorGradient = new Float64Array(full);
  const logGradient = new Float64Array(full);
  hessian?.fill(0);
  const block = work.block;
  let buffered = 0;
  let level = level0;
  let slope = slope0;
  let sumSquares = 0;
  let phase = 0;
  for (let t = 0; t < n; t++) {
    const observed = y[t]!;
    const base = level + phi * slope;
    const seasonal = seasonKind === 0 ? 0 : season[phase]!;
    const row = phase * full;
    for (let i = 0; i < full; i++) dBase[i] = dLevel[i]! + phi * dSlope[i]!;
    let forecast: number;
    if (seasonKind === 0) {
      forecast = base;
      dForecast.set(dBase);
    } else if (seasonKind === 1) {
      forecast = base + seasonal;
      for (let i = 0; i < full; i++) dForecast[i] = dBase[i]! + dSeason[row + i]!;
    } else {
      forecast = base * seasonal;
      for (let i = 0; i < full; i++) dForecast[i] = seasonal * dBase[i]! + base * dSeason[row + i]!;
    }
    let error: number;
    let errorScale: number; // d e / d ŷ
    if (multiplicativeError) {
      const guarded = Math.abs(forecast) < TOLERANCE ? forecast + TOLERANCE : forecast;
      error = (observed - guarded) / guarded;
      errorScale = -observed / (guarded * guarded);
      const inverse = 1 / guarded;
      for (let i = 0; i < full; i++) logGradient[i] = logGradient[i]! + inverse * dForecast[i]!;
    } else {
      error = observed - forecast;
      errorScale = -1;
    }
    sumSquares += error * error;
    // dForecast becomes d e; accumulate Σ e·de and the upper triangle of Σ de·deᵀ.
    for (let i = 0; i < full; i++) {
      const de = errorScale * dForecast[i]!;
      dForecast[i] = de;
      errorGradient[i] = errorGradient[i]! + error * de;
    }
    if (hessian !== undefined) {
      // Rows of ∂e are buffered column-major and added BLOCK at a time: the n·k² update then reads
      // and writes the k×k matrix n/BLOCK times instead of n times.
      for (let i = 0; i < full; i++) block[i * BLOCK + buffered] = dForecast[i]!;
      buffered++;
      if (buffered === BLOCK) {
        addBlock(hessian, block, full);
        buffered = 0;
      }
    }
    // State update and its derivative.
    let adjusted: number;
    if (seasonKind === 0) {
      adjusted = observed;
      for (let i = 0; i < full; i++) dLevelNew[i] = (1 - alpha) * dBase[i]!;
    } else if (seasonKind === 1) {
      adjusted = observed - seasonal;
      for (let i = 0; i < full; i++) dLevelNew[i] = (1 - alpha) * dBase[i]! - alpha * dSeason[row + i]!;
    } else {
      const safe = Math.abs(seasonal) < TOLERANCE;
      adjusted = safe ? HUGE : observed / seasonal;
      const factor = safe ? 0 : -alpha * (observed / (seasonal * seasonal));
      for (let i = 0; i < full; i++) dLevelNew[i] = (1 - alpha) * dBase[i]! + factor * dSeason[row + i]!;
    }
    const newLevel = base + alpha * (adjusted - base);
    if (trended) {
      for (let i = 0; i < full; i++) {
        dSlope[i] = phi * (1 - ratio) * dSlope[i]! + ratio * (dLevelNew[i]! - dLevel[i]!);
      }
      slope = phi * slope + ratio * (newLevel - level - phi * slope);
    }
    if (seasonKind === 1) {
      for (let i = 0; i < full; i++) dSeason[row + i] = (1 - gamma) * dSeason[row + i]! - gamma * dBase[i]!;
      season[phase] = seasonal + gamma * (observed - base - seasonal);
    } else if (seasonKind === 2) {
      const safe = Math.abs(base) < TOLERANCE;
      const factor = safe ? 0 : -gamma * (observed / (base * base));
      for (let i = 0; i < full; i++) dSeason[row + i] = (1 - gamma) * dSeason[row + i]! + factor * dBase[i]!;
      season[phase] = seasonal + gamma * ((safe ? HUGE : observed / base) - seasonal);
    }
    dLevel.set(dLevelNew);
    level = newLevel;
    phase++;
    if (phase === m) phase = 0;
  }

  if (hessian !== undefined && buffered > 0) {
    for (let i = 0; i < full; i++) block.fill(0, i * BLOCK + buffered, (i + 1) * BLOCK);
    addBlock(hessian, block, full);
  }
  // ∇(n·log S + 2·Σlog|ŷ|) = (2n/S)·Σ e·∂e + 2·Σ ∂ŷ/ŷ.
  const weight = (2 * n) / sumSquares;
  for (let i = 0; i < full; i++) {
    gradient[i] = weight * errorGradient[i]! + (multiplicativeError ? 2 * logGradient[i]! : 0);
  }
  if (hessian !== undefined) {
    for (let i = 0; i < full; i++) {
      for (let j = i + 1; j < full; j++) hessian[j * full + i] = hessian[i * full + j]!;
    }
  }
  return sumSquares;
}

/** Adds `Σ_b row_b·row_bᵀ` over a block (column-major, `BLOCK` rows) to the upper triangle of `hessian`. */
function addBlock(hessian: Float64Array, block: Float64Array, full: number): void {
  for (let i = 0; i < full; i++) {
    const a = i * BLOCK;
    const a0 = block[a]!;
    const a1 = block[a + 1]!;
    const a2 = block[a + 2]!;
    const a3 = block[a + 3]!;
    const a4 = block[a + 4]!;
    const a5 = block[a + 5]!;
    const a6 = block[a + 6]!;
    const a7 = block[a + 7]!;
    const offset = i * full;
    for (let j = i; j < full; j++) {
      const b = j * BLOCK;
      hessian[offset + j] =
        hessian[offset + j]! +
        a0 * block[b]! +
        a1 * block[b + 1]! +
        a2 * block[b + 2]! +
        a3 * block[b + 3]! +
        a4 * block[b + 4]! +
        a5 * block[b + 5]! +
        a6 * block[b + 6]! +
        a7 * block[b + 7]!;
    }
  }
}

/**
 * Maps a gradient from full to free coordinates. With a seasonal component the last seasonal state is
 * `c − Σ others`, so each free seasonal coordinate `j` has derivative `∂/∂s_j − ∂/∂s_last`.
 */
function projectGradient(
  full: Float64Array,
  fullSize: number,
  free: number,
  seasonColumn: number,
  projected: Float64Array,
): void {
  const last = fullSize - 1;
  for (let i = 0; i < free; i++) {
    projected[i] = free === fullSize || i < seasonColumn ? full[i]! : full[i]! - full[last]!;
  }
}

/** Maps a symmetric matrix from full to free coordinates (`Tᵀ·H·T`, see {@link projectGradient}). */
function projectHessian(
  full: Float64Array,
  fullSize: number,
  free: number,
  seasonColumn: number,
  projected: Float64Array,
): void {
  const last = fullSize - 1;
  for (let i = 0; i < free; i++) {
    const ti = free !== fullSize && i >= seasonColumn ? -1 : 0;
    for (let j = 0; j < free; j++) {
      const tj = free !== fullSize && j >= seasonColumn ? -1 : 0;
      projected[i * free + j] =
        full[i * fullSize + j]! +
        tj * full[i * fullSize + last]! +
        ti * full[last * fullSize + j]! +
        ti * tj * full[last * fullSize + last]!;
    }
  }
}

/** Cholesky factorization `A = L·Lᵀ` in place (lower triangle); false when `A` is not positive definite. */
function choleskyFactor(a: Float64Array, size: number): boolean {
  for (let j = 0; j < size; j++) {
    let diagonal = a[j * size + j]!;
    for (let k = 0; k < j; k++) diagonal -= a[j * size + k]! * a[j * size + k]!;
    if (!(diagonal > 0)) return false;
    const root = Math.sqrt(diagonal);
    a[j * size + j] = root;
    for (let i = j + 1; i < size; i++) {
      let value = a[i * size + j]!;
      for (let k = 0; k < j; k++) value -= a[i * size + k]! * a[j * size + k]!;
      a[i * size + j] = value / root;
    }
  }
  return true;
}

/** Solves `L·Lᵀ·x = b` with the factor from {@link choleskyFactor}. */
function choleskySolve(l: Float64Array, b: Float64Array, x: Float64Array, size: number): void {
  for (let i = 0; i < size; i++) {
    let value = b[i]!;
    for (let k = 0; k < i; k++) value -= l[i * size + k]! * x[k]!;
    x[i] = value / l[i * size + i]!;
  }
  for (let i = size - 1; i >= 0; i--) {
    let value = x[i]!;
    for (let k = i + 1; k < size; k++) value -= l[k * size + i]! * x[k]!;
    x[i] = value / l[i * size + i]!;
  }
}
