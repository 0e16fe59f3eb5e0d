import type { ReceivedAlert } from "../alerting/alertmanager-payload.js";

/** What can happen to an incident; every event is appended, never rewritten. */
export type IncidentEventBody =
  | { readonly type: "received"; readonly alert: ReceivedAlert }
  | { readonly type: "duplicate"; readonly status: "firing" | "resolved" }
  | { readonly type: "unmatched"; readonly detail: string }
  | {
      readonly type: "matched";
      readonly runbook: string;
      readonly mode: string;
      readonly steps: readonly StepSummary[];
    }
  | { readonly type: "skipped"; readonly runbook: string; readonly reason: string; readonly detail: string }
  | { readonly type: "dry-run"; readonly runbook: string; readonly steps: readonly StepSummary[] }
  | { readonly type: "awaiting-approval"; readonly runbook: string; readonly steps: readonly StepSummary[] }
  | { readonly type: "approved"; readonly by: string }
  | { readonly type: "rejected"; readonly by: string; readonly reason: string }
  | { readonly type: "denied"; readonly step: number; readonly reason: string; readonly detail: string }
  | { readonly type: "acted"; readonly step: number; readonly description: string; readonly detail: string }
  | {
      readonly type: "action-failed";
      readonly step: number;
      readonly description: string;
      readonly detail: string;
    }
  | { readonly type: "verified"; readonly step: number; readonly detail: string }
  | { readonly type: "verification-failed"; readonly step: number; readonly detail: string }
  | { readonly type: "reverted"; readonly step: number; readonly detail: string }
  | { readonly type: "revert-failed"; readonly step: number; readonly detail: string }
  | { readonly type: "healed" }
  | { readonly type: "escalated"; readonly reason: string }
  | { readonly type: "breaker-opened"; readonly runbook: string; readonly detail: string }
  | { readonly type: "resolved"; readonly endsAtMs: number }
  /** The alert is a prediction (the failure predictor): the incident is preventive. */
  | { readonly type: "predicted"; readonly prediction: PredictionMark }
  /** A preventive incident's verdict once its horizon (+ grace) passed or the failure happened. */
  | {
      readonly type: "prediction-judged";
      readonly outcome: PredictionOutcome;
      readonly detail: string;
    };

export type IncidentEvent = IncidentEventBody & { readonly atMs: number };

/** A step as shown in timelines. */
export interface StepSummary {
  readonly index: number;
  readonly description: string;
  readonly target: string;
  readonly onFailure: string;
}

/** How a preventive action turned out: the failure did not happen within the horizon, or it did. */
export const PredictionOutcome = { prevented: "prevented", missed: "missed" } as const;
export type PredictionOutcome = (typeof PredictionOutcome)[keyof typeof PredictionOutcome];

/** What the failure predictor foresaw when it raised a preventive incident. */
export interface PredictionMark {
  /** The configured prediction's name (`prediction.predictions[].name` or `prediction.anomalies[].name`). */
  readonly name: string;
  /** `exhaustion` (a resource heading for its limit) or `anomaly` (a seasonal-residual score). @defaultValue "exhaustion" */
  readonly kind?: "exhaustion" | "anomaly";
  /** The runbook the prediction asks for, when it names one. */
  readonly runbook?: string;
  /** P(the resource reaches its limit within the horizon) when raised, 0–1; for an anomaly, its score. */
  readonly probability: number;
  /** How long after acting the failure is watched for. */
  readonly horizonMs: number;
  /** How long after the horizon a failure still counts as not prevented. */
  readonly graceMs: number;
  /** Forecast time from the newest point to the limit (ms); null when the trend never gets there or for an anomaly. */
  readonly timeToLimitMs: number | null;
  /** The limit, in the series' unit (exhaustion only). */
  readonly limit?: number;
  /** The fitted level at the newest point (exhaustion), or the anomalous value (anomaly). */
  readonly level?: number;
}
