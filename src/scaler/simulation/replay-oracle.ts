import type { LoadTrace } from "./load-trace.js";
import { ProvisioningTally } from "./provisioning-tally.js";
import type { ReplayRun } from "./replay-hpa.js";

export interface OracleReplayOptions {
  readonly podCapacity: number;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** Sync period of the HPA replays; only the resolution of `readyPods`. */
  readonly syncPeriodSeconds: number;
  readonly evaluationStartStep: number;
  readonly recordReadyPods?: boolean;
}

/**
 * The cost floor: perfect foresight and instant start-up, so exactly `ceil(load / podCapacity)` pods
 * (within [minReplicas, maxReplicas]) are Ready at every instant. It is short only where even
 * `maxReplicas` cannot carry the load. Gaps hold the last replicas and count nothing.
 */
export function replayOracle(trace: LoadTrace, options: OracleReplayOptions): ReplayRun {
  const { podCapacity, evaluationStartStep } = options;
  const syncsPerStep = Math.round(trace.stepSeconds / options.syncPeriodSeconds);
  const tally = new ProvisioningTally();
  const readyPods =
    options.recordReadyPods === true ? new Int32Array(trace.values.length * syncsPerStep) : undefined;
  let previous: number | undefined;
  trace.values.forEach((load, step) => {
    const measured = Number.isFinite(load);
    const replicas = measured
      ? Math.min(options.maxReplicas, Math.max(options.minReplicas, Math.ceil(load / podCapacity - 1e-9)))
      : (previous ?? options.minReplicas);
    if (step >= evaluationStartStep && measured) {
      if (previous !== undefined && replicas !== previous) tally.countAction();
      tally.add(load / podCapacity, replicas, replicas, trace.stepSeconds);
    }
    previous = replicas;
    readyPods?.fill(replicas, step * syncsPerStep, (step + 1) * syncsPerStep);
  });
  return { metrics: tally.result(), ...(readyPods === undefined ? {} : { readyPods }) };
}
