import { MetricSourceError, MetricSourceErrorCode } from "./metric-source.js";

/** What was being asked when a Prometheus request failed, for the error message. */
export interface PrometheusRequestContext {
  /** E.g. `query_range "up" [2026-01-01T00:00:00Z .. 2026-01-02T00:00:00Z, step 300 s]`. */
  readonly description: string;
  /** The attempt's own deadline fired (as opposed to the caller aborting). */
  readonly timedOut: boolean;
  readonly timeoutMs: number;
}

/** HTTP statuses that mean "try again later" although they are 4xx. */
const RETRYABLE_CLIENT_STATUSES = new Set([408, 425, 429]);

/**
 * Maps whatever `prometheus-query`'s `PrometheusDriver` threw to a `MetricSourceError`. The driver
 * rejects with plain objects, not `Error`s: `{ errorType: "http_error", httpStatus, error }` for a
 * non-2xx answer and `"timeout_error" | "network_error" | "ssl_error"` when no answer came — also
 * when an interceptor threw, keeping that error as `original`; its result parsing throws `Error`s.
 * (Its `"client_error"` for a 2xx body without `status` is re-caught by its own handler and surfaces
 * as a `network_error`, so {@link requirePrometheusSuccessBody} checks 2xx bodies first.)
 *
 * The cause attached is a fresh `Error` carrying only the driver's message: the raw object holds the
 * Axios request config, bearer token included, which must not reach logs.
 */
export function classifyPrometheusFailure(
  thrown: unknown,
  context: PrometheusRequestContext,
): MetricSourceError {
  if (thrown instanceof MetricSourceError) return thrown;
  if (thrown instanceof Error) {
    return new MetricSourceError(
      MetricSourceErrorCode.invalidResponse,
      `${context.description}: response could not be read: ${thrown.message}`,
      false,
      { cause: thrown },
    );
  }
  const failure = asRecord(thrown);
  if (failure.original instanceof MetricSourceError) return failure.original;
  const errorType = typeof failure.errorType === "string" ? failure.errorType : "unknown";
  const message = typeof failure.error === "string" ? failure.error : String(thrown);
  const cause = new Error(
    `${errorType}${typeof failure.code === "string" ? ` (${failure.code})` : ""}: ${message}`,
  );
  if (errorType === "http_error" && typeof failure.httpStatus === "number") {
    const status = failure.httpStatus;
    if (status >= 500 || RETRYABLE_CLIENT_STATUSES.has(status)) {
      return unavailable(`${context.description} failed with HTTP ${status}: ${message}`, cause);
    }
    return new MetricSourceError(
      MetricSourceErrorCode.badQuery,
      `${context.description} was rejected with HTTP ${status}: ${message}`,
      false,
      { cause },
    );
  }
  if (errorType === "client_error") {
    return new MetricSourceError(
      MetricSourceErrorCode.invalidResponse,
      `${context.description}: the answer is not a Prometheus API response: ${snippet(failure.data)}`,
      false,
      { cause },
    );
  }
  if (context.timedOut || errorType === "timeout_error") {
    return unavailable(`${context.description} timed out after ${context.timeoutMs} ms`, cause);
  }
  return unavailable(`${context.description} failed: ${message}`, cause);
}

/**
 * Axios response-interceptor success handler: a 2xx answer must be a Prometheus success envelope
 * (`{ status: "success", data: {...} }`); anything else — garbage, an HTML login page — is rejected as
 * `invalidResponse`, not retryable.
 */
export function requirePrometheusSuccessBody(
  description: string,
): <R extends { data?: unknown }>(response: R) => R {
  return (response) => {
    const body = asRecord(response.data);
    if (body.status !== "success" || typeof body.data !== "object" || body.data === null) {
      throw new MetricSourceError(
        MetricSourceErrorCode.invalidResponse,
        `${description}: the answer is not a Prometheus API response: ${snippet(response.data)}`,
        false,
      );
    }
    return response;
  };
}

/**
 * Axios response-interceptor rejection handler: gives a non-2xx answer whose body is not Prometheus
 * JSON (an HTML page from a proxy, an empty 503) a Prometheus-shaped error body, so the driver reports
 * it as `http_error` with its status instead of a status-less `client_error`.
 */
export function keepHttpStatusOfForeignErrorBodies(error: unknown): Promise<never> {
  const response = asRecord(asRecord(error).response);
  const data = response.data;
  if (
    typeof response.status === "number" &&
    (typeof data !== "object" || data === null || !("status" in data))
  ) {
    const statusText = typeof response.statusText === "string" ? response.statusText : "";
    response.data = { status: "error", error: `${statusText} ${snippet(data)}`.trim() };
  }
  return Promise.reject(error instanceof Error ? error : new Error(String(error)));
}

function unavailable(message: string, cause: unknown): MetricSourceError {
  return new MetricSourceError(MetricSourceErrorCode.unavailable, message, true, { cause });
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
}

function snippet(data: unknown): string {
  const text = typeof data === "string" ? data : data === undefined ? "" : JSON.stringify(data);
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat || "(empty body)";
}
