import type { MetricSource } from "../sources/metric-source.js";
import type { ScalerTarget } from "./scaler-target.js";

export interface OutageProbeOptions {
  /** Step of the error-ratio query. @defaultValue 60 */
  readonly stepSeconds?: number;
  /** How far back to look for the latest sample. @defaultValue 5 steps */
  readonly lookbackSteps?: number;
  /** @defaultValue `Date.now` */
  readonly now?: () => number;
}

/**
 * The error-rate guard of the scaler loop: a target is in an outage while the latest sample of its
 * `outageQuery` (an error ratio, 0–1) is above `outageThreshold`. Targets without a query never are.
 * When the query returns no sample in the look-back window the answer is "no outage" — the loop's own
 * rule is that a failure to look is not evidence — and a failing source throws, which the loop counts,
 * logs and also treats as no outage.
 */
export function createOutageProbe(
  source: MetricSource,
  options: OutageProbeOptions = {},
): (target: ScalerTarget) => Promise<boolean> {
  const stepSeconds = options.stepSeconds ?? 60;
  const lookbackSteps = options.lookbackSteps ?? 5;
  const now = options.now ?? (() => Date.now());
  return async (target) => {
    if (target.outageQuery === undefined) return false;
    const endMs = now();
    const series = await source.fetchRange({
      query: target.outageQuery,
      startMs: endMs - lookbackSteps * stepSeconds * 1000,
      endMs,
      stepSeconds,
    });
    const latest = [...series.values].reverse().find(Number.isFinite);
    return latest !== undefined && latest > target.outageThreshold;
  };
}
