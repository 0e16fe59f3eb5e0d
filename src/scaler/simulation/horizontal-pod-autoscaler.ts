/**
 * The Kubernetes HPA controller's replica arithmetic (pkg/controller/podautoscaler, autoscaling/v2
 * with the default `behavior`), replayed step by step for one `Pods`-type metric with an
 * `AverageValue` target — how a request-rate HPA works through a Prometheus adapter. Pure: time enters
 * only as `nowSeconds`.
 *
 * What is reproduced, in the controller's order, at every sync:
 * 1. replicas above `maxReplicas` → `maxReplicas`; below `minReplicas` → `minReplicas` (at once, no
 *    rate limit — this is how a raised floor takes effect);
 * 2. otherwise the metric proposal of `calcPlainMetricReplicas`: `ceil(ratio × pods with a metric)`
 *    with `ratio = average / target`, no change within the tolerance, unready pods counted as 0 on a
 *    scale-up, pods without a sample counted as 0 on a scale-up and as exactly the target on a
 *    scale-down, and no change when those fills would flip the direction;
 * 3. stabilization: the proposal is recorded, and the result is the current replicas pulled up to the
 *    lowest proposal of the scale-up window and down to the highest proposal of the scale-down window
 *    (300 s by default — a scale-down follows the highest proposal of the last five minutes);
 * 4. rate limits from scale events inside each policy's period (default up: the larger of +100% and
 *    +4 pods per 15 s; down: −100% per 15 s), clamped to [minReplicas, maxReplicas].
 *
 * Not reproduced: `selectPolicy: Min`/`Disabled`, the CPU-only initialization grace rules, and
 * several metrics at once.
 */

/** At most `value` pods, or `value` percent of the replicas at the period's start, per `periodSeconds`. */
export interface HpaScalingPolicy {
  readonly type: "Pods" | "Percent";
  readonly value: number;
  readonly periodSeconds: number;
}

/** One direction of an HPA `behavior` (`selectPolicy: Max`: the policy allowing the most change wins). */
export interface HpaScalingRules {
  readonly stabilizationWindowSeconds: number;
  readonly policies: readonly HpaScalingPolicy[];
}

export interface HpaBehavior {
  readonly scaleUp: HpaScalingRules;
  readonly scaleDown: HpaScalingRules;
}

/** The behavior autoscaling/v2 fills in when an HPA declares none. */
export const KUBERNETES_DEFAULT_HPA_BEHAVIOR: HpaBehavior = Object.freeze<HpaBehavior>({
  scaleUp: {
    stabilizationWindowSeconds: 0,
    policies: [
      { type: "Percent", value: 100, periodSeconds: 15 },
      { type: "Pods", value: 4, periodSeconds: 15 },
    ],
  },
  scaleDown: {
    stabilizationWindowSeconds: 300,
    policies: [{ type: "Percent", value: 100, periodSeconds: 15 }],
  },
});

/** The kube-controller-manager's `--horizontal-pod-autoscaler-tolerance` default. */
export const KUBERNETES_DEFAULT_HPA_TOLERANCE = 0.1;

export interface HpaSettings {
  /** The metric's `AverageValue` target per pod (e.g. 0.7 × the load one pod serves). */
  readonly targetPerPod: number;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** @defaultValue 0.1 ({@link KUBERNETES_DEFAULT_HPA_TOLERANCE}) */
  readonly tolerance?: number;
  /** @defaultValue {@link KUBERNETES_DEFAULT_HPA_BEHAVIOR} */
  readonly behavior?: HpaBehavior;
}

/** What the controller sees at one sync: the pods of the target and the metric samples it got. */
export interface HpaObservation {
  /** Pods with a metric sample (Ready when it was taken and still present). */
  readonly podsWithMetric: number;
  /** The samples' average value per pod; `NaN` when the metric could not be read. */
  readonly averageValue: number;
  /** Present pods that are not Ready (starting): left out, and counted as 0 on a scale-up. */
  readonly unreadyPods: number;
  /** Ready pods without a sample yet: 0 on a scale-up, exactly the target on a scale-down. */
  readonly missingPods: number;
}

/** Which rule set the replicas at a sync. */
export const HpaSyncReason = {
  /** Replicas were below `minReplicas` (e.g. a raised floor): set to it. */
  belowMin: "below-min",
  /** Replicas were above `maxReplicas`: set to it. */
  aboveMax: "above-max",
  /** The metric proposal after stabilization and rate limits (may equal the current replicas). */
  metric: "metric",
  /** No metric could be read (gap, or no Ready pod had a sample): nothing changes. */
  noMetric: "no-metric",
} as const;
export type HpaSyncReason = (typeof HpaSyncReason)[keyof typeof HpaSyncReason];

