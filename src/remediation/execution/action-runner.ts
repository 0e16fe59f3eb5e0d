import type { RemediationAction } from "../runbooks/remediation-action.js";

/** An action read and ready to apply: what it will change, saved so it can be undone. */
export interface PreparedAction {
  readonly action: RemediationAction;
  /** Pods of a workload it may take down at once (for the blast radius), when it takes any. */
  readonly disruption?: { readonly workload: string; readonly replicas: number; readonly pods: number };
  /** What the action changes, as it was before (JSON): undo restores it. */
  readonly snapshot: unknown;
  /** False for actions nothing can revert (a deleted pod, a called hook). */
  readonly undoable: boolean;
  /** What was read, for the timeline. */
  readonly detail: string;
}

/** An applied action. */
export interface AppliedAction {
  readonly prepared: PreparedAction;
  /** What was done, for the timeline. */
  readonly detail: string;
  /** Anything undo needs that only applying revealed (e.g. the created Job's name). */
  readonly undoData?: unknown;
}

/**
 * The port actions run through (Kubernetes, HTTP hooks). `prepare` only reads; `apply` changes;
 * `undo` restores the snapshot. Failures throw `RemediationError` (`actionFailed`, or `nothingToDo`
 * when the action would change nothing — e.g. no previous revision to roll back to).
 */
export interface ActionRunner {
  prepare(action: RemediationAction): Promise<PreparedAction>;
  apply(prepared: PreparedAction): Promise<AppliedAction>;
  /** Returns what was restored; throws when it could not be. */
  undo(applied: AppliedAction): Promise<string>;
}

/** A Deployment's rollout, as `kubectl rollout status` judges it. */
export interface RolloutStatus {
  readonly healthy: boolean;
  readonly detail: string;
}

/** Reads rollout status (the verifier's `rollout: true`). */
export interface RolloutProbe {
  rolloutStatus(namespace: string, deployment: string): Promise<RolloutStatus>;
}

/**
 * Reads one value of a PromQL query (the verifier's `promql`); undefined when it returns no sample.
 * Of several series it yields the worst one for the condition: the `highest` for `below`, the `lowest`
 * for `above` (so one bad pod keeps the step unverified either way).
 */
export interface PromqlProbe {
  queryValue(query: string, worst?: "highest" | "lowest"): Promise<number | undefined>;
}
