import { describeObject, type KubeRequestError } from "./kube-request-error.js";

/** Stable codes of Kubernetes failures shared by every adapter (scaler, remediation). */
export const KubernetesErrorCode = {
  /** The kubeconfig names a context that does not exist or yields no cluster. */
  invalidConfig: "PRESAGE_KUBE_INVALID_CONFIG",
  /** The API server rejected presage's credentials (401). */
  unauthorized: "PRESAGE_KUBE_UNAUTHORIZED",
  /** The API server refused (403): RBAC is missing a verb or resource. */
  forbidden: "PRESAGE_KUBE_FORBIDDEN",
  /** The object does not exist (404). */
  notFound: "PRESAGE_KUBE_NOT_FOUND",
  /** The API server rejected the request as invalid (400, 415, 422). */
  invalid: "PRESAGE_KUBE_INVALID",
  /** The object kept changing under us (409) after every retry. */
  conflict: "PRESAGE_KUBE_CONFLICT",
  /** The API server is unreachable, throttling (429) or failing (5xx) after every retry. */
  unavailable: "PRESAGE_KUBE_UNAVAILABLE",
} as const;
export type KubernetesErrorCode = (typeof KubernetesErrorCode)[keyof typeof KubernetesErrorCode];

/** A Kubernetes failure with a stable code; a failed request is wrapped as `cause`. */
export class KubernetesError extends Error {
  override readonly name = "KubernetesError";
  constructor(
    readonly code: KubernetesErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * A failed request (after retries, where they apply) as a {@link KubernetesError} with a stable code
 * and a message that says what to do — for 403, which verb on which resource the ServiceAccount's RBAC
 * lacks. `attempts` above 1 is named in the message.
 */
export function toKubernetesError(error: KubeRequestError, attempts: number): KubernetesError {
  const { context, status } = error;
  const object = describeObject(context);
  const after = attempts > 1 ? ` (after ${attempts} attempts)` : "";
  if (status === 401) {
    return new KubernetesError(
      KubernetesErrorCode.unauthorized,
      `${context.verb} ${object}: the API server rejected presage's credentials (401 Unauthorized): ${error.serverMessage}. Check the ServiceAccount token or kubeconfig.`,
      { cause: error },
    );
  }
  if (status === 403) {
    const group = context.group === "" ? '"" (core)' : `"${context.group}"`;
    const scope =
      context.namespace === undefined ? "a ClusterRole" : `a Role in "${context.namespace}" or a ClusterRole`;
    return new KubernetesError(
      KubernetesErrorCode.forbidden,
      `presage may not ${context.verb} ${object} (403 Forbidden): RBAC must grant verb "${context.verb}" on resource "${context.resource}" in API group ${group} through ${scope} bound to presage's ServiceAccount (see deploy/rbac.yaml). Server said: ${error.serverMessage}`,
      { cause: error },
    );
  }
  if (status === 404) {
    return new KubernetesError(
      KubernetesErrorCode.notFound,
      `${object} does not exist (404): ${error.serverMessage}`,
      { cause: error },
    );
  }
  if (status === 400 || status === 415 || status === 422) {
    return new KubernetesError(
      KubernetesErrorCode.invalid,
      `the API server rejected ${context.verb} ${object} as invalid (${status}${error.reason === undefined ? "" : ` ${error.reason}`}): ${error.serverMessage}`,
      { cause: error },
    );
  }
  if (status === 409) {
    return new KubernetesError(
      KubernetesErrorCode.conflict,
      `${context.verb} ${object} kept conflicting with other writers${after}: ${error.serverMessage}`,
      { cause: error },
    );
  }
  const what =
    status === undefined
      ? error.network
        ? "got no answer"
        : "could not be sent"
      : status === 429
        ? "was throttled (429)"
        : `failed with HTTP ${status}`;
  return new KubernetesError(
    KubernetesErrorCode.unavailable,
    `${context.verb} ${object} ${what}${after}: ${error.serverMessage}`,
    { cause: error },
  );
}
