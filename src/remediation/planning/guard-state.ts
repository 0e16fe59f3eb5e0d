/**
 * The persisted state every guard decides over. Bounded: entries older than their horizon (an hour
 * for rates, their `untilMs` otherwise) are pruned at every decision, so the state never grows with
 * the number of alerts — only with the limits.
 */
export interface GuardState {
  /** Actions admitted in the last hour, oldest first. */
  readonly actions: readonly AdmittedAction[];
  /** Per action target (`deployment/shop/web`): no other incident may act on it before `untilMs`. */
  readonly cooldowns: Readonly<Record<string, { readonly untilMs: number; readonly incidentId: string }>>;
  /** Incidents being remediated (acting or verifying); a lease so a crashed replica's slot expires. */
  readonly inflight: Readonly<Record<string, { readonly runbook: string; readonly untilMs: number }>>;
  /** Pods an in-flight action may have taken down, per workload. */
  readonly disruptions: readonly Disruption[];
  /** Circuit breakers per runbook. */
  readonly breakers: Readonly<Record<string, BreakerState>>;
}

export interface AdmittedAction {
  readonly atMs: number;
  readonly runbook: string;
  readonly incidentId: string;
  readonly target: string;
}

export interface Disruption {
  readonly incidentId: string;
  /** The action's target: a later step of the same incident on the same target replaces this entry. */
  readonly target?: string;
  /** `deployment/shop/web`. */
  readonly workload: string;
  readonly pods: number;
  readonly untilMs: number;
}

export interface BreakerState {
  /** Consecutive failed remediations. */
  readonly failures: number;
  /** While now < openUntilMs the breaker is open; after it, one trial is let through (half-open). */
  readonly openUntilMs?: number;
}

export const EMPTY_GUARD_STATE: GuardState = Object.freeze({
  actions: [],
  cooldowns: {},
  inflight: {},
  disruptions: [],
  breakers: {},
});

/** Reads a stored state leniently: anything malformed is dropped rather than trusted. */
export function parseGuardState(text: string | null | undefined): GuardState {
  if (text === null || text === undefined || text === "") return EMPTY_GUARD_STATE;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return EMPTY_GUARD_STATE;
  }
  if (typeof raw !== "object" || raw === null) return EMPTY_GUARD_STATE;
  const record = raw as Partial<Record<keyof GuardState, unknown>>;
  const isObject = (value: unknown): value is Record<string, unknown> =>
    typeof value === "object" && value !== null && !Array.isArray(value);
  return {
    actions: Array.isArray(record.actions) ? (record.actions as AdmittedAction[]) : [],
    cooldowns: isObject(record.cooldowns) ? (record.cooldowns as GuardState["cooldowns"]) : {},
    inflight: isObject(record.inflight) ? (record.inflight as GuardState["inflight"]) : {},
    disruptions: Array.isArray(record.disruptions) ? (record.disruptions as Disruption[]) : [],
    breakers: isObject(record.breakers) ? (record.breakers as GuardState["breakers"]) : {},
  };
}
