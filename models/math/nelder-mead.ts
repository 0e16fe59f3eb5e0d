/** Settings for {@link nelderMead}. */
export interface NelderMeadOptions {
  /**
   * Lower bound per coordinate; `-Infinity` for none. Trial points are clamped into the box.
   * @defaultValue `-Infinity` for every coordinate
   */
  readonly lower?: readonly number[];
  /**
   * Upper bound per coordinate; `Infinity` for none.
   * @defaultValue `Infinity` for every coordinate
   */
  readonly upper?: readonly number[];
  /**
   * Initial simplex edge per coordinate. Choose it near the scale on which the objective changes.
   * @defaultValue `0.1·|x0[i]|`, or `0.1` where `x0[i]` is 0
   */
  readonly initialStep?: readonly number[];
  /**
   * Most objective evaluations allowed (counting those of the initial simplex). Checked between
   * iterations, so the last iteration may exceed it by up to `dimension + 1`.
   * @defaultValue `1000`
   */
  readonly maxEvaluations?: number;
  /**
   * Most iterations (reflect/expand/contract/shrink steps) allowed.
   * @defaultValue `500`
   */
  readonly maxIterations?: number;
  /**
   * Relative tolerance on the objective: stops when the worst and best vertex values differ by at most
   * `tolerance·(|best| + tolerance)` (the rule of R's `optim`/`nmmin`).
   * @defaultValue `1e-8`
   */
  readonly tolerance?: number;
}

/** Outcome of {@link nelderMead}. */
export interface NelderMeadResult {
  /** Best point found (inside the bounds). */
  readonly x: number[];
  /** Objective at `x`; `Infinity` when no finite value was ever seen. */
  readonly value: number;
  readonly iterations: number;
  readonly evaluations: number;
  /** Whether the tolerance was met before a limit was reached. */
  readonly converged: boolean;
}

/**
 * Minimizes `objective` over a box with the Nelder–Mead simplex method (reflection 1, expansion 2,
 * contraction ½, shrink ½). Trial points are clamped into the bounds, so the objective is never
 * called outside them; `NaN` objective values count as `Infinity`. Deterministic: same inputs, same
 * result.
 *
 * The objective receives a scratch array that is reused between calls: read it, never keep it.
 */
