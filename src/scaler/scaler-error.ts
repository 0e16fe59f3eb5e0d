/** Stable codes of scaler failures; the loop counts errors by these codes. */
export const ScalerErrorCode = {
  /** An HPA's presage annotations or a configured scaler target are invalid. */
  invalidTarget: "PRESAGE_SCALER_INVALID_TARGET",
  /** The HPA (or its ScaledObject) does not exist. */
  hpaNotFound: "PRESAGE_SCALER_HPA_NOT_FOUND",
  /** The API server refused (403): RBAC is missing a verb or resource. */
  forbidden: "PRESAGE_SCALER_FORBIDDEN",
  /** The API server rejected the write as invalid (422), e.g. minReplicas above maxReplicas. */
  invalidPatch: "PRESAGE_SCALER_INVALID_PATCH",
  /** The object kept changing under us (409) after every retry. */
  conflict: "PRESAGE_SCALER_CONFLICT",
  /** The API server is unreachable, throttling (429) or failing (5xx) after every retry. */
  unavailable: "PRESAGE_SCALER_UNAVAILABLE",
  /** The target has no current model in the registry. */
  noModel: "PRESAGE_SCALER_NO_MODEL",
  /** The forecast could not be made or turned into replicas. */
  forecastFailed: "PRESAGE_SCALER_FORECAST_FAILED",
  /** The outage (error-rate/availability) probe failed; the tick goes on as if there were no outage. */
  outageProbeFailed: "PRESAGE_SCALER_OUTAGE_PROBE_FAILED",
  /** Pod start-up times (kube-state-metrics) could not be read; the previous or configured lead is used. */
  startupLeadFailed: "PRESAGE_SCALER_STARTUP_LEAD_FAILED",
  /** Anything else: a bug or an error without a code. */
  internal: "PRESAGE_SCALER_INTERNAL",
} as const;
export type ScalerErrorCode = (typeof ScalerErrorCode)[keyof typeof ScalerErrorCode];

/** A scaler failure with a stable code; wrap the underlying error as `cause`. */
export class ScalerError extends Error {
  override readonly name = "ScalerError";
  constructor(
    readonly code: ScalerErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The stable code of any error: its own `code` when it has a `PRESAGE_*` one, else `internal`. */
export function errorCode(error: unknown): string {
  if (
    error instanceof Error &&
    "code" in error &&
    typeof error.code === "string" &&
    error.code.startsWith("PRESAGE_")
  ) {
    return error.code;
  }
  return ScalerErrorCode.internal;
}

/** The message of any thrown value. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
