/**
 * Types of the scaler's pure decide step (`decideFloor` in decide-floor.ts): what it is given each
 * tick and what it returns. Shared by the in-cluster loop and the replay simulator.
 */

/** Why a floor was chosen; every decision carries one. */
export const FloorReason = {
  /** The forecast asks for more replicas than the current floor: raised (capped by maxStepUp). */
  raise: "raise",
  /** The forecast agrees with the current floor. */
  hold: "hold",
  /** The forecast is lower, but not for long enough yet (scale-down hysteresis). */
  holdCooldown: "hold-cooldown",
  /** The forecast stayed lower for the cooldown: lowered by one step. */
  lower: "lower",
  /** Load dropped while the service is failing (error rate/availability guard): never lower now. */
  holdOutage: "hold-outage",
  /** No usable forecast (missing, stale, failed): back to the declared baseline, never up. */
  baselineNoForecast: "baseline-no-forecast",
  /** Clamped to the declared baseline minReplicas or the HPA's maxReplicas. */
  clamped: "clamped",
} as const;
export type FloorReason = (typeof FloorReason)[keyof typeof FloorReason];

/** Safety rails of one target, from config/annotations. */
export interface FloorPolicy {
  /** The HPA's own minReplicas as declared by its owner; the floor never goes below it. */
  readonly baselineMinReplicas: number;
  /** The HPA's maxReplicas; the floor never goes above it. */
  readonly maxReplicas: number;
  /** Most replicas the floor may rise in one tick. */
  readonly maxStepUp: number;
  /** How long the forecast must stay below the floor before it is lowered. */
  readonly scaleDownCooldownMs: number;
  /** Most replicas the floor may fall in one step down. */
  readonly maxStepDown: number;
  /** A forecast older than this is stale. */
  readonly maxForecastAgeMs: number;
}

/** Everything `decideFloor` looks at in one tick. */
export interface FloorInput {
  readonly nowMs: number;
  readonly policy: FloorPolicy;
  /** The floor in force now (minReplicas as last set). */
  readonly currentFloor: number;
  /**
   * Replicas the forecast asks for: ceil(q-quantile of predicted load over [now + lead, now + lead +
   * window] / per-pod capacity); undefined when there is no forecast.
   */
  readonly forecast?: {
    readonly requiredReplicas: number;
    /**
     * When the forecast was made; its age is what `maxForecastAgeMs` limits. The scaler loop uses the
     * time of the newest observed data point, so a source that stopped delivering makes it stale.
     */
    readonly createdAtMs: number;
    /** How `requiredReplicas` was computed, e.g. "q0.9 of 8.3k / 700 per pod"; quoted in the decision detail. */
    readonly detail?: string;
  };
  /** Why there is no forecast, when there is none (for the reason detail). */
  readonly forecastError?: string;
  /** True while the error-rate/availability guard is tripped. */
  readonly outage: boolean;
  /** Carried state: since when the forecast has asked for less than the floor (undefined: not low). */
  readonly lowSinceMs?: number;
}

export interface FloorDecision {
  readonly floor: number;
  readonly reason: FloorReason;
  /** Human-readable detail, e.g. "forecast asks 12 (q0.9 of 8.3k rps / 700 per pod), raised 8 → 12". */
  readonly detail: string;
  /** State to pass back as `lowSinceMs` next tick. */
  readonly lowSinceMs?: number;
}
