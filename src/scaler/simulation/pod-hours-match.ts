import type { ProvisioningMetrics } from "./provisioning-tally.js";

/** The policies a replay compares. */
export const PolicyName = { reactive: "reactive", presage: "presage", oracle: "oracle" } as const;
export type PolicyName = (typeof PolicyName)[keyof typeof PolicyName];

/** One policy setting and what it cost and missed. */
export interface PolicyResult extends ProvisioningMetrics {
  readonly name: PolicyName;
  /** The HPA's target utilization (1 for the oracle, which fills pods to capacity). */
  readonly targetUtilization: number;
  /** presage's forecast quantile; `null` for policies without a forecast. */
  readonly quantile: number | null;
}

/** A reactive setting next to the presage setting that costs about as much. */
export interface PodHoursMatch {
  readonly reactive: PolicyResult;
  /** The efficient presage setting closest in pod-hours; `undefined` when there is none. */
  readonly presage: PolicyResult | undefined;
  /** `(presage − reactive) / reactive` pod-hours. */
  readonly podHoursDifference: number;
  /** Whether `|podHoursDifference|` is within the tolerance (only then is the ratio a fair comparison). */
  readonly matched: boolean;
  /** presage's under-provisioned pod-minutes / reactive's (`NaN` when reactive has none). */
  readonly underProvisionedRatio: number;
}

/**
 * The settings no other setting beats on both counts: none has fewer (or equal) pod-hours and fewer
 * (or equal) under-provisioned pod-minutes, with one of them strictly fewer. A user tuning presage
 * would never pick a dominated setting, so matches are drawn from these.
 */
export function paretoEfficient(policies: readonly PolicyResult[]): PolicyResult[] {
  return policies.filter(
    (candidate) =>
      !policies.some(
        (other) =>
          other !== candidate &&
          other.podHours <= candidate.podHours &&
          other.underProvisionedPodMinutes <= candidate.underProvisionedPodMinutes &&
          (other.podHours < candidate.podHours ||
            other.underProvisionedPodMinutes < candidate.underProvisionedPodMinutes),
      ),
  );
}

/**
 * Compares at equal cost: for each reactive setting, the efficient presage setting closest in
 * pod-hours, and the ratio of their under-provisioned pod-minutes. A pair further apart than
 * `tolerance` (relative pod-hours) is reported but not `matched`.
 */
export function matchAtEqualPodHours(
  reactive: readonly PolicyResult[],
  presage: readonly PolicyResult[],
  tolerance: number,
): PodHoursMatch[] {
  const candidates = paretoEfficient(presage);
  return reactive.map((base) => {
    let best: PolicyResult | undefined;
    for (const candidate of candidates) {
      if (
        best === undefined ||
        Math.abs(candidate.podHours - base.podHours) < Math.abs(best.podHours - base.podHours)
      ) {
        best = candidate;
      }
    }
    const podHoursDifference =
      best === undefined ? Number.NaN : (best.podHours - base.podHours) / base.podHours;
    return {
      reactive: base,
      presage: best,
      podHoursDifference,
      matched: Math.abs(podHoursDifference) <= tolerance,
      underProvisionedRatio:
        best === undefined || base.underProvisionedPodMinutes === 0
          ? Number.NaN
          : best.underProvisionedPodMinutes / base.underProvisionedPodMinutes,
    };
  });
}

/**
 * presage's under-provisioned pod-minutes at exactly `podHours`, read off its efficient frontier by
 * linear interpolation between the two settings that bracket it (a mix of two settings over time
 * costs and misses in proportion). A second view of {@link matchAtEqualPodHours} that does not depend
 * on which setting of the sweep grid happens to land nearest; `undefined` outside the frontier's span.
 */
export function interpolatedShortfallAt(
  presage: readonly PolicyResult[],
  podHours: number,
): number | undefined {
  const frontier = paretoEfficient(presage).sort((a, b) => a.podHours - b.podHours);
  for (let i = 0; i < frontier.length; i++) {
    const right = frontier[i];
    if (right === undefined || right.podHours < podHours) continue;
    if (right.podHours === podHours) return right.underProvisionedPodMinutes;
    const left = frontier[i - 1];
    if (left === undefined) return undefined;
    const share = (podHours - left.podHours) / (right.podHours - left.podHours);
    return (
      left.underProvisionedPodMinutes +
      share * (right.underProvisionedPodMinutes - left.underProvisionedPodMinutes)
    );
  }
  return undefined;
}