export interface HpaSyncResult {
  readonly replicas: number;
  readonly rescaled: boolean;
  readonly reason: HpaSyncReason;
  /** The metric proposal before stabilization and rate limits, when one was made. */
  readonly proposal?: number;
}

interface TimedValue {
  readonly timeSeconds: number;
  readonly value: number;
}

/** Float noise (e.g. 2.0000000000000004) must not ask for a whole extra pod; Kubernetes uses milli-units. */
const EPSILON = 1e-9;

/** One HPA's controller state: stabilization recommendations and recent scale events. */
export class HorizontalPodAutoscaler {
  private min: number;
  private readonly max: number;
  private readonly targetPerPod: number;
  private readonly tolerance: number;
  private readonly behavior: HpaBehavior;
  private recommendations: TimedValue[] = [];
  private scaleUpEvents: TimedValue[] = [];
  private scaleDownEvents: TimedValue[] = [];

  constructor(settings: HpaSettings) {
    this.min = settings.minReplicas;
    this.max = settings.maxReplicas;
    this.targetPerPod = settings.targetPerPod;
    this.tolerance = settings.tolerance ?? KUBERNETES_DEFAULT_HPA_TOLERANCE;
    this.behavior = settings.behavior ?? KUBERNETES_DEFAULT_HPA_BEHAVIOR;
    const problems: string[] = [];
    if (!(this.targetPerPod > 0 && Number.isFinite(this.targetPerPod))) {
      problems.push(`\`targetPerPod\` (${this.targetPerPod}) must be a number > 0`);
    }
    if (!Number.isSafeInteger(this.max) || this.max < 1) {
      problems.push(`\`maxReplicas\` (${this.max}) must be an integer ≥ 1`);
    }
    if (!(this.tolerance >= 0)) problems.push(`\`tolerance\` (${this.tolerance}) must be ≥ 0`);
    if (problems.length > 0) throw new RangeError(`HorizontalPodAutoscaler: ${problems.join("; ")}`);
    this.setMinReplicas(settings.minReplicas);
  }

  get minReplicas(): number {
    return this.min;
  }

  /** Changes `spec.minReplicas`, as presage's floor does; it takes effect at the next sync. */
  setMinReplicas(minReplicas: number): void {
    if (!Number.isSafeInteger(minReplicas) || minReplicas < 1 || minReplicas > this.max) {
      throw new RangeError(
        `HorizontalPodAutoscaler: \`minReplicas\` (${minReplicas}) must be an integer in [1, maxReplicas ${this.max}]`,
      );
    }
    this.min = minReplicas;
  }

  /**
   * One controller sync at `nowSeconds` with `currentReplicas` (the scale target's `spec.replicas`).
   * Returns the replicas to set; a rescale is recorded as a scale event for the rate limits.
   */
  sync(nowSeconds: number, currentReplicas: number, observation: HpaObservation): HpaSyncResult {
    if (this.recommendations.length === 0) {
      this.recommendations.push({ timeSeconds: nowSeconds, value: currentReplicas });
    }
    let desired: number;
    let reason: HpaSyncReason;
    let proposal: number | undefined;
    if (currentReplicas > this.max) {
      desired = this.max;
      reason = HpaSyncReason.aboveMax;
    } else if (currentReplicas < this.min) {
      desired = this.min;
      reason = HpaSyncReason.belowMin;
    } else {
      proposal = this.metricProposal(currentReplicas, observation);
      if (proposal === undefined) {
        return { replicas: currentReplicas, rescaled: false, reason: HpaSyncReason.noMetric };
      }
      const stabilized = this.stabilize(nowSeconds, currentReplicas, proposal);
      desired = this.limitRate(nowSeconds, currentReplicas, stabilized);
      reason = HpaSyncReason.metric;
    }
    const rescaled = desired !== currentReplicas;
    if (rescaled) this.storeScaleEvent(nowSeconds, currentReplicas, desired);
    return { replicas: desired, rescaled, reason, ...(proposal === undefined ? {} : { proposal }) };
  }

