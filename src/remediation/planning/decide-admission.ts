import type { GuardLimits } from "./guard-limits.js";
import type { BreakerState, GuardState } from "./guard-state.js";

const HOUR_MS = 3_600_000;

/** Why the guards refused an action. */
export const GuardReason = {
  breakerOpen: "breaker-open",
  cooldown: "cooldown",
  runbookRate: "runbook-rate",
  globalRate: "global-rate",
  concurrency: "concurrency",
  blastRadius: "blast-radius",
} as const;
export type GuardReason = (typeof GuardReason)[keyof typeof GuardReason];

/** One action asking to run. */
export interface AdmissionRequest {
  readonly incidentId: string;
  readonly runbook: string;
  /** `deployment/shop/web`: what the cooldown is keyed on. */
  readonly target: string;
  readonly nowMs: number;
  /** The limits for this runbook (see `limitsForRunbook`). */
  readonly limits: GuardLimits;
  /** Pods of a workload the action may take down at once; absent when it takes none down. */
  readonly disruption?: { readonly workload: string; readonly replicas: number; readonly pods: number };
}

export type AdmissionDecision =
  | { readonly admitted: true; readonly state: GuardState }
  | {
      readonly admitted: false;
      readonly reason: GuardReason;
      readonly detail: string;
      readonly state: GuardState;
    };

/** Drops entries past their horizon. */
export function pruneGuardState(state: GuardState, nowMs: number): GuardState {
  return {
    actions: state.actions.filter((action) => action.atMs > nowMs - HOUR_MS),
    cooldowns: Object.fromEntries(
      Object.entries(state.cooldowns).filter(([, entry]) => entry.untilMs > nowMs),
    ),
    inflight: Object.fromEntries(Object.entries(state.inflight).filter(([, entry]) => entry.untilMs > nowMs)),
    disruptions: state.disruptions.filter((entry) => entry.untilMs > nowMs),
    breakers: state.breakers,
  };
}

/** Whether a runbook's breaker refuses now (open and not yet due for its half-open trial). */
export function breakerOpen(breaker: BreakerState | undefined, nowMs: number): boolean {
  return breaker?.openUntilMs !== undefined && nowMs < breaker.openUntilMs;
}

/**
 * The guards' decision for one action, pure: checks in order breaker (half-open: one trial incident
 * in flight at a time), per-target cooldown (other
 * incidents only — the steps of one incident may act on the same target in turn), the runbook's and
 * the global hourly caps (sliding hour: an action exactly one hour old no longer counts), the number
 * of incidents in flight (an incident already in flight keeps its slot), and the blast radius
 * (in-flight disrupted pods of the workload plus this action's ≤ ⌊replicas × percent / 100⌋; a later
 * step of the same incident on the same target — a roll back after a restart of one Deployment —
 * replaces the earlier step's pods, since the controller runs one rollout bounded as a whole). When
 * admitted, the returned state records the action; the store writes it atomically with the check.
 */
