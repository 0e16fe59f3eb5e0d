import {
  HorizontalPodAutoscaler,
  KUBERNETES_DEFAULT_HPA_BEHAVIOR,
  KUBERNETES_DEFAULT_HPA_TOLERANCE,
  type HpaBehavior,
} from "./horizontal-pod-autoscaler.js";
import type { LoadTrace } from "./load-trace.js";
import { PodFleet } from "./pod-fleet.js";
import { ProvisioningTally, type ProvisioningMetrics } from "./provisioning-tally.js";

/** How one HPA-driven policy is replayed. */
export interface HpaReplayOptions {
  /** Load one pod serves per trace step at 100% (same unit as the trace values). */
  readonly podCapacity: number;
  /** The HPA's target as a share of `podCapacity` (its `AverageValue` target is the product). */
  readonly targetUtilization: number;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** Pod creation → Ready. */
  readonly startupSeconds: number;
  /** The HPA at time t sees the per-pod load of t − lag (a multiple of the sync period). */
  readonly metricLagSeconds: number;
  /** Controller sync period; divides the trace step. */
  readonly syncPeriodSeconds: number;
  /** @defaultValue 0.1 */
  readonly tolerance?: number;
  /** @defaultValue Kubernetes' default behavior */
  readonly behavior?: HpaBehavior;
  /** Steps before this one run (to warm the HPA up) but are not counted in the metrics. */
  readonly evaluationStartStep: number;
  /**
   * presage's floor: the HPA's `minReplicas` from the start of each step (one entry per step).
   * Absent: `minReplicas` throughout (the reactive HPA alone).
   */
  readonly floors?: ArrayLike<number>;
  /** Keep the Ready pods after every sync, for charts. */
  readonly recordReadyPods?: boolean;
}

export interface ReplayRun {
  readonly metrics: ProvisioningMetrics;
  /** Ready pods after each sync (one entry per sync period), when recorded. */
  readonly readyPods?: Int32Array;
}

/**
 * Replays `trace` through an HPA (and presage's floors when given) at the HPA's sync period.
 *
 * The load is held constant within each trace step. At each sync t the controller sees, for every pod
 * that was Ready at t − lag and is still present, the per-pod load of that instant (load spread evenly
 * over the pods Ready then); pods Ready since then have no sample yet (`missing`), pods still starting
 * are `unready`. A rescale creates pods (Ready after the start-up time) or deletes the newest at once.
 * The replay starts in a steady state: the replicas the first measured load asks for, all Ready.
 */
export function replayHpa(trace: LoadTrace, options: HpaReplayOptions): ReplayRun {
  const { podCapacity, syncPeriodSeconds: sync, evaluationStartStep, floors } = options;
  const values = trace.values;
  const syncsPerStep = Math.round(trace.stepSeconds / sync);
  const lagSyncs = Math.round(options.metricLagSeconds / sync);
  const totalSyncs = values.length * syncsPerStep;
  const targetPerPod = options.targetUtilization * podCapacity;
  const clamp = (replicas: number): number =>
    Math.min(options.maxReplicas, Math.max(options.minReplicas, replicas));
  const firstLoad = values.find(Number.isFinite) ?? 0;
  const initialReplicas = Math.max(clamp(Math.ceil(firstLoad / targetPerPod - 1e-9)), floors?.[0] ?? 0);

  const hpa = new HorizontalPodAutoscaler({
    targetPerPod,
    minReplicas: options.minReplicas,
    maxReplicas: options.maxReplicas,
    tolerance: options.tolerance ?? KUBERNETES_DEFAULT_HPA_TOLERANCE,
    behavior: options.behavior ?? KUBERNETES_DEFAULT_HPA_BEHAVIOR,
  });
  const fleet = new PodFleet(options.startupSeconds, initialReplicas);
  const readyHistory = new Int32Array(totalSyncs);
  const tally = new ProvisioningTally();

  for (let i = 0; i < totalSyncs; i++) {
    const nowSeconds = i * sync;
    const step = Math.floor(i / syncsPerStep);
    if (floors !== undefined && i % syncsPerStep === 0)
      hpa.setMinReplicas(floors[step] ?? options.minReplicas);

    const sample = i - lagSyncs;
    const sampleLoad = values[Math.floor(Math.max(0, sample) / syncsPerStep)] ?? Number.NaN;
    const readyNow = fleet.readyAt(nowSeconds);
    const readyAtSample =
      sample < 0 ? initialReplicas : sample === i ? readyNow : (readyHistory[sample] ?? 0);
    const podsWithMetric = fleet.readyAt(sample * sync);
    const result = hpa.sync(nowSeconds, fleet.size, {
      podsWithMetric,
      averageValue: readyAtSample > 0 ? sampleLoad / readyAtSample : Number.NaN,
      unreadyPods: fleet.size - readyNow,
      missingPods: readyNow - podsWithMetric,
    });
    const counted = step >= evaluationStartStep;
    if (result.rescaled) {
      fleet.scaleTo(result.replicas, nowSeconds);
      if (counted) tally.countAction();
    }
    const ready = fleet.readyAt(nowSeconds);
    readyHistory[i] = ready;
    const load = values[step] ?? Number.NaN;
    if (counted && Number.isFinite(load)) tally.add(load / podCapacity, ready, fleet.size, sync);
  }
  return {
    metrics: tally.result(),
    ...(options.recordReadyPods === true ? { readyPods: readyHistory } : {}),
  };
}
