import type { RolloutStatus } from "../execution/action-runner.js";

/** The fields of a Deployment `rolloutStatusOf` reads. */
export interface DeploymentRolloutFields {
  readonly metadata?: { readonly generation?: number };
  readonly spec?: { readonly replicas?: number };
  readonly status?: {
    readonly observedGeneration?: number;
    readonly replicas?: number;
    readonly updatedReplicas?: number;
    readonly availableReplicas?: number;
  };
}

/** Whether a rollout is complete, by `kubectl rollout status`'s rules (pure). */
export function rolloutStatusOf(deployment: DeploymentRolloutFields): RolloutStatus {
  const generation = deployment.metadata?.generation ?? 0;
  const status = deployment.status ?? {};
  const wanted = deployment.spec?.replicas ?? 1;
  const updated = status.updatedReplicas ?? 0;
  const total = status.replicas ?? 0;
  const available = status.availableReplicas ?? 0;
  if ((status.observedGeneration ?? 0) < generation) {
    return { healthy: false, detail: `waiting for the controller to observe generation ${generation}` };
  }
  if (updated < wanted) return { healthy: false, detail: `${updated} of ${wanted} replicas updated` };
  if (total > updated)
    return { healthy: false, detail: `${total - updated} old replicas pending termination` };
  if (available < updated)
    return { healthy: false, detail: `${available} of ${updated} updated replicas available` };
  return { healthy: true, detail: `rolled out: ${available} of ${wanted} replicas updated and available` };
}

/** Pods a rolling update may take down at once: `maxUnavailable` resolved (percent rounds down), all for Recreate. */
export function rolloutUnavailablePods(
  replicas: number,
  strategy:
    | { readonly type?: string; readonly rollingUpdate?: { readonly maxUnavailable?: number | string } }
    | undefined,
): number {
  if (strategy?.type === "Recreate") return replicas;
  const raw = strategy?.rollingUpdate?.maxUnavailable ?? "25%";
  if (typeof raw === "number") return Math.min(replicas, Math.max(0, raw));
  const percent = /^(\d+)%$/.exec(raw);
  if (percent) return Math.floor((replicas * Number(percent[1])) / 100);
  const count = Number(raw);
  return Number.isFinite(count) ? Math.min(replicas, Math.max(0, count)) : replicas;
}
