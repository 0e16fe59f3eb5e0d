import type { Incident } from "../ledger/incident.js";
import type { InterruptedRun } from "./interrupted-run.js";

/** Why a notification is sent. */
export const NotificationKind = {
  healed: "healed",
  escalated: "escalated",
  approvalRequested: "approval-requested",
  breakerOpened: "breaker-opened",
} as const;
export type NotificationKind = (typeof NotificationKind)[keyof typeof NotificationKind];

/** One notification: what happened to which incident, with everything seen and done. */
export interface RemediationNotification {
  readonly kind: NotificationKind;
  /** One line: "Auto-remediated HighErrorRate on api-server (1m52s)". */
  readonly summary: string;
  /** Why a human is needed (escalations, breaker). */
  readonly reason?: string;
  readonly incident: Incident;
  /** The ledger entry in the API, when a public URL is configured. */
  readonly ledgerUrl?: string;
  /**
   * Set when a run was stopped by an unexpected error: `incident` is then built from presage's memory
   * and the ledger may be incomplete (the page says so, and where the run stopped).
   */
  readonly interrupted?: InterruptedRun;
}

/** `1m52s`, `3h05m`, `850ms`. */
export function formatElapsed(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, "0")}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, "0")}m`;
}

/** The workload an alert is about, for one-line summaries. */
export function alertSubject(labels: Readonly<Record<string, string>>): string {
  return (
    labels.deployment ??
    labels.pod ??
    labels.node ??
    labels.instance ??
    labels.job ??
    labels.namespace ??
    "(no target label)"
  );
}

/** Actions and verification results of an incident, from its timeline. */
export function incidentFacts(incident: Incident): { actions: string[]; verification: string[] } {
  const actions: string[] = [];
  const verification: string[] = [];
  for (const event of incident.timeline) {
    if (
      event.type === "acted" ||
      event.type === "action-failed" ||
      event.type === "reverted" ||
      event.type === "revert-failed" ||
      event.type === "denied"
    ) {
      const text =
        "description" in event
          ? `${event.description}: ${event.detail}`
          : `${event.type}: ${"detail" in event ? event.detail : ""}`;
      actions.push(
        `step ${event.step + 1} ${event.type === "acted" ? "" : `${event.type} `}${text}`.replace(
          / {2,}/g,
          " ",
        ),
      );
    }
    if (event.type === "verified" || event.type === "verification-failed") {
      verification.push(`step ${event.step + 1} ${event.type}: ${event.detail}`);
    }
  }
  return { actions, verification };
}
