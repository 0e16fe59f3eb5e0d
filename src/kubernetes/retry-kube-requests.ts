import {
  backoffDelayMs,
  realSleep,
  resolveRetryOptions,
  type ResolvedRetryOptions,
  type RetryOptions,
  type Sleep,
} from "../sources/retry-with-backoff.js";
import { KubeRequestError } from "./kube-request-error.js";
import { toKubernetesError } from "./kubernetes-error.js";

/** How failed Kubernetes API requests are retried. */
export interface KubeRetryOptions extends RetryOptions {
  /** Longest `Retry-After` honoured; a server asking for more is waited on this long. @defaultValue 30 000 */
  readonly maxRetryAfterMs?: number;
}

/** {@link KubeRetryOptions} resolved, plus the injected sleep and jitter source. */
export interface KubeRetryPolicy {
  readonly options: ResolvedRetryOptions;
  readonly maxRetryAfterMs: number;
  readonly sleep: Sleep;
  /** Uniform in [0, 1), for jitter. */
  readonly random: () => number;
  /** Told about every retry before its wait (for logs and metrics). */
  readonly onRetry?: ((error: KubeRequestError, attempt: number, delayMs: number) => void) | undefined;
}

/** Defaults: 5 attempts, 200 ms doubling to at most 5 s, `Retry-After` up to 30 s. */
export function resolveKubeRetryPolicy(
  options: KubeRetryOptions = {},
  injected: {
    sleep?: Sleep | undefined;
    random?: (() => number) | undefined;
    onRetry?: KubeRetryPolicy["onRetry"];
  } = {},
): KubeRetryPolicy {
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 30_000;
  if (!(maxRetryAfterMs >= 0)) {
    throw new RangeError(`retry.maxRetryAfterMs (${maxRetryAfterMs}) must be ≥ 0`);
  }
  return {
    options: resolveRetryOptions({
      attempts: options.attempts ?? 5,
      baseDelayMs: options.baseDelayMs ?? 200,
      maxDelayMs: options.maxDelayMs ?? 5000,
    }),
    maxRetryAfterMs,
    sleep: injected.sleep ?? realSleep,
    random: injected.random ?? Math.random,
    onRetry: injected.onRetry,
  };
}

/**
 * Runs `attempt` — one whole read-modify-write, so a 409 Conflict is retried with a fresh read — until
 * it succeeds or fails for good. Retried: 409, 429 (waiting what `Retry-After` asks, capped), 5xx and
 * requests that got no answer, with exponential backoff and jitter. Anything else (403, 404, 422, ...)
 * and the last failure become a `KubernetesError` at once; errors that are not
 * {@link KubeRequestError}s (e.g. a domain error the attempt threw) pass through untouched.
 */
export async function retryKubeRequests<T>(attempt: () => Promise<T>, policy: KubeRetryPolicy): Promise<T> {
  for (let number = 1; ; number++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof KubeRequestError)) throw error;
      if (!error.retryable || number >= policy.options.attempts) throw toKubernetesError(error, number);
      const delayMs =
        error.retryAfterMs === undefined
          ? backoffDelayMs(number - 1, policy.options, policy.random)
          : Math.min(error.retryAfterMs, policy.maxRetryAfterMs);
      policy.onRetry?.(error, number, delayMs);
      await policy.sleep(delayMs);
    }
  }
}
