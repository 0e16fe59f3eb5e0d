/** The workload whose pods are sampled: an HPA's `scaleTargetRef`. */
export interface StartupWorkload {
  readonly namespace: string;
  /** `Deployment`, `StatefulSet`, an Argo `Rollout`, … */
  readonly kind: string;
  readonly name: string;
}

/**
 * PromQL returning one sample per pod of `workload` created in the last `lookbackSeconds` and Ready
 * at some point since: the seconds from creation to Ready, from kube-state-metrics v2 series
 * (`kube_pod_created`, `kube_pod_status_ready_time` — v2.8+ — `kube_pod_status_ready`,
 * `kube_pod_owner`, `kube_replicaset_owner`; all keyed by `namespace` and `pod`).
 *
 * - Pods are matched to the workload by owner references, not by name: directly (`kube_pod_owner`
 *   of the workload's kind and name, e.g. StatefulSet pods) or through the ReplicaSets the workload
 *   owns (`kube_replicaset_owner`; Deployments and Argo Rollouts). Names like `web-7d4f…` would also
 *   match a Deployment `web-api`'s pods to `web`.
 * - `*_over_time` over the look-back keeps pods that are already gone (scaled down), and
 *   `max by (namespace, pod)` folds the copies that several kube-state-metrics replicas or scrape
 *   jobs export, so the joins stay one-to-one.
 * - The Ready time is the latest one seen: before v2.10 kube-state-metrics reports the Ready
 *   condition's last transition whatever its status (while starting, that is the not-ready
 *   transition), so pods are kept only once `kube_pod_status_ready{condition="true"}` was 1; a pod
 *   that went unready and came back counts from creation to its latest Ready, which errs long (the
 *   safe side) and is dropped by `startupLead` past its `maxStartupMs`.
 */
export function startupSecondsQuery(workload: StartupWorkload, lookbackSeconds: number): string {
  if (!Number.isSafeInteger(lookbackSeconds) || lookbackSeconds < 1) {
    throw new RangeError(`\`lookbackSeconds\` (${lookbackSeconds}) must be an integer ≥ 1`);
  }
  const range = `[${lookbackSeconds}s]`;
  const namespace = `namespace="${escapeLabelValue(workload.namespace)}"`;
  const kind = escapeLabelValue(workload.kind);
  const name = escapeLabelValue(workload.name);
  const perPod = (selector: string): string => `max by (namespace, pod) (max_over_time(${selector}${range}))`;
  const created = perPod(`kube_pod_created{${namespace}}`);
  const ready = perPod(`kube_pod_status_ready_time{${namespace}}`);
  const wasReady = perPod(`kube_pod_status_ready{${namespace}, condition="true"}`);
  const ownedDirectly = perPod(`kube_pod_owner{${namespace}, owner_kind="${kind}", owner_name="${name}"}`);
  const ownedThroughReplicaSet = [
    "max by (namespace, pod) (",
    `  label_replace(max_over_time(kube_pod_owner{${namespace}, owner_kind="ReplicaSet"}${range}), "replicaset", "$1", "owner_name", "(.+)")`,
    "  * on (namespace, replicaset) group_left ()",
    `  max by (namespace, replicaset) (max_over_time(kube_replicaset_owner{${namespace}, owner_kind="${kind}", owner_name="${name}"}${range}))`,
    ")",
  ].join("\n");
  return [
    `(${ready} - on (namespace, pod) ${created})`,
    `and on (namespace, pod) (${wasReady} == 1)`,
    `and on (namespace, pod) (${created} > time() - ${lookbackSeconds})`,
    `and on (namespace, pod) (${ownedDirectly} or ${ownedThroughReplicaSet})`,
  ].join("\n");
}

/** A PromQL double-quoted string's content. */
function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}
