import { PresageAnnotation, type ScalerActuator } from "./scaler-actuator.js";

/**
 * The dead-man's switch: when a new leader takes the lease from an instance that stopped renewing
 * (crashed, partitioned), every floor that instance may have left raised is put back to its declared
 * baseline. The new leader's next tick raises again only what its own fresh forecasts justify.
 * Returns how many HPAs were restored; failures are logged per HPA and do not stop the others.
 */
export async function restoreFloorsLeftBehind(
  actuator: ScalerActuator,
  log: (line: string) => void,
): Promise<number> {
  let restored = 0;
  for (const hpa of await actuator.listTargets()) {
    if (hpa.annotations[PresageAnnotation.baselineMinReplicas] === undefined) continue;
    try {
      await actuator.restoreBaseline(hpa.ref);
      restored++;
    } catch (error) {
      log(
        `scaler restore-left-behind failed hpa=${hpa.ref.namespace}/${hpa.ref.name} error="${
          error instanceof Error ? error.message : String(error)
        }"`,
      );
    }
  }
  return restored;
}