export function nelderMead(
  objective: (x: Float64Array) => number,
  x0: readonly number[],
  options: NelderMeadOptions = {},
): NelderMeadResult {
  const dim = x0.length;
  const lower = options.lower ?? [];
  const upper = options.upper ?? [];
  const maxEvaluations = options.maxEvaluations ?? 1000;
  const maxIterations = options.maxIterations ?? 500;
  const tolerance = options.tolerance ?? 1e-8;
  const lo = new Float64Array(dim);
  const hi = new Float64Array(dim);
  for (let i = 0; i < dim; i++) {
    lo[i] = lower[i] ?? Number.NEGATIVE_INFINITY;
    hi[i] = upper[i] ?? Number.POSITIVE_INFINITY;
  }

  let evaluations = 0;
  const evaluate = (point: Float64Array): number => {
    evaluations++;
    const value = objective(point);
    return Number.isNaN(value) ? Number.POSITIVE_INFINITY : value;
  };
  const clamp = (point: Float64Array): void => {
    for (let i = 0; i < dim; i++) {
      const v = point[i]!;
      if (v < lo[i]!) point[i] = lo[i]!;
      else if (v > hi[i]!) point[i] = hi[i]!;
    }
  };

  // Vertices stored row-wise: vertex k occupies [k*dim, (k+1)*dim).
  const vertices = new Float64Array((dim + 1) * dim);
  const values = new Float64Array(dim + 1);
  const point = new Float64Array(dim);
  for (let i = 0; i < dim; i++) point[i] = x0[i] ?? 0;
  clamp(point);
  vertices.set(point, 0);
  values[0] = evaluate(point);
  for (let k = 1; k <= dim; k++) {
    const i = k - 1;
    const start = point[i]!;
    const step = options.initialStep?.[i] ?? (start !== 0 ? 0.1 * Math.abs(start) : 0.1);
    let moved = Math.min(hi[i]!, Math.max(lo[i]!, start + step));
    // At an upper bound the step is taken downward instead, so the simplex keeps full dimension.
    if (moved === start) moved = Math.min(hi[i]!, Math.max(lo[i]!, start - step));
    const row = k * dim;
    for (let j = 0; j < dim; j++) vertices[row + j] = point[j]!;
    vertices[row + i] = moved;
    values[k] = evaluate(vertices.subarray(row, row + dim));
  }

  const centroid = new Float64Array(dim);
  const reflected = new Float64Array(dim);
  const trial = new Float64Array(dim);
  let iterations = 0;
  let converged = false;

  while (iterations < maxIterations && evaluations < maxEvaluations) {
    // Locate best, worst and second-worst vertices.
    let best = 0;
    let worst = 0;
    for (let k = 1; k <= dim; k++) {
      if (values[k]! < values[best]!) best = k;
      if (values[k]! > values[worst]!) worst = k;
    }
    if (best === worst) worst = best === 0 ? 1 : 0;
    let second = best;
    for (let k = 0; k <= dim; k++) {
      if (k !== worst && values[k]! > values[second]!) second = k;
    }
    const fBest = values[best]!;
    const fWorst = values[worst]!;
    if (dim === 0 || fWorst - fBest <= tolerance * (Math.abs(fBest) + tolerance)) {
      converged = true;
      break;
    }
    iterations++;

    centroid.fill(0);
    for (let k = 0; k <= dim; k++) {
      if (k === worst) continue;
      const row = k * dim;
      for (let j = 0; j < dim; j++) centroid[j] = centroid[j]! + vertices[row + j]!;
    }
    for (let j = 0; j < dim; j++) centroid[j] = centroid[j]! / dim;

    const worstRow = worst * dim;
    for (let j = 0; j < dim; j++) reflected[j] = 2 * centroid[j]! - vertices[worstRow + j]!;
    clamp(reflected);
    const fReflected = evaluate(reflected);

    if (fReflected < fBest) {
      for (let j = 0; j < dim; j++) trial[j] = 3 * centroid[j]! - 2 * vertices[worstRow + j]!;
      clamp(trial);
      const fExpanded = evaluate(trial);
      if (fExpanded < fReflected) replace(worst, trial, fExpanded);
      else replace(worst, reflected, fReflected);
      continue;
    }
    if (fReflected < values[second]!) {
      replace(worst, reflected, fReflected);
      continue;
    }
    // Contract: outside when the reflection improved on the worst vertex, inside otherwise.
    const outside = fReflected < fWorst;
    for (let j = 0; j < dim; j++) {
      const c = centroid[j]!;
      trial[j] = outside ? c + 0.5 * (reflected[j]! - c) : c + 0.5 * (vertices[worstRow + j]! - c);
    }
    clamp(trial);
    const fContracted = evaluate(trial);
    if (outside ? fContracted <= fReflected : fContracted < fWorst) {
      replace(worst, trial, fContracted);
      continue;
    }
    // Shrink every vertex halfway towards the best one.
    const bestRow = best * dim;
    for (let k = 0; k <= dim; k++) {
      if (k === best) continue;
      const row = k * dim;
      for (let j = 0; j < dim; j++) {
        vertices[row + j] = vertices[bestRow + j]! + 0.5 * (vertices[row + j]! - vertices[bestRow + j]!);
      }
      values[k] = evaluate(vertices.subarray(row, row + dim));
    }
  }

  let best = 0;
  for (let k = 1; k <= dim; k++) if (values[k]! < values[best]!) best = k;
  return {
    x: Array.from(vertices.subarray(best * dim, best * dim + dim)),
    value: values[best]!,
    iterations,
    evaluations,
    converged,
  };

  function replace(index: number, source: Float64Array, value: number): void {
    vertices.set(source, index * dim);
    values[index] = value;
  }
}