  /** `calcPlainMetricReplicas`; `undefined` when there is no sample to go on. */
  private metricProposal(current: number, observation: HpaObservation): number | undefined {
    const { podsWithMetric, averageValue, unreadyPods, missingPods } = observation;
    if (podsWithMetric <= 0 || !Number.isFinite(averageValue)) return undefined;
    const target = this.targetPerPod;
    const ratio = averageValue / target;
    const scaleUpWithUnready = unreadyPods > 0 && ratio > 1;
    if (!scaleUpWithUnready && missingPods === 0) {
      if (Math.abs(1 - ratio) <= this.tolerance) return current;
      return ceil(ratio * podsWithMetric);
    }
    let total = averageValue * podsWithMetric;
    let count = podsWithMetric;
    if (missingPods > 0) {
      // Pods without a sample: exactly the target on a scale-down, nothing on a scale-up.
      if (ratio < 1) total += target * missingPods;
      count += missingPods;
    }
    if (scaleUpWithUnready) count += unreadyPods;
    const newRatio = total / count / target;
    if (
      Math.abs(1 - newRatio) <= this.tolerance ||
      (ratio < 1 && newRatio > 1) ||
      (ratio > 1 && newRatio < 1)
    ) {
      return current;
    }
    const replicas = ceil(newRatio * count);
    if ((newRatio < 1 && replicas > current) || (newRatio > 1 && replicas < current)) return current;
    return replicas;
  }

  /** `stabilizeRecommendationWithBehaviors`. */
  private stabilize(nowSeconds: number, current: number, proposal: number): number {
    const upCutoff = nowSeconds - this.behavior.scaleUp.stabilizationWindowSeconds;
    const downCutoff = nowSeconds - this.behavior.scaleDown.stabilizationWindowSeconds;
    let up = proposal;
    let down = proposal;
    for (const recommendation of this.recommendations) {
      if (recommendation.timeSeconds > upCutoff) up = Math.min(up, recommendation.value);
      if (recommendation.timeSeconds > downCutoff) down = Math.max(down, recommendation.value);
    }
    const oldest = Math.min(upCutoff, downCutoff);
    this.recommendations = this.recommendations.filter((r) => r.timeSeconds >= oldest);
    this.recommendations.push({ timeSeconds: nowSeconds, value: proposal });
    return Math.min(Math.max(current, up), down);
  }

  /** `convertDesiredReplicasWithBehaviorRate`. */
  private limitRate(nowSeconds: number, current: number, desired: number): number {
    if (desired > current) {
      const limit = Math.max(current, this.scaleLimit(nowSeconds, current, this.behavior.scaleUp, 1));
      return Math.min(desired, this.max, limit);
    }
    if (desired < current) {
      const limit = Math.min(current, this.scaleLimit(nowSeconds, current, this.behavior.scaleDown, -1));
      return Math.max(desired, this.min, limit);
    }
    return desired;
  }

  /** The most (direction +1) or fewest (−1) replicas the policies allow now; the most permissive wins. */
  private scaleLimit(nowSeconds: number, current: number, rules: HpaScalingRules, direction: 1 | -1): number {
    let result = direction > 0 ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
    for (const policy of rules.policies) {
      const added = changeWithin(this.scaleUpEvents, nowSeconds, policy.periodSeconds);
      const deleted = changeWithin(this.scaleDownEvents, nowSeconds, policy.periodSeconds);
      const periodStart = current - added + deleted;
      const proposed =
        direction > 0
          ? policy.type === "Pods"
            ? periodStart + policy.value
            : Math.ceil(periodStart * (1 + policy.value / 100))
          : policy.type === "Pods"
            ? periodStart - policy.value
            : Math.trunc(periodStart * (1 - policy.value / 100));
      result = direction > 0 ? Math.max(result, proposed) : Math.min(result, proposed);
    }
    return Number.isFinite(result) ? result : current;
  }

  private storeScaleEvent(nowSeconds: number, previous: number, next: number): void {
    const up = next > previous;
    const rules = up ? this.behavior.scaleUp : this.behavior.scaleDown;
    const longest = Math.max(0, ...rules.policies.map((policy) => policy.periodSeconds));
    const events = (up ? this.scaleUpEvents : this.scaleDownEvents).filter(
      (event) => event.timeSeconds > nowSeconds - longest,
    );
    events.push({ timeSeconds: nowSeconds, value: Math.abs(next - previous) });
    if (up) this.scaleUpEvents = events;
    else this.scaleDownEvents = events;
  }
}

/** `getReplicasChangePerPeriod`: the change of events strictly inside the last `periodSeconds`. */
function changeWithin(events: readonly TimedValue[], nowSeconds: number, periodSeconds: number): number {
  let total = 0;
  for (const event of events) if (event.timeSeconds > nowSeconds - periodSeconds) total += event.value;
  return total;
}

function ceil(value: number): number {
  return Math.ceil(value - EPSILON);
}
