import type { FloorDecision } from "./floor-decision.js";
import {
  formatHpaRef,
  PresageAnnotation,
  type AnnotatedHpa,
  type FloorChange,
  type HpaRef,
  type HpaState,
  type ScalerActuator,
  type ScalerEvent,
} from "./scaler-actuator.js";
import { ScalerError, ScalerErrorCode } from "./scaler-error.js";

/** One HPA of a {@link SimulatedCluster}. */
export interface SimulatedHpaSpec {
  readonly namespace: string;
  readonly name: string;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** @defaultValue `minReplicas` */
  readonly currentReplicas?: number;
  /** @defaultValue none */
  readonly annotations?: Readonly<Record<string, string>>;
  /**
   * Load one pod serves at 100% utilization, for the reactive rule of {@link SimulatedCluster.reconcile}.
   * @defaultValue the `presage.io/pod-capacity` annotation, else 1
   */
  readonly podCapacity?: number;
  /** Utilization the reactive rule aims for. @defaultValue 0.7 */
  readonly targetUtilization?: number;
}

/** An HPA's state in the simulation (a copy; changing it changes nothing). */
export interface SimulatedHpa {
  readonly ref: HpaRef;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly currentReplicas: number;
  readonly desiredReplicas: number;
  readonly annotations: Readonly<Record<string, string>>;
}

/** A write the loop made, in order. */
export type SimulatedWrite =
  | {
      readonly kind: "setFloor";
      readonly ref: HpaRef;
      readonly floor: number;
      readonly decision: FloorDecision;
      readonly change: FloorChange;
    }
  | { readonly kind: "restoreBaseline"; readonly ref: HpaRef; readonly change: FloorChange };

/** Actuator operations a test can make fail. */
export type SimulatedOperation = "listTargets" | "readHpa" | "setFloor" | "restoreBaseline" | "emitEvent";

interface MutableHpa {
  ref: HpaRef;
  minReplicas: number;
  maxReplicas: number;
  currentReplicas: number;
  desiredReplicas: number;
  annotations: Record<string, string>;
  podCapacity: number;
  targetUtilization: number;
}

/**
 * An in-memory cluster of HPAs implementing {@link ScalerActuator}, for embedded mode (`npm start`)
 * and tests. It keeps the same contract as the Kubernetes adapter — the baseline annotation is
 * written with the first floor change and removed on restore; writing the floor in force is a no-op —
 * and records every call (`setFloorCalls`, `writes`, `events`). Replicas follow a simple reactive
 * rule (see {@link reconcile}) so a raised floor is visible as replicas.
 */
export class SimulatedCluster implements ScalerActuator {
  /** Every `setFloor` call, including no-ops, in order. */
  readonly setFloorCalls: {
    readonly ref: HpaRef;
    readonly floor: number;
    readonly decision: FloorDecision;
  }[] = [];
  /** Every call that changed an HPA, in order. */
  readonly writes: SimulatedWrite[] = [];
  readonly events: { readonly ref: HpaRef; readonly event: ScalerEvent }[] = [];
  private readonly hpas = new Map<string, MutableHpa>();
  private readonly failures = new Map<string, Error>();

  constructor(hpas: readonly SimulatedHpaSpec[] = []) {
    for (const spec of hpas) this.addHpa(spec);
  }

  /** Adds or replaces an HPA. */
  addHpa(spec: SimulatedHpaSpec): void {
    const annotations = { ...(spec.annotations ?? {}) };
    const annotatedCapacity = Number(annotations[PresageAnnotation.podCapacity]);
    const current = spec.currentReplicas ?? spec.minReplicas;
    const ref = { namespace: spec.namespace, name: spec.name };
    this.hpas.set(formatHpaRef(ref), {
      ref,
      minReplicas: spec.minReplicas,
      maxReplicas: spec.maxReplicas,
      currentReplicas: current,
      desiredReplicas: current,
      annotations,
      podCapacity: spec.podCapacity ?? (annotatedCapacity > 0 ? annotatedCapacity : 1),
      targetUtilization: spec.targetUtilization ?? 0.7,
    });
  }

  removeHpa(ref: HpaRef): void {
    this.hpas.delete(formatHpaRef(ref));
  }

  /** A copy of one HPA, or `undefined`. */
  hpa(ref: HpaRef): SimulatedHpa | undefined {
    const hpa = this.hpas.get(formatHpaRef(ref));
    return hpa === undefined
      ? undefined
      : {
          ref: hpa.ref,
          minReplicas: hpa.minReplicas,
          maxReplicas: hpa.maxReplicas,
          currentReplicas: hpa.currentReplicas,
          desiredReplicas: hpa.desiredReplicas,
          annotations: { ...hpa.annotations },
        };
  }

  /** The owner edits the HPA (e.g. changes maxReplicas or annotations). */
  edit(
    ref: HpaRef,
    change: Partial<Pick<SimulatedHpa, "minReplicas" | "maxReplicas" | "annotations">>,
  ): void {
    const hpa = this.require(ref);
    if (change.minReplicas !== undefined) hpa.minReplicas = change.minReplicas;
    if (change.maxReplicas !== undefined) hpa.maxReplicas = change.maxReplicas;
    if (change.annotations !== undefined) hpa.annotations = { ...change.annotations };
  }

  /** Makes every later call of `operation` (on `ref`, or on any HPA when omitted) throw `error`. */
  failWith(operation: SimulatedOperation, error: Error, ref?: HpaRef): void {
    this.failures.set(failureKey(operation, ref), error);
  }

  /** Undoes {@link failWith}. */
  heal(operation: SimulatedOperation, ref?: HpaRef): void {
    this.failures.delete(failureKey(operation, ref));
  }

