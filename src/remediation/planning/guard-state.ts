import { RemediationError, RemediationErrorCode } from "../remediation-error.js";
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

/**
 * Reads a stored state. Nothing stored is the empty state; a stored state that is not what this code
 * writes (corrupt file, foreign value under the key) is refused rather than read as empty, since an
 * empty state would reset every breaker, cap and cooldown and let automation act freely.
 * @throws RemediationError `storeUnavailable` naming what is wrong (nothing is then admitted).
 */
export function parseGuardState(text: string | null | undefined): GuardState {
  if (text === null || text === undefined || text === "") return EMPTY_GUARD_STATE;
  const refuse = (why: string): never => {
    throw new RemediationError(
      RemediationErrorCode.storeUnavailable,
      `the stored guard state is unreadable (${why}); no remediation is admitted until it is repaired or removed`,
    );
  };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return refuse("not JSON");
  }
  const isObject = (value: unknown): value is Record<string, unknown> =>
    typeof value === "object" && value !== null && !Array.isArray(value);
  if (!isObject(raw)) return refuse("not an object");
  const record = raw as Partial<Record<keyof GuardState, unknown>>;
  const wrong = [
    ...(["actions", "disruptions"] as const).filter(
      (field) => record[field] !== undefined && !Array.isArray(record[field]),
    ),
    ...(["cooldowns", "inflight", "breakers"] as const).filter(
      (field) => record[field] !== undefined && !isObject(record[field]),
    ),
  ];
  if (wrong.length > 0) refuse(`${wrong.join(", ")} of the wrong type`);
  return {
    actions: (record.actions as AdmittedAction[] | undefined) ?? [],
    cooldowns: (record.cooldowns as GuardState["cooldowns"] | undefined) ?? {},
    inflight: (record.inflight as GuardState["inflight"] | undefined) ?? {},
    disruptions: (record.disruptions as Disruption[] | undefined) ?? [],
    breakers: (record.breakers as GuardState["breakers"] | undefined) ?? {},
  };
}
