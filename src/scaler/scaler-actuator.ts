import type { FloorDecision } from "./floor-decision.js";

/**
 * Annotations presage reads from and writes to HorizontalPodAutoscalers. An HPA takes part when
 * {@link PresageAnnotation.enabled} is `"true"`; the others configure its target (parsed by
 * `parseTargetAnnotations` in scaler-target.ts, which also documents their formats and defaults).
 */
export const PresageAnnotation = {
  /** `"true"` opts the HPA in; anything else (or absent) leaves it alone. */
  enabled: "presage.io/enabled",
  /** The load query (PromQL), e.g. `sum(rate(http_requests_total{app="web"}[1m]))`. Required. */
  loadQuery: "presage.io/load-query",
  /** Load one pod serves, in the load query's unit (e.g. `700` requests per second). Required. */
  podCapacity: "presage.io/pod-capacity",
  /** Forecast quantile the floor is sized for, 0.5 ≤ q < 1, e.g. `0.9`. */
  quantile: "presage.io/quantile",
  /** Pod start-up time (created → Ready) as a duration, e.g. `180s` or `3m`. */
  lead: "presage.io/lead",
  /** `shadow` (record decisions only, the default) or `active` (patch the floor). */
  mode: "presage.io/mode",
  /**
   * Written by presage, not by users: the owner's declared `minReplicas`, stored by the actuator the
   * first time it changes the floor, so the baseline can always be restored.
   */
  baselineMinReplicas: "presage.io/baseline-min-replicas",
  /** Optional: name of the model-registry target (default `<namespace>.<name>` of the HPA). */
  target: "presage.io/target",
  /** Optional: forecast window after the lead time as a duration, e.g. `15m`. */
  window: "presage.io/window",
  /**
   * Optional: PromQL for the service's error ratio (0–1); while its latest value is above
   * `presage.io/outage-threshold` the floor is never lowered (load that drops in an outage comes back
   * as a retry storm).
   */
  outageQuery: "presage.io/outage-query",
  /** Optional: error ratio above which the service counts as failing. Default 0.05. */
  outageThreshold: "presage.io/outage-threshold",
} as const;
export type PresageAnnotation = (typeof PresageAnnotation)[keyof typeof PresageAnnotation];

/** Identifies one HorizontalPodAutoscaler. */
export interface HpaRef {
  readonly namespace: string;
  readonly name: string;
}

/** An HPA that carries `presage.io/enabled: "true"`, with all its annotations, as listed. */
export interface AnnotatedHpa {
  readonly ref: HpaRef;
  readonly annotations: Readonly<Record<string, string>>;
}

/** What the loop reads of one HPA each tick. */
export interface HpaState {
  readonly ref: HpaRef;
  /**
   * The floor in force: `spec.minReplicas` of the HPA (or `spec.minReplicaCount` of the KEDA
   * ScaledObject that owns it).
   */
  readonly minReplicas: number;
  /** `spec.maxReplicas` (or the ScaledObject's `maxReplicaCount`). */
  readonly maxReplicas: number;
  /** `status.currentReplicas`. */
  readonly currentReplicas: number;
  /** `status.desiredReplicas`, when reported. */
  readonly desiredReplicas?: number;
  /**
   * The owner's declared minReplicas: the {@link PresageAnnotation.baselineMinReplicas} annotation
   * when presage has changed the floor, else `minReplicas` itself.
   */
  readonly baselineMinReplicas: number;
  /** Whether the baseline annotation is present (presage has changed this HPA and not restored it). */
  readonly baselineRecorded: boolean;
  /** Whether a KEDA ScaledObject owns the HPA (the floor is then patched on the ScaledObject). */
  readonly kedaOwned?: boolean;
  /** The workload the HPA scales (`spec.scaleTargetRef`), e.g. `{ kind: "Deployment", name: "web" }`. */
  readonly scaleTarget?: { readonly kind: string; readonly name: string };
}

/** What `setFloor` and `restoreBaseline` did. */
export interface FloorChange {
  /** The floor before the call. */
  readonly previousMinReplicas: number;
  /** The floor after the call. */
  readonly minReplicas: number;
  /** False when the floor was already at the value (nothing was written). */
  readonly changed: boolean;
}

/** A Kubernetes Event on the HPA, e.g. `{ type: "Normal", reason: "FloorRaised", message }`. */
export interface ScalerEvent {
  readonly type: "Normal" | "Warning";
  /** UpperCamelCase, as Kubernetes event reasons are. */
  readonly reason: string;
  readonly message: string;
}

/**
 * Port: everything the scaler loop needs from a cluster. The Kubernetes adapter (src/scaler/kubernetes/)
 * implements it over the API server; `SimulatedCluster` implements it in memory for embedded mode and
 * tests. Implementations throw `ScalerError` (scaler-error.ts) with a stable code; the loop counts and
 * logs the failure and carries on with other targets.
 */
export interface ScalerActuator {
  /** HPAs annotated `presage.io/enabled: "true"` (config-declared targets are added by the loop). */
  listTargets(): Promise<readonly AnnotatedHpa[]>;
  /** Reads one HPA. Throws `ScalerError` (`hpaNotFound`) when it does not exist. */
  readHpa(ref: HpaRef): Promise<HpaState>;
  /**
   * Sets the floor (`minReplicas`) to `floor`. The first time presage changes an HPA it stores the
   * current `minReplicas` in the {@link PresageAnnotation.baselineMinReplicas} annotation (never
   * overwriting an existing one), in the same write. Writing the value already in force is a no-op
   * (`changed: false`). `decision` explains the change (for the adapter's own logs); events are
   * emitted by the loop through {@link emitEvent}.
   */
  setFloor(ref: HpaRef, floor: number, decision: FloorDecision): Promise<FloorChange>;
  /**
   * Puts back the declared baseline from the annotation and removes the annotation; a no-op
   * (`changed: false`) when presage never changed the HPA.
   */
  restoreBaseline(ref: HpaRef): Promise<FloorChange>;
  /** Records a Kubernetes Event on the HPA. */
  emitEvent(ref: HpaRef, event: ScalerEvent): Promise<void>;
}

/** `namespace/name`, for logs and messages. */
export function formatHpaRef(ref: HpaRef): string {
  return `${ref.namespace}/${ref.name}`;
}
