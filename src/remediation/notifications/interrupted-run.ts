import type { StepSummary } from "../ledger/incident-event.js";
import { alertSubject } from "./remediation-notification.js";

/** Where a run was when an unexpected error stopped it — what the page can say about the cluster. */
export const RunPhase = {
  /** Reading what the step would change: nothing of this step was applied. */
  preparing: "preparing",
  /** Asking the guards: nothing of this step was applied. */
  admitting: "admitting",
  /** Applying the step's action: it may or may not have been applied. */
  applying: "applying",
  /** The step's action was applied (recording it may have failed); checking whether it worked. */
  verifying: "verifying",
  /** Undoing the step's action: the undo may or may not have been applied. */
  undoing: "undoing",
  /** Past the steps: recording the outcome, updating the breaker, notifying. */
  finishing: "finishing",
} as const;
export type RunPhase = (typeof RunPhase)[keyof typeof RunPhase];

/**
 * Where a remediation stopped by an unexpected error (typically the store failing mid-run) was, as
 * the engine holds it in memory. The page about it is an ordinary `escalated` notification on the
 * incident folded from the events the run held in memory (never read back from the ledger, which may
 * be unreadable), carrying this as `interrupted`.
 */
export interface InterruptedRun {
  readonly incidentId: string;
  readonly alertname: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly runbook: string;
  /** Every step planned, in order. */
  readonly steps: readonly StepSummary[];
  readonly phase: RunPhase;
  /** Index of the step running when the run stopped (none once past the steps). */
  readonly step?: number;
  /** Actions this run applied (and did not see undone), as `step N (description): detail`. */
  readonly applied: readonly string[];
  /** The unexpected error (and, when releasing the run's concurrency slot failed too, that). */
  readonly error: string;
  readonly stoppedAtMs: number;
}

/** Said in every page about an interrupted run. */
export const LEDGER_MAY_BE_INCOMPLETE =
  "The incident ledger may be incomplete: the remediation store failed or the run stopped before recording everything; this message is built from presage's memory.";

/** Whether an action of the run is (or may be) in effect: `yes`, `maybe` (stopped while applying or undoing), `no`. */
export function actionApplied(run: InterruptedRun): "yes" | "maybe" | "no" {
  if (run.applied.length > 0) return "yes";
  return run.phase === RunPhase.applying || run.phase === RunPhase.undoing ? "maybe" : "no";
}

/** The one-line summary and the reason of a page about an interrupted run. */
export function describeInterruptedRun(run: InterruptedRun): { summary: string; reason: string } {
  const subject = alertSubject(run.labels);
  const planned = run.steps.find((step) => step.index === run.step);
  const where =
    planned === undefined
      ? `while ${run.phase}`
      : `while ${run.phase} step ${planned.index + 1} of ${run.steps.length} (${planned.description})`;
  const applied = actionApplied(run);
  const state =
    applied === "yes"
      ? `Applied by this run and still in place: ${run.applied.join("; ")}.`
      : applied === "maybe"
        ? `Step ${(run.step ?? 0) + 1}'s ${run.phase === RunPhase.undoing ? "undo" : "action"} may or may not have been applied.`
        : "No action of this run had been applied.";
  return {
    summary: `Needs a human: ${run.alertname || "alert"} on ${subject} — remediation by ${run.runbook} stopped by an unexpected error; the ledger may be incomplete`,
    reason:
      `runbook ${run.runbook} stopped ${where}: ${run.error}. ${state} ` +
      `presage will not retry or undo anything for this incident while its state is unknown; check ${subject} by hand.`,
  };
}
