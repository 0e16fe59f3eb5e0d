import { IncidentState } from "../remediation/ledger/incident.js";
import { formatElapsed } from "../remediation/notifications/remediation-notification.js";

/** What {@link judgePrediction} looks at for one raised prediction. */
export interface JudgementInput {
  readonly nowMs: number;
  /** When the prediction was raised (the incident received). */
  readonly raisedAtMs: number;
  /** When the first preventive action was applied; undefined while none has been. */
  readonly actedAtMs?: number;
  /** The incident's state now. */
  readonly state: IncidentState;
  readonly horizonMs: number;
  readonly graceMs: number;
  /** The earliest sign of the failure seen at or after `raisedAtMs` (limit reached, OOM, failure alert). */
  readonly failure?: { readonly atMs: number; readonly detail: string };
}

export type Judgement =
  | { readonly kind: "pending" }
  | { readonly kind: "prevented"; readonly detail: string }
  | { readonly kind: "missed"; readonly detail: string }
  /** Nothing was done (not matched, dry-run, denied, rejected, not approved in time): not counted. */
  | { readonly kind: "dropped"; readonly detail: string };

/** States in which no action will follow any more. */
const SETTLED_WITHOUT_ACTION: ReadonlySet<IncidentState> = new Set([
  IncidentState.unmatched,
  IncidentState.skipped,
  IncidentState.dryRun,
  IncidentState.rejected,
  IncidentState.escalated,
  IncidentState.closed,
]);

/**
 * A raised prediction's verdict, pure. Only predictions that acted are counted: prevented when the
 * failure did not show from the prediction until the horizon + grace after the first action, missed
 * when it did (also when it happened before the action landed — too late is not prevented).
 */
export function judgePrediction(input: JudgementInput): Judgement {
  if (input.actedAtMs === undefined) {
    if (SETTLED_WITHOUT_ACTION.has(input.state)) {
      return { kind: "dropped", detail: `no preventive action was taken (incident ${input.state})` };
    }
    if (input.nowMs > input.raisedAtMs + input.horizonMs + input.graceMs) {
      return {
        kind: "dropped",
        detail: `no preventive action within the horizon (${formatElapsed(input.horizonMs)}) and grace`,
      };
    }
    return { kind: "pending" };
  }
  const windowEndMs = input.actedAtMs + input.horizonMs + input.graceMs;
  const failure = input.failure;
  if (failure !== undefined && failure.atMs >= input.raisedAtMs && failure.atMs <= windowEndMs) {
    const when =
      failure.atMs < input.actedAtMs
        ? `${formatElapsed(input.actedAtMs - failure.atMs)} before the action landed`
        : `${formatElapsed(failure.atMs - input.actedAtMs)} after the action`;
    return { kind: "missed", detail: `the failure happened anyway, ${when}: ${failure.detail}` };
  }
  if (input.nowMs >= windowEndMs) {
    return {
      kind: "prevented",
      detail: `no failure within ${formatElapsed(input.horizonMs)} (+ ${formatElapsed(input.graceMs)} grace) after the preventive action`,
    };
  }
  return { kind: "pending" };
}