  /**
   * One reactive-HPA sync for one HPA at `load`: desired = ceil(load / (podCapacity × target
   * utilization)) within [minReplicas, maxReplicas]; replicas rise to it at once and fall by at most
   * one per sync (a crude scale-down stabilization).
   */
  reconcile(ref: HpaRef, load: number): SimulatedHpa {
    const hpa = this.require(ref);
    const wanted = Math.ceil(Math.max(0, load) / (hpa.podCapacity * hpa.targetUtilization) - 1e-9);
    hpa.desiredReplicas = Math.min(hpa.maxReplicas, Math.max(hpa.minReplicas, wanted));
    hpa.currentReplicas =
      hpa.desiredReplicas >= hpa.currentReplicas
        ? hpa.desiredReplicas
        : Math.max(hpa.desiredReplicas, hpa.currentReplicas - 1);
    return this.hpa(ref)!;
  }

  listTargets(): Promise<readonly AnnotatedHpa[]> {
    return this.run("listTargets", undefined, () =>
      [...this.hpas.values()]
        .filter((hpa) => hpa.annotations[PresageAnnotation.enabled] === "true")
        .map((hpa) => ({ ref: hpa.ref, annotations: { ...hpa.annotations } })),
    );
  }

  readHpa(ref: HpaRef): Promise<HpaState> {
    return this.run("readHpa", ref, () => {
      const hpa = this.require(ref);
      const recorded = hpa.annotations[PresageAnnotation.baselineMinReplicas];
      const baseline = recorded === undefined ? Number.NaN : Number(recorded);
      const baselineRecorded = Number.isSafeInteger(baseline) && baseline >= 0;
      return {
        ref: hpa.ref,
        minReplicas: hpa.minReplicas,
        maxReplicas: hpa.maxReplicas,
        currentReplicas: hpa.currentReplicas,
        desiredReplicas: hpa.desiredReplicas,
        baselineMinReplicas: baselineRecorded ? baseline : hpa.minReplicas,
        baselineRecorded,
      };
    });
  }

  setFloor(ref: HpaRef, floor: number, decision: FloorDecision): Promise<FloorChange> {
    return this.run("setFloor", ref, () => {
      this.setFloorCalls.push({ ref, floor, decision });
      const hpa = this.require(ref);
      if (!Number.isSafeInteger(floor) || floor < 0 || floor > hpa.maxReplicas) {
        throw new ScalerError(
          ScalerErrorCode.invalidPatch,
          `HPA ${formatHpaRef(ref)}: minReplicas (${floor}) must be an integer from 0 to maxReplicas (${hpa.maxReplicas})`,
        );
      }
      const previous = hpa.minReplicas;
      if (floor === previous) return { previousMinReplicas: previous, minReplicas: floor, changed: false };
      if (hpa.annotations[PresageAnnotation.baselineMinReplicas] === undefined) {
        hpa.annotations[PresageAnnotation.baselineMinReplicas] = String(previous);
      }
      hpa.minReplicas = floor;
      // The HPA controller enforces its minimum on the next sync; here at once.
      hpa.currentReplicas = Math.max(hpa.currentReplicas, floor);
      hpa.desiredReplicas = Math.max(hpa.desiredReplicas, floor);
      const change = { previousMinReplicas: previous, minReplicas: floor, changed: true };
      this.writes.push({ kind: "setFloor", ref, floor, decision, change });
      return change;
    });
  }

  restoreBaseline(ref: HpaRef): Promise<FloorChange> {
    return this.run("restoreBaseline", ref, () => {
      const hpa = this.require(ref);
      const previous = hpa.minReplicas;
      const recorded = hpa.annotations[PresageAnnotation.baselineMinReplicas];
      if (recorded === undefined)
        return { previousMinReplicas: previous, minReplicas: previous, changed: false };
      const baseline = Number(recorded);
      if (!Number.isSafeInteger(baseline) || baseline < 0) {
        throw new ScalerError(
          ScalerErrorCode.invalidTarget,
          `HPA ${formatHpaRef(ref)}: annotation ${PresageAnnotation.baselineMinReplicas} (${JSON.stringify(recorded)}) must be an integer ≥ 0`,
        );
      }
      hpa.minReplicas = baseline;
      hpa.annotations = Object.fromEntries(
        Object.entries(hpa.annotations).filter(([key]) => key !== PresageAnnotation.baselineMinReplicas),
      );
      const change = { previousMinReplicas: previous, minReplicas: baseline, changed: true };
      this.writes.push({ kind: "restoreBaseline", ref, change });
      return change;
    });
  }

  emitEvent(ref: HpaRef, event: ScalerEvent): Promise<void> {
    return this.run("emitEvent", ref, () => {
      this.require(ref);
      this.events.push({ ref, event });
    });
  }

  private run<T>(operation: SimulatedOperation, ref: HpaRef | undefined, body: () => T): Promise<T> {
    const failure =
      (ref === undefined ? undefined : this.failures.get(failureKey(operation, ref))) ??
      this.failures.get(failureKey(operation, undefined));
    if (failure !== undefined) return Promise.reject(failure);
    try {
      return Promise.resolve(body());
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private require(ref: HpaRef): MutableHpa {
    const hpa = this.hpas.get(formatHpaRef(ref));
    if (hpa === undefined) {
      throw new ScalerError(ScalerErrorCode.hpaNotFound, `HPA ${formatHpaRef(ref)} does not exist`);
    }
    return hpa;
  }
}

function failureKey(operation: SimulatedOperation, ref: HpaRef | undefined): string {
  return ref === undefined ? `${operation} *` : `${operation} ${formatHpaRef(ref)}`;
}
