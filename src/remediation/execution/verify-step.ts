import { errorMessage } from "../remediation-error.js";
import type { Verification } from "../runbooks/runbook.js";
import type { PlannedStep } from "../planning/plan-remediation.js";
import type { PromqlProbe, RolloutProbe } from "./action-runner.js";

/** What the verifier reads. */
export interface VerifierDependencies {
  readonly rollout?: RolloutProbe | undefined;
  readonly promql?: PromqlProbe | undefined;
  /** Whether the incident's alert has been resolved by Alertmanager. */
  readonly alertResolved: () => Promise<boolean>;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

export interface VerificationResult {
  readonly ok: boolean;
  /** Each condition's last reading, e.g. `promql 0.012 < 0.05 ✓; rollout: 3 of 3 available ✓`. */
  readonly detail: string;
  /** Checks made. */
  readonly checks: number;
  /**
   * Set on a failure when every condition that did not hold at the last check could not be read
   * (its probe failed or is not configured): whether the step worked is unknown, so nothing further
   * (undo, next step) should act on it.
   */
  readonly unknown?: true;
}

/** One condition's reading at one check; `unknown` when it could not be read. */
interface Reading {
  readonly ok: boolean;
  readonly text: string;
  readonly unknown?: true;
}

/** The Deployment a step acts on, for `rollout: true`. */
function deploymentOf(step: PlannedStep): { namespace: string; deployment: string } | undefined {
  const params = step.action.params as { namespace?: unknown; deployment?: unknown };
  return typeof params.namespace === "string" && typeof params.deployment === "string"
    ? { namespace: params.namespace, deployment: params.deployment }
    : undefined;
}

/**
 * Checks a step's verification every `intervalMs` until every condition holds at the same check
 * (success) or `timeoutMs` has passed since the first check (failure, with the last readings). A probe
 * that throws or a query without a sample counts as "not yet", never as success; a failure whose
 * failing conditions could only not be read (probes down) is marked `unknown`. A step without a
 * verification passes at once; one whose only condition does not apply to it (`rollout` on an action
 * without a Deployment) fails at once.
 */
export async function verifyStep(
  step: PlannedStep,
  dependencies: VerifierDependencies,
): Promise<VerificationResult> {
  const verify: Verification | undefined = step.verify;
  if (verify === undefined) return { ok: true, detail: "no verification configured", checks: 0 };
  const deadline = dependencies.now() + verify.timeoutMs;
  let checks = 0;
  for (;;) {
    checks += 1;
    const readings = await Promise.all([
      checkPromql(verify, dependencies),
      checkRollout(verify, step, dependencies),
      checkResolved(verify, dependencies),
    ]);
    const present = readings.filter((reading): reading is Reading => reading !== undefined);
    // Nothing applies to this step (only `rollout`, on an action without a Deployment): an empty
    // check must not pass vacuously and mark the incident healed.
    if (present.length === 0) {
      return { ok: false, detail: "no verification condition applies to this step's action", checks };
    }
    const detail = present.map((reading) => `${reading.text} ${reading.ok ? "✓" : "✗"}`).join("; ");
    if (present.every((reading) => reading.ok)) return { ok: true, detail, checks };
    const remaining = deadline - dependencies.now();
    if (remaining <= 0) {
      const failing = present.filter((reading) => !reading.ok);
      return {
        ok: false,
        detail: `not verified within ${verify.timeoutMs / 1000}s: ${detail}`,
        checks,
        ...(failing.every((reading) => reading.unknown === true) ? { unknown: true as const } : {}),
      };
    }
    await dependencies.sleep(Math.min(verify.intervalMs, remaining));
  }
}

async function checkPromql(
  verify: Verification,
  dependencies: VerifierDependencies,
): Promise<Reading | undefined> {
  const promql = verify.promql;
  if (promql === undefined) return undefined;
  if (dependencies.promql === undefined)
    return { ok: false, text: "promql: no Prometheus configured", unknown: true };
  try {
    const value = await dependencies.promql.queryValue(
      promql.query,
      promql.below !== undefined ? "highest" : "lowest",
    );
    if (value === undefined || !Number.isFinite(value))
      return { ok: false, text: `promql ${promql.query}: no sample` };
    const ok =
      promql.below !== undefined ? value < promql.below : value > (promql.above ?? Number.POSITIVE_INFINITY);
    const rule = promql.below !== undefined ? `< ${promql.below}` : `> ${promql.above ?? "?"}`;
    return { ok, text: `promql ${value} ${rule}` };
  } catch (error) {
    return { ok: false, text: `promql failed: ${errorMessage(error)}`, unknown: true };
  }
}

async function checkRollout(
  verify: Verification,
  step: PlannedStep,
  dependencies: VerifierDependencies,
): Promise<Reading | undefined> {
  if (!verify.rollout) return undefined;
  const target = deploymentOf(step);
  if (target === undefined) return undefined;
  if (dependencies.rollout === undefined)
    return { ok: false, text: "rollout: no Kubernetes configured", unknown: true };
  try {
    const status = await dependencies.rollout.rolloutStatus(target.namespace, target.deployment);
    return { ok: status.healthy, text: `rollout ${target.namespace}/${target.deployment}: ${status.detail}` };
  } catch (error) {
    return { ok: false, text: `rollout check failed: ${errorMessage(error)}`, unknown: true };
  }
}

async function checkResolved(
  verify: Verification,
  dependencies: VerifierDependencies,
): Promise<Reading | undefined> {
  if (!verify.alertResolved) return undefined;
  try {
    const resolved = await dependencies.alertResolved();
    return { ok: resolved, text: resolved ? "alert resolved" : "alert still firing" };
  } catch (error) {
    return { ok: false, text: `alert state unknown: ${errorMessage(error)}`, unknown: true };
  }
}
