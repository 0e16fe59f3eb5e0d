import { HoldReason, type PredictionDecision } from "./decide-prediction.js";

/** Everything {@link decideAnomaly} looks at for one series in one tick. */
export interface AnomalyInput {
  readonly nowMs: number;
  readonly newestPointMs: number;
  /** Points the detector has seen. */
  readonly points: number;
  readonly warmupPoints: number;
  /** The highest anomaly score among this tick's new points (0 when there were none). */
  readonly score: number;
  readonly threshold: number;
  readonly staleAfterMs: number;
  /** Carried state, as in `decidePrediction`. */
  readonly armed: boolean;
  /** When this series last raised a prediction. */
  readonly lastRaisedAtMs?: number;
  /** A raised series re-arms no sooner than this after its raise (the prediction's horizon). */
  readonly rearmAfterMs: number;
}

/**
 * One series, one tick → raise an anomaly prediction or hold, pure: raised once when the score reaches
 * the threshold after the warm-up (the detector has learnt the daily/weekly pattern) on fresh data;
 * re-armed once a tick's score falls below half the threshold, but no sooner than `rearmAfterMs`
 * after the raise: a sustained shift scores unevenly (the detector adapts), and one incident per
 * horizon is what a runbook can act on.
 */
export function decideAnomaly(input: AnomalyInput): PredictionDecision {
  if (input.points < input.warmupPoints) {
    return { kind: "hold", reason: HoldReason.warmingUp, armed: input.armed };
  }
  if (input.nowMs - input.newestPointMs > input.staleAfterMs) {
    return { kind: "hold", reason: HoldReason.stale, armed: input.armed };
  }
  // Written so a NaN score holds: unsure → do nothing.
  if (!(input.score >= input.threshold)) {
    return {
      kind: "hold",
      reason: HoldReason.belowThreshold,
      armed:
        input.armed ||
        (input.score < input.threshold / 2 &&
          (input.lastRaisedAtMs === undefined || input.nowMs - input.lastRaisedAtMs >= input.rearmAfterMs)),
    };
  }
  if (!input.armed) return { kind: "hold", reason: HoldReason.alreadyRaised, armed: false };
  return { kind: "raise", armed: false };
}