export function decideAdmission(current: GuardState, request: AdmissionRequest): AdmissionDecision {
  const { nowMs, limits } = request;
  const state = pruneGuardState(current, nowMs);
  const refuse = (reason: GuardReason, detail: string): AdmissionDecision => ({
    admitted: false,
    reason,
    detail,
    state,
  });

  const breaker = state.breakers[request.runbook];
  if (breakerOpen(breaker, nowMs)) {
    return refuse(
      GuardReason.breakerOpen,
      `the circuit breaker of runbook ${request.runbook} is open after ${breaker?.failures ?? 0} consecutive failures until ${new Date(breaker?.openUntilMs ?? 0).toISOString()}`,
    );
  }
  // Half-open (its open period ran out): one trial incident at a time, until its outcome closes or
  // re-opens the breaker.
  const trial =
    breaker?.openUntilMs === undefined
      ? undefined
      : Object.entries(state.inflight).find(
          ([incidentId, entry]) => entry.runbook === request.runbook && incidentId !== request.incidentId,
        );
  if (trial !== undefined) {
    return refuse(
      GuardReason.breakerOpen,
      `the circuit breaker of runbook ${request.runbook} is half-open and incident ${trial[0]} is its trial`,
    );
  }
  const cooldown = state.cooldowns[request.target];
  if (cooldown !== undefined && cooldown.incidentId !== request.incidentId) {
    return refuse(
      GuardReason.cooldown,
      `${request.target} was acted on by incident ${cooldown.incidentId}; cooldown until ${new Date(cooldown.untilMs).toISOString()}`,
    );
  }
  const runbookCount = state.actions.filter((action) => action.runbook === request.runbook).length;
  if (runbookCount >= limits.maxActionsPerHourPerRunbook) {
    return refuse(
      GuardReason.runbookRate,
      `runbook ${request.runbook} already ran ${runbookCount} actions in the last hour (limit ${limits.maxActionsPerHourPerRunbook})`,
    );
  }
  if (state.actions.length >= limits.maxActionsPerHour) {
    return refuse(
      GuardReason.globalRate,
      `${state.actions.length} actions in the last hour (global limit ${limits.maxActionsPerHour})`,
    );
  }
  const inflight = Object.keys(state.inflight);
  if (!inflight.includes(request.incidentId) && inflight.length >= limits.maxConcurrent) {
    return refuse(
      GuardReason.concurrency,
      `${inflight.length} remediations in flight (limit ${limits.maxConcurrent})`,
    );
  }
  const disruption = request.disruption;
  const superseded = (entry: GuardState["disruptions"][number]): boolean =>
    entry.incidentId === request.incidentId && entry.target === request.target;
  if (disruption !== undefined && disruption.pods > 0) {
    const allowed = Math.floor((disruption.replicas * limits.blastRadiusPercent) / 100);
    const already = state.disruptions
      .filter((entry) => entry.workload === disruption.workload && !superseded(entry))
      .reduce((sum, entry) => sum + entry.pods, 0);
    if (already + disruption.pods > allowed) {
      return refuse(
        GuardReason.blastRadius,
        `${disruption.workload}: ${already} of ${disruption.replicas} pods already disrupted, ${disruption.pods} more would exceed ${limits.blastRadiusPercent}% (${allowed} pods)`,
      );
    }
  }
  return {
    admitted: true,
    state: {
      actions: [
        ...state.actions,
        { atMs: nowMs, runbook: request.runbook, incidentId: request.incidentId, target: request.target },
      ],
      cooldowns: {
        ...state.cooldowns,
        [request.target]: { untilMs: nowMs + limits.cooldownMs, incidentId: request.incidentId },
      },
      inflight: {
        ...state.inflight,
        [request.incidentId]: { runbook: request.runbook, untilMs: nowMs + limits.leaseMs },
      },
      disruptions:
        disruption === undefined || disruption.pods <= 0
          ? state.disruptions.filter((entry) => !superseded(entry))
          : [
              ...state.disruptions.filter((entry) => !superseded(entry)),
              {
                incidentId: request.incidentId,
                target: request.target,
                workload: disruption.workload,
                pods: disruption.pods,
                untilMs: nowMs + limits.leaseMs,
              },
            ],
      breakers: state.breakers,
    },
  };
}

/** Frees an incident's concurrency slot and the pods it held (its cooldowns and counted actions stay). */
export function releaseIncident(state: GuardState, incidentId: string): GuardState {
  return {
    ...state,
    inflight: Object.fromEntries(Object.entries(state.inflight).filter(([id]) => id !== incidentId)),
    disruptions: state.disruptions.filter((entry) => entry.incidentId !== incidentId),
  };
}

/** How a breaker changed after an outcome. */
export type BreakerTransition = "closed" | "counting" | "opened" | "still-open";

/**
 * Records a remediation's outcome on its runbook's breaker: success closes it (failures → 0); a
 * failure counts, and the K-th consecutive one (or any failure of a half-open trial) opens it for
 * `breakerOpenMs`.
 */
export function recordBreakerOutcome(
  state: GuardState,
  runbook: string,
  succeeded: boolean,
  nowMs: number,
  limits: Pick<GuardLimits, "breakerThreshold" | "breakerOpenMs">,
): { state: GuardState; transition: BreakerTransition } {
  const { [runbook]: previous, ...others } = state.breakers;
  if (succeeded) return { state: { ...state, breakers: others }, transition: "closed" };
  const failures = (previous?.failures ?? 0) + 1;
  if (breakerOpen(previous, nowMs)) {
    return {
      state: { ...state, breakers: { ...others, [runbook]: { ...previous, failures } } },
      transition: "still-open",
    };
  }
  if (failures >= limits.breakerThreshold) {
    return {
      state: {
        ...state,
        breakers: { ...others, [runbook]: { failures, openUntilMs: nowMs + limits.breakerOpenMs } },
      },
      transition: "opened",
    };
  }
  return { state: { ...state, breakers: { ...others, [runbook]: { failures } } }, transition: "counting" };
}

/** Closes a breaker by hand (an admin after fixing the cause). */
export function resetBreaker(state: GuardState, runbook: string): GuardState {
  return {
    ...state,
    breakers: Object.fromEntries(Object.entries(state.breakers).filter(([name]) => name !== runbook)),
  };
}
