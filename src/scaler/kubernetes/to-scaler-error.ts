import { KubernetesErrorCode, type KubernetesError } from "../../kubernetes/kubernetes-error.js";
import { ScalerError, ScalerErrorCode } from "../scaler-error.js";

/** Which scaler code each shared Kubernetes code is counted under. */
const SCALER_CODES: Readonly<Record<KubernetesErrorCode, ScalerErrorCode>> = {
  [KubernetesErrorCode.invalidConfig]: ScalerErrorCode.invalidTarget,
  [KubernetesErrorCode.unauthorized]: ScalerErrorCode.forbidden,
  [KubernetesErrorCode.forbidden]: ScalerErrorCode.forbidden,
  [KubernetesErrorCode.notFound]: ScalerErrorCode.hpaNotFound,
  [KubernetesErrorCode.invalid]: ScalerErrorCode.invalidPatch,
  [KubernetesErrorCode.conflict]: ScalerErrorCode.conflict,
  [KubernetesErrorCode.unavailable]: ScalerErrorCode.unavailable,
};

/**
 * The scaler's view of a failed Kubernetes request: the same message under the scaler's own code, so
 * the loop counts it with its other errors. Wraps `error` as `cause`.
 */
export function toScalerError(error: KubernetesError): ScalerError {
  return new ScalerError(SCALER_CODES[error.code], error.message, { cause: error });
}
