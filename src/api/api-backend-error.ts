/** Stable codes of backend failures the API turns into problem+json responses. */
export const ApiBackendErrorCode = {
  /** No such target (404). */
  unknownTarget: "PRESAGE_API_UNKNOWN_TARGET",
  /** No such model version (404). */
  unknownVersion: "PRESAGE_API_UNKNOWN_VERSION",
  /** The target has no trained model yet (409). */
  noModel: "PRESAGE_API_NO_MODEL",
  /** The target has no data to forecast from (409). */
  noData: "PRESAGE_API_NO_DATA",
  /** A dependency (Prometheus, Redis, registry) is unavailable (503). */
  unavailable: "PRESAGE_API_UNAVAILABLE",
} as const;
export type ApiBackendErrorCode = (typeof ApiBackendErrorCode)[keyof typeof ApiBackendErrorCode];

/** A known backend failure with a stable code; wrap the underlying error as `cause`. */
export class ApiBackendError extends Error {
  override readonly name = "ApiBackendError";
  constructor(
    readonly code: ApiBackendErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
