import type { BackfillSeries } from "./openmetrics-text.js";

/**
 * kube-state-metrics v2-shaped series for backfilling a real Prometheus: what KSM exports for a pod
 * and its ReplicaSet, sampled every `stepSeconds` from `fromMs` to `toMs` (a scrape interval).
 */

/** One pod's life as KSM sees it. Times are epoch ms, whole seconds as KSM exports them. */
export interface KsmPod {
  readonly namespace: string;
  readonly pod: string;
  readonly uid: string;
  readonly createdMs: number;
  /** When the Ready condition turned true; undefined while the pod never became Ready. */
  readonly readyMs?: number;
  /** When the pod was deleted (its series end). @defaultValue alive */
  readonly deletedMs?: number;
  /** The controller that owns the pod (`ReplicaSet` for Deployment pods, `StatefulSet`, …). */
  readonly owner: { readonly kind: string; readonly name: string };
  /**
   * `true` reproduces kube-state-metrics before v2.10: `kube_pod_status_ready_time` is the Ready
   * condition's last transition whatever its status, so a starting pod reports its not-ready transition
   * (at `createdMs` + 1 s here). @defaultValue false (v2.10+: only while Ready)
   */
  readonly legacyReadyTime?: boolean;
  /** KSM replicas (or scrape jobs) exporting the pod: each adds an `instance` copy. @defaultValue ["ksm-0"] */
  readonly instances?: readonly string[];
}

export interface KsmSampling {
  readonly fromMs: number;
  readonly toMs: number;
  readonly stepSeconds: number;
}

/** The pod's `kube_pod_created`, `kube_pod_status_ready_time`, `kube_pod_status_ready` and `kube_pod_owner`. */
export function ksmPodSeries(pod: KsmPod, sampling: KsmSampling): BackfillSeries[] {
  const stepMs = sampling.stepSeconds * 1000;
  const count = Math.floor((sampling.toMs - sampling.fromMs) / stepMs) + 1;
  const endMs = pod.deletedMs ?? Number.POSITIVE_INFINITY;
  const at = (index: number): number => sampling.fromMs + index * stepMs;
  const alive = (index: number): boolean => at(index) >= pod.createdMs && at(index) < endMs;
  const ready = (index: number): boolean => pod.readyMs !== undefined && at(index) >= pod.readyMs;
  const seconds = (ms: number): number => Math.floor(ms / 1000);
  const series = (name: string, labels: Record<string, string>, value: (index: number) => number) =>
    (pod.instances ?? ["ksm-0"]).map((instance): BackfillSeries => ({
      name,
      labels: {
        job: "kube-state-metrics",
        instance,
        namespace: pod.namespace,
        pod: pod.pod,
        uid: pod.uid,
        ...labels,
      },
      startMs: sampling.fromMs,
      stepSeconds: sampling.stepSeconds,
      values: Array.from({ length: count }, (_, index) => (alive(index) ? value(index) : Number.NaN)),
    }));
  return [
    ...series("kube_pod_created", {}, () => seconds(pod.createdMs)),
    ...series("kube_pod_status_ready_time", {}, (index) =>
      ready(index)
        ? seconds(pod.readyMs ?? 0)
        : pod.legacyReadyTime === true
          ? seconds(pod.createdMs) + 1
          : Number.NaN,
    ),
    ...series("kube_pod_status_ready", { condition: "true" }, (index) => (ready(index) ? 1 : 0)),
    ...series("kube_pod_status_ready", { condition: "false" }, (index) => (ready(index) ? 0 : 1)),
    ...series(
      "kube_pod_owner",
      { owner_kind: pod.owner.kind, owner_name: pod.owner.name, owner_is_controller: "true" },
      () => 1,
    ),
  ];
}

/** `kube_replicaset_owner` of a ReplicaSet owned by a Deployment (or another controller). */
export function ksmReplicaSetOwner(
  replicaSet: {
    readonly namespace: string;
    readonly name: string;
    readonly owner: { readonly kind: string; readonly name: string };
  },
  sampling: KsmSampling,
): BackfillSeries {
  const count = Math.floor((sampling.toMs - sampling.fromMs) / (sampling.stepSeconds * 1000)) + 1;
  return {
    name: "kube_replicaset_owner",
    labels: {
      job: "kube-state-metrics",
      instance: "ksm-0",
      namespace: replicaSet.namespace,
      replicaset: replicaSet.name,
      owner_kind: replicaSet.owner.kind,
      owner_name: replicaSet.owner.name,
      owner_is_controller: "true",
    },
    startMs: sampling.fromMs,
    stepSeconds: sampling.stepSeconds,
    values: Array.from({ length: count }, () => 1),
  };
}
