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
  | { readonly type: "resolved"; readonly endsAtMs: number };

export type IncidentEvent = IncidentEventBody & { readonly atMs: number };

/** A step as shown in timelines. */
export interface StepSummary {
  readonly index: number;
  readonly description: string;
  readonly target: string;
  readonly onFailure: string;
}
