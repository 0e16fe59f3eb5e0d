/**
 * What one policy cost and how often it fell short, over the evaluated part of a replay.
 *
 * Demand is measured in pods: `demandPods = load / podCapacity` (the pods needed at 100% of their
 * capacity). A policy is short whenever `demandPods > readyPods` (Ready pods only: starting pods serve
 * nothing). Time is counted at the replay's resolution (the HPA sync period), with load held
 * constant within each trace step; unmeasured steps (gaps) are left out of every figure.
 */
export interface ProvisioningMetrics {
  /** Σ present pods (Ready or starting: both are paid for) × hours. */
  readonly podHours: number;
  /** Minutes during which demand exceeded Ready capacity. */
  readonly underProvisionedMinutes: number;
  /** Σ max(0, demandPods − readyPods) × minutes. */
  readonly underProvisionedPodMinutes: number;
  /** `underProvisionedPodMinutes / demandPodMinutes`: the share of demand Ready capacity did not cover. */
  readonly unservedShare: number;
  /** Replica changes (rescales) made. */
  readonly scalingActions: number;
  /** Σ demandPods × minutes. */
  readonly demandPodMinutes: number;
  /** Measured minutes counted. */
  readonly evaluatedMinutes: number;
}

/** Shortfalls below this many pods are float noise, not a shortage. */
const SHORTFALL_EPSILON = 1e-9;

/** Accumulates {@link ProvisioningMetrics} interval by interval. */
export class ProvisioningTally {
  private podSeconds = 0;
  private shortSeconds = 0;
  private shortPodSeconds = 0;
  private demandPodSeconds = 0;
  private measuredSeconds = 0;
  private actions = 0;

  /** Adds an interval of `seconds` with constant demand, Ready pods and present pods. */
  add(demandPods: number, readyPods: number, presentPods: number, seconds: number): void {
    const shortfall = demandPods - readyPods;
    this.podSeconds += presentPods * seconds;
    this.demandPodSeconds += demandPods * seconds;
    this.measuredSeconds += seconds;
    if (shortfall > SHORTFALL_EPSILON) {
      this.shortSeconds += seconds;
      this.shortPodSeconds += shortfall * seconds;
    }
  }

  countAction(): void {
    this.actions++;
  }

  result(): ProvisioningMetrics {
    return {
      podHours: this.podSeconds / 3600,
      underProvisionedMinutes: this.shortSeconds / 60,
      underProvisionedPodMinutes: this.shortPodSeconds / 60,
      unservedShare: this.demandPodSeconds > 0 ? this.shortPodSeconds / this.demandPodSeconds : 0,
      scalingActions: this.actions,
      demandPodMinutes: this.demandPodSeconds / 60,
      evaluatedMinutes: this.measuredSeconds / 60,
    };
  }
}
