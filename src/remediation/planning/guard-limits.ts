import type { Runbook } from "../runbooks/runbook.js";

/** Limits the guards enforce (from the `remediation.guards` config section). */
export interface GuardLimits {
  /** No second incident acts on the same target within this long. @defaultValue 600 000 (10 min) */
  readonly cooldownMs: number;
  /** Actions per sliding hour, all runbooks together. @defaultValue 30 */
  readonly maxActionsPerHour: number;
  /** Actions per sliding hour of one runbook (a runbook may lower it). @defaultValue 10 */
  readonly maxActionsPerHourPerRunbook: number;
  /** Incidents being remediated at once. @defaultValue 3 */
  readonly maxConcurrent: number;
  /** At most this share of a workload's pods may be disrupted at once (rounded down). @defaultValue 25 */
  readonly blastRadiusPercent: number;
  /** Consecutive failures of one runbook that open its breaker. @defaultValue 3 */
  readonly breakerThreshold: number;
  /** How long an open breaker refuses before letting one trial through. @defaultValue 3 600 000 (1 h) */
  readonly breakerOpenMs: number;
  /** Lease of an in-flight remediation; a crashed replica's slot frees after it. @defaultValue 1 800 000 */
  readonly leaseMs: number;
}

export const DEFAULT_GUARD_LIMITS: GuardLimits = Object.freeze({
  cooldownMs: 600_000,
  maxActionsPerHour: 30,
  maxActionsPerHourPerRunbook: 10,
  maxConcurrent: 3,
  blastRadiusPercent: 25,
  breakerThreshold: 3,
  breakerOpenMs: 3_600_000,
  leaseMs: 1_800_000,
});

/** The limits for one runbook: its own overrides win, but never loosen the global hourly cap. */
export function limitsForRunbook(limits: GuardLimits, runbook: Pick<Runbook, "guards">): GuardLimits {
  const own = runbook.guards;
  return {
    ...limits,
    ...(own.cooldownMs === undefined ? {} : { cooldownMs: own.cooldownMs }),
    ...(own.maxActionsPerHour === undefined ? {} : { maxActionsPerHourPerRunbook: own.maxActionsPerHour }),
    ...(own.blastRadiusPercent === undefined ? {} : { blastRadiusPercent: own.blastRadiusPercent }),
    ...(own.breakerThreshold === undefined ? {} : { breakerThreshold: own.breakerThreshold }),
  };
}
