import { errorMessage, RemediationError, RemediationErrorCode } from "../remediation-error.js";
import { describeAction, type RemediationAction } from "../runbooks/remediation-action.js";

/**
 * Runs one phase (prepare, apply, undo) of an action; whatever it throws that is not already a
 * `RemediationError` (a `KubernetesError` or `ScalerError` from the adapters, a network error) is
 * wrapped as `actionFailed`, naming the phase and the action.
 */
export async function actionFailures<T>(
  action: RemediationAction,
  phase: string,
  run: () => Promise<T>,
): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof RemediationError) throw error;
    throw new RemediationError(
      RemediationErrorCode.actionFailed,
      `could not ${phase} "${describeAction(action)}": ${errorMessage(error)}`,
      { cause: error },
    );
  }
}
