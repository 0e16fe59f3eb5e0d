import { goldenSectionMinimum } from "../math/golden-section.js";
/** Simple exponential smoothing fitted by least squares, as R's `ses()` (ETS(A,N,N), `opt.crit = "mse"`). */
export interface SesFit {
  /** Smoothing parameter in [{@link SES_ALPHA_MIN}, {@link SES_ALPHA_MAX}]. */
  readonly alpha: number;
  /** Level before the first observation (the one-step forecast of `values[0]`). */
  readonly initialLevel: number;
  /** Level after the last observation: the flat forecast. */
  readonly level: number;
  /** In-sample sum of squared one-step errors. */
  readonly sse: number;
}

/** R's `ets` "usual" bounds on α. */
export const SES_ALPHA_MIN = 1e-4;
export const SES_ALPHA_MAX = 0.9999;

const GRID_POINTS = 41;

/**
 * Least-squares SES: minimizes the in-sample SSE over α and the initial level jointly. For a fixed α
 * the errors are linear in the initial level, so it is solved exactly; α is found by a grid over
 * logit(α) refined by golden-section search. R's `ets` runs Nelder–Mead on both instead, so the two
 * agree to that optimizer's tolerance. `values` must be finite and non-empty.
 */
export function fitSes(values: readonly number[]): SesFit {
  const n = values.length;
  if (n === 1) {
    const only = values[0] ?? 0;
    return { alpha: SES_ALPHA_MAX, initialLevel: only, level: only, sse: 0 };
  }
  const logit = (p: number): number => Math.log(p / (1 - p));
  const logistic = (z: number): number => 1 / (1 + Math.exp(-z));
  const low = logit(SES_ALPHA_MIN);
  const high = logit(SES_ALPHA_MAX);
  const grid: number[] = [];
  for (let i = 0; i < GRID_POINTS; i++) grid.push(low + ((high - low) * i) / (GRID_POINTS - 1));
  const sseAt = (z: number): number => sesAtAlpha(values, logistic(z)).sse;
  let best = 0;
  let bestSse = Number.POSITIVE_INFINITY;
  grid.forEach((z, i) => {
    const sse = sseAt(z);
    if (sse < bestSse) {
      bestSse = sse;
      best = i;
    }
  });
  // Golden-section search on the bracket around the best grid point.
  const a = grid[Math.max(0, best - 1)] ?? low;
  const b = grid[Math.min(GRID_POINTS - 1, best + 1)] ?? high;
  const refined = goldenSectionMinimum(sseAt, a, b, 80, 1e-10);
  const candidate = sseAt(refined) <= bestSse ? refined : (grid[best] ?? refined);
  return sesAtAlpha(values, logistic(candidate));
}

/** The SES fit at a given α with the SSE-optimal initial level. */
export function sesAtAlpha(values: readonly number[], alpha: number): SesFit {
  // With initial level 0, error_t = a_t − (1 − α)^(t−1) · ℓ0 holds for any ℓ0: solve for ℓ0.
  let level = 0;
  let decay = 1;
  let sumAD = 0;
  let sumDD = 0;
  for (const y of values) {
    const a = y - level;
    sumAD += a * decay;
    sumDD += decay * decay;
    level += alpha * a;
    decay *= 1 - alpha;
  }
  const initialLevel = sumDD > 0 ? sumAD / sumDD : 0;
  let sse = 0;
  level = initialLevel;
  for (const y of values) {
    const error = y - level;
    sse += error * error;
    level += alpha * error;
  }
  return { alpha, initialLevel, level, sse };
}
