import { FloorReason, type FloorDecision } from "../../scaler/floor-decision.js";
import { formatHpaRef, type HpaRef, type ScalerActuator } from "../../scaler/scaler-actuator.js";
import type { ActionRunner, AppliedAction, PreparedAction } from "../execution/action-runner.js";
import { errorMessage, RemediationError, RemediationErrorCode } from "../remediation-error.js";
import { ActionKind, describeAction, type RemediationAction } from "../runbooks/remediation-action.js";
import { actionFailures } from "./action-failures.js";

/** What `raise-scaler-floor` saves before it writes: the floor in force and whether a baseline was kept. */
interface FloorSnapshot {
  readonly minReplicas: number;
  readonly wanted: number;
  /** The HPA already carried `presage.io/baseline-min-replicas` (the scaler had raised it). */
  readonly baselineRecorded: boolean;
}

type FloorAction = Extract<RemediationAction, { kind: typeof ActionKind.raiseScalerFloor }>;

/**
 * Runs `raise-scaler-floor` through the scaler's {@link ScalerActuator} (in a cluster the
 * `KubernetesActuator`), so a preventive raise is written exactly as the scaler writes its own: a merge
 * patch with the resourceVersion read, the owner's declared floor kept in
 * `presage.io/baseline-min-replicas` (or the KEDA ScaledObject's `minReplicaCount` patched instead).
 * The scaler loop then owns the raised floor: it holds it while its forecast asks for it, lowers it
 * step by step after its scale-down cooldown, and restores the baseline (removing the annotation).
 *
 * Raising a floor takes no pod down, so it declares no disruption to the blast-radius guard. Undo
 * writes the floor back as it was (`restoreBaseline` when presage had not changed the HPA before, else
 * the previous floor), and only while the floor is still the one the step set.
 */
export class ScalerFloorActions implements ActionRunner {
  constructor(private readonly actuator: ScalerActuator) {}

  async prepare(action: RemediationAction): Promise<PreparedAction> {
    const floorAction = requireFloorAction(action);
    const { by, max } = floorAction.params;
    const ref = refOf(floorAction);
    const hpa = await actionFailures(floorAction, "prepare", () => this.actuator.readHpa(ref));
    const ceiling = Math.min(max, hpa.maxReplicas);
    const wanted = Math.min(ceiling, hpa.minReplicas + by);
    if (wanted <= hpa.minReplicas) {
      throw new RemediationError(
        RemediationErrorCode.nothingToDo,
        `HPA ${formatHpaRef(ref)} has minReplicas ${hpa.minReplicas}; +${by} within max ${max} and maxReplicas ${hpa.maxReplicas} raises nothing`,
      );
    }
    const snapshot: FloorSnapshot = {
      minReplicas: hpa.minReplicas,
      wanted,
      baselineRecorded: hpa.baselineRecorded,
    };
    return {
      action: floorAction,
      snapshot,
      undoable: true,
      detail: `HPA ${formatHpaRef(ref)}: minReplicas ${hpa.minReplicas} (declared baseline ${hpa.baselineMinReplicas}), maxReplicas ${hpa.maxReplicas}, ${hpa.currentReplicas} running`,
    };
  }

  async apply(prepared: PreparedAction): Promise<AppliedAction> {
    const action = requireFloorAction(prepared.action);
    const ref = refOf(action);
    const snapshot = prepared.snapshot as FloorSnapshot;
    const decision: FloorDecision = {
      floor: snapshot.wanted,
      reason: FloorReason.raise,
      detail: `preventive remediation: ${describeAction(action)}`,
    };
    const change = await actionFailures(action, "apply", () =>
      this.actuator.setFloor(ref, snapshot.wanted, decision),
    );
    let eventNote = "";
    try {
      await this.actuator.emitEvent(ref, {
        type: "Normal",
        reason: "PresageFloorRaised",
        message: `minReplicas ${change.previousMinReplicas} → ${change.minReplicas}: ${decision.detail}`,
      });
    } catch (error) {
      // The floor is written; a lost event is noted, not a failed action.
      eventNote = ` (event not recorded: ${errorMessage(error)})`;
    }
    return {
      prepared,
      detail: `minReplicas of HPA ${formatHpaRef(ref)} ${change.previousMinReplicas} → ${change.minReplicas}${eventNote}`,
    };
  }

  async undo(applied: AppliedAction): Promise<string> {
    const action = requireFloorAction(applied.prepared.action);
    const ref = refOf(action);
    const snapshot = applied.prepared.snapshot as FloorSnapshot;
    // Only while the floor is still what the step set: the scaler loop, a human or a deploy may have
    // moved it since, and that must not be overwritten with the older value.
    const hpa = await actionFailures(action, "undo", () => this.actuator.readHpa(ref));
    if (hpa.minReplicas !== snapshot.wanted) {
      throw new RemediationError(
        RemediationErrorCode.actionFailed,
        `HPA ${formatHpaRef(ref)} has minReplicas ${hpa.minReplicas}, not the ${snapshot.wanted} the step set; not put back`,
      );
    }
    if (!snapshot.baselineRecorded) {
      const change = await actionFailures(action, "undo", () => this.actuator.restoreBaseline(ref));
      return `restored the declared baseline of HPA ${formatHpaRef(ref)}: minReplicas ${change.previousMinReplicas} → ${change.minReplicas}`;
    }
    const change = await actionFailures(action, "undo", () =>
      this.actuator.setFloor(ref, snapshot.minReplicas, {
        floor: snapshot.minReplicas,
        reason: FloorReason.lower,
        detail: `undo of preventive remediation: ${describeAction(action)}`,
      }),
    );
    return `put minReplicas of HPA ${formatHpaRef(ref)} back: ${change.previousMinReplicas} → ${change.minReplicas}`;
  }
}

function requireFloorAction(action: RemediationAction): FloorAction {
  if (action.kind !== ActionKind.raiseScalerFloor) {
    throw new RangeError(`ScalerFloorActions runs ${ActionKind.raiseScalerFloor}, not ${action.kind}`);
  }
  return action;
}

function refOf(action: FloorAction): HpaRef {
  return { namespace: action.params.namespace, name: action.params.hpa };
}
