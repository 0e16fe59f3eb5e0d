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
 * that throws or a query without a sample counts as "not yet", never as success. A step without a
 * verification passes at once.
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
    const present = readings.filter(
      (reading): reading is { ok: boolean; text: string } => reading !== undefined,
    );
    const detail = present.map((reading) => `${reading.text} ${reading.ok ? "✓" : "✗"}`).join("; ");
    if (present.every((reading) => reading.ok)) return { ok: true, detail, checks };
    const remaining = deadline - dependencies.now();
    if (remaining <= 0)
      return { ok: false, detail: `not verified within ${verify.timeoutMs / 1000}s: ${detail}`, checks };
    await dependencies.sleep(Math.min(verify.intervalMs, remaining));
  }
}

async function checkPromql(
  verify: Verification,
  dependencies: VerifierDependencies,
): Promise<{ ok: boolean; text: string } | undefined> {
  const promql = verify.promql;
  if (promql === undefined) return undefined;
  if (dependencies.promql === undefined) return { ok: false, text: "promql: no Prometheus configured" };
  try {
    const value = await dependencies.promql.queryValue(promql.query);
    if (value === undefined || !Number.isFinite(value))
      return { ok: false, text: `promql ${promql.query}: no sample` };
    const ok =
      promql.below !== undefined ? value < promql.below : value > (promql.above ?? Number.POSITIVE_INFINITY);
    const rule = promql.below !== undefined ? `< ${promql.below}` : `> ${promql.above ?? "?"}`;
    return { ok, text: `promql ${value} ${rule}` };
  } catch (error) {
    return { ok: false, text: `promql failed: ${errorMessage(error)}` };
  }
}

async function checkRollout(
  verify: Verification,
  step: PlannedStep,
  dependencies: VerifierDependencies,
): Promise<{ ok: boolean; text: string } | undefined> {
  if (!verify.rollout) return undefined;
  const target = deploymentOf(step);
  if (target === undefined) return undefined;
  if (dependencies.rollout === undefined) return { ok: false, text: "rollout: no Kubernetes configured" };
  try {
    const status = await dependencies.rollout.rolloutStatus(target.namespace, target.deployment);
    return { ok: status.healthy, text: `rollout ${target.namespace}/${target.deployment}: ${status.detail}` };
  } catch (error) {
    return { ok: false, text: `rollout check failed: ${errorMessage(error)}` };
  }
}

async function checkResolved(
  verify: Verification,
  dependencies: VerifierDependencies,
): Promise<{ ok: boolean; text: string } | undefined> {
  if (!verify.alertResolved) return undefined;
  try {
    const resolved = await dependencies.alertResolved();
    return { ok: resolved, text: resolved ? "alert resolved" : "alert still firing" };
  } catch (error) {
    return { ok: false, text: `alert state unknown: ${errorMessage(error)}` };
  }
}
