import type { IncidentEvent, PredictionMark, PredictionOutcome } from "./incident-event.js";

/** Where an incident stands, from its timeline. */
export const IncidentState = {
  /** Received; nothing decided yet (or the decision is being made). */
  open: "open",
  unmatched: "unmatched",
  skipped: "skipped",
  dryRun: "dry-run",
  awaitingApproval: "awaiting-approval",
  rejected: "rejected",
  acting: "acting",
  healed: "healed",
  escalated: "escalated",
  /** Resolved by Alertmanager before (or without) any decision. */
  closed: "closed",
} as const;
export type IncidentState = (typeof IncidentState)[keyof typeof IncidentState];

/** An incident: one firing alert (fingerprint + startsAt) and everything presage did about it. */
export interface Incident {
  readonly id: string;
  readonly fingerprint: string;
  readonly alertname: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly startsAtMs: number;
  readonly receivedAtMs: number;
  readonly state: IncidentState;
  readonly runbook?: string;
  /** The alert's resolved notification arrived (the incident is closed). */
  readonly resolvedAtMs?: number;
  /** Actions applied (successfully). */
  readonly actions: number;
  /** Some action was reverted. */
  readonly reverted: boolean;
  readonly timeline: readonly IncidentEvent[];
  /** Raised by the failure predictor before the failure (a `predicted` event), not by an alert. */
  readonly preventive: boolean;
  /** What was predicted, for a preventive incident. */
  readonly prediction?: PredictionMark;
  /** Whether the preventive action prevented the failure, once judged. */
  readonly predictionOutcome?: PredictionOutcome;
  /** Time to recover, split: detect = alert start → received; act = received → first action; verify = first action → healed. */
  readonly mttr?: {
    readonly detectMs: number;
    readonly actMs: number;
    readonly verifyMs: number;
    readonly totalMs: number;
  };
}

/** Folds an incident's events (in append order) into its current view; undefined without a `received`. */
export function foldIncident(id: string, events: readonly IncidentEvent[]): Incident | undefined {
  const received = events.find((event) => event.type === "received");
  if (received?.type !== "received") return undefined;
  const alert = received.alert;
  let state: IncidentState = IncidentState.open;
  let runbook: string | undefined;
  let resolvedAtMs: number | undefined;
  let actions = 0;
  let reverted = false;
  let firstActionMs: number | undefined;
  let healedAtMs: number | undefined;
  let prediction: PredictionMark | undefined;
  let predictionOutcome: PredictionOutcome | undefined;
  for (const event of events) {
    switch (event.type) {
      case "unmatched":
        state = IncidentState.unmatched;
        break;
      case "matched":
        runbook = event.runbook;
        break;
      case "skipped":
        runbook = event.runbook;
        state = IncidentState.skipped;
        break;
      case "dry-run":
        runbook = event.runbook;
        state = IncidentState.dryRun;
        break;
      case "awaiting-approval":
        runbook = event.runbook;
        state = IncidentState.awaitingApproval;
        break;
      case "approved":
        state = IncidentState.acting;
        break;
      case "rejected":
        state = IncidentState.rejected;
        break;
      case "acted":
        actions += 1;
        firstActionMs ??= event.atMs;
        state = IncidentState.acting;
        break;
      case "reverted":
        reverted = true;
        break;
      case "healed":
        state = IncidentState.healed;
        healedAtMs = event.atMs;
        break;
      case "escalated":
        state = IncidentState.escalated;
        break;
      case "denied":
        if (actions === 0) state = IncidentState.skipped;
        break;
      case "resolved":
        resolvedAtMs ??= event.endsAtMs;
        break;
      case "predicted":
        prediction ??= event.prediction;
        break;
      case "prediction-judged":
        predictionOutcome ??= event.outcome;
        break;
      default:
        break;
    }
  }
  if (state === IncidentState.open && resolvedAtMs !== undefined) state = IncidentState.closed;
  return {
    id,
    fingerprint: alert.fingerprint,
    alertname: alert.labels.alertname ?? "",
    labels: alert.labels,
    startsAtMs: alert.startsAtMs,
    receivedAtMs: received.atMs,
    state,
    ...(runbook === undefined ? {} : { runbook }),
    ...(resolvedAtMs === undefined ? {} : { resolvedAtMs }),
    actions,
    reverted,
    timeline: events,
    preventive: prediction !== undefined,
    ...(prediction === undefined ? {} : { prediction }),
    ...(predictionOutcome === undefined ? {} : { predictionOutcome }),
    ...(firstActionMs === undefined || healedAtMs === undefined
      ? {}
      : {
          mttr: {
            detectMs: Math.max(0, received.atMs - alert.startsAtMs),
            actMs: Math.max(0, firstActionMs - received.atMs),
            verifyMs: Math.max(0, healedAtMs - firstActionMs),
            totalMs: Math.max(0, healedAtMs - alert.startsAtMs),
          },
        }),
  };
}
