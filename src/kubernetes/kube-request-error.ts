import { ApiException } from "@kubernetes/client-node";
import { parseRetryAfter } from "../http/parse-retry-after.js";

/** What presage was doing when a Kubernetes API request failed: the RBAC verb and the object. */
export interface KubeRequestContext {
  /** The RBAC verb: `get`, `list`, `create`, `update`, `patch`. */
  readonly verb: string;
  /** Plural resource name, e.g. `horizontalpodautoscalers`. */
  readonly resource: string;
  /** API group, `""` for the core group. */
  readonly group: string;
  /** Undefined for a request across all namespaces. */
  readonly namespace?: string | undefined;
  /** Undefined for collection requests (list, create). */
  readonly name?: string | undefined;
}

/** The parts of a Kubernetes `Status` error body presage reads. */
interface StatusBody {
  readonly message?: string;
  readonly reason?: string;
  readonly details?: { readonly retryAfterSeconds?: number };
}

/**
 * A Kubernetes API request that failed: with the HTTP status (undefined when no answer came, e.g. the
 * connection was refused), the `Status` reason and message the server sent, and how long it asked us
 * to wait (`Retry-After`). Wraps client-node's `ApiException` (or the network error) as `cause`.
 */
export class KubeRequestError extends Error {
  override readonly name = "KubeRequestError";
  constructor(
    readonly context: KubeRequestContext,
    /** HTTP status; undefined when the request got no answer. */
    readonly status: number | undefined,
    /** The `Status` reason (`Conflict`, `Forbidden`, ...), when the body was a Status. */
    readonly reason: string | undefined,
    /** The server's own message, or the network error's. */
    readonly serverMessage: string,
    /** From `Retry-After` (or `details.retryAfterSeconds`), when the server sent one. */
    readonly retryAfterMs: number | undefined,
    options?: ErrorOptions,
  ) {
    super(
      `${context.verb} ${describeObject(context)} failed${status === undefined ? "" : ` with HTTP ${status}${reason === undefined ? "" : ` ${reason}`}`}: ${serverMessage}`,
      options,
    );
  }

  /** The request was sent but no answer came (connection refused or reset, timeout). */
  get network(): boolean {
    return this.status === undefined && isNetworkFailure(this.cause);
  }

  /** Worth another attempt: 409 Conflict (re-read and re-apply), 429, 5xx, or a network failure. */
  get retryable(): boolean {
    if (this.status === undefined) return this.network;
    return this.status === 409 || this.status === 429 || this.status >= 500;
  }
}

/** `horizontalpodautoscalers.autoscaling "web" in namespace "shop"`. */
export function describeObject(context: KubeRequestContext): string {
  const resource = context.group === "" ? context.resource : `${context.resource}.${context.group}`;
  const name = context.name === undefined ? "" : ` "${context.name}"`;
  const where =
    context.namespace === undefined ? " in all namespaces" : ` in namespace "${context.namespace}"`;
  return `${resource}${name}${where}`;
}

/**
 * Turns whatever a client-node call threw into a {@link KubeRequestError}. client-node v2 throws
 * `ApiException` for non-2xx answers, with `body` the raw response text (a JSON `Status` from a real
 * API server) and `headers` keyed in lower case; a request that got no answer rejects with undici's
 * `TypeError("fetch failed")`, its `cause` saying why (ECONNREFUSED, ...).
 */
export function toKubeRequestError(thrown: unknown, context: KubeRequestContext): KubeRequestError {
  if (thrown instanceof KubeRequestError) return thrown;
  if (thrown instanceof ApiException) {
    const exception = thrown as ApiException<unknown>;
    const body = parseStatusBody(exception.body);
    const bodySeconds = body.details?.retryAfterSeconds;
    const retryAfterMs =
      parseRetryAfter(exception.headers["retry-after"], Date.now()) ??
      (bodySeconds === undefined ? undefined : Math.max(0, bodySeconds * 1000));
    return new KubeRequestError(
      context,
      exception.code,
      body.reason,
      body.message ?? `the server answered HTTP ${exception.code} without a Status body`,
      retryAfterMs,
      { cause: thrown },
    );
  }
  const error = thrown instanceof Error ? thrown : new Error(String(thrown));
  const detail = error.cause instanceof Error ? `${error.message} (${error.cause.message})` : error.message;
  return new KubeRequestError(context, undefined, undefined, detail, undefined, { cause: error });
}

/**
 * undici's `fetch` rejects with `TypeError("fetch failed")` whose `cause` carries a code (`ECONNREFUSED`,
 * `UND_ERR_SOCKET`, ...); anything else thrown before an answer — e.g. client-node refusing a plain
 * `http://` server without `skipTLSVerify` — is a configuration problem that no retry mends.
 */
function isNetworkFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error instanceof TypeError && error.message === "fetch failed") return true;
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/.test(code);
}

function parseStatusBody(body: unknown): StatusBody {
  let value: unknown = body;
  if (typeof body === "string") {
    try {
      value = JSON.parse(body) as unknown;
    } catch {
      return { message: body.trim().slice(0, 300) || undefined };
    }
  }
  if (typeof value !== "object" || value === null) return {};
  const record = value as Record<string, unknown>;
  const details = typeof record.details === "object" && record.details !== null ? record.details : undefined;
  const retryAfterSeconds = (details as Record<string, unknown> | undefined)?.retryAfterSeconds;
  return {
    ...(typeof record.message === "string" ? { message: record.message } : {}),
    ...(typeof record.reason === "string" ? { reason: record.reason } : {}),
    ...(typeof retryAfterSeconds === "number" ? { details: { retryAfterSeconds } } : {}),
  };
}

/** Runs one client-node call; a failure becomes a {@link KubeRequestError} naming verb and object. */
export async function kubeRequest<T>(context: KubeRequestContext, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toKubeRequestError(error, context);
  }
}
