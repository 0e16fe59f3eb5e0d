import type { ExhaustionEstimate } from "../../models/anomaly/exhaustion-forecaster.js";

/** Why a series raises no prediction this tick. */
export const HoldReason = {
  /** Fewer points than the forecaster needs. */
  warmingUp: "warming-up",
  /** The newest point is too old: without data presage does nothing. */
  stale: "stale",
  /** P(exhaustion within the horizon) is below the threshold. */
  belowThreshold: "below-threshold",
  /** Already raised for this episode; re-armed once the probability falls below half the threshold. */
  alreadyRaised: "already-raised",
} as const;
export type HoldReason = (typeof HoldReason)[keyof typeof HoldReason];

/** Everything {@link decidePrediction} looks at for one series in one tick. */
export interface PredictionInput {
  readonly nowMs: number;
  /** Time of the series' newest point. */
  readonly newestPointMs: number;
  readonly estimate: ExhaustionEstimate;
  /** P(the resource reaches its limit within the horizon), from the forecaster. */
  readonly probability: number;
  readonly threshold: number;
  readonly minPoints: number;
  readonly staleAfterMs: number;
  /**
   * Carried state: true until a prediction is raised, true again once the probability falls low (a
   * restart resets the fit, so the next leak cycle is a new episode even while the last is judged).
   */
  readonly armed: boolean;
}

export type PredictionDecision =
  | { readonly kind: "raise"; readonly armed: false }
  | { readonly kind: "hold"; readonly reason: HoldReason; readonly armed: boolean };

/**
 * One series, one tick → raise a prediction or hold, pure. A prediction is raised once per episode:
 * when the probability first reaches the threshold while armed; the series re-arms only after the
 * probability falls below half the threshold (hysteresis), so a series hovering at the threshold does
 * not raise one incident per tick. Stale or short series never raise (unsure → do nothing).
 */
export function decidePrediction(input: PredictionInput): PredictionDecision {
  const rearmed = input.armed || input.probability < input.threshold / 2;
  if (input.estimate.points < input.minPoints || !Number.isFinite(input.estimate.level)) {
    return { kind: "hold", reason: HoldReason.warmingUp, armed: input.armed };
  }
  if (input.nowMs - input.newestPointMs > input.staleAfterMs) {
    return { kind: "hold", reason: HoldReason.stale, armed: input.armed };
  }
  // Written so a NaN probability (a degenerate fit) holds: unsure → do nothing.
  if (!(input.probability >= input.threshold)) {
    return { kind: "hold", reason: HoldReason.belowThreshold, armed: rearmed };
  }
  if (!input.armed) return { kind: "hold", reason: HoldReason.alreadyRaised, armed: false };
  return { kind: "raise", armed: false };
}
