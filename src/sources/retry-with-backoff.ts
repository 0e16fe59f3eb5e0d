import { setTimeout as delay } from "node:timers/promises";

/** How often and how patiently a failed request is retried. */
export interface RetryOptions {
  /** Attempts in total, the first included; 1 disables retries. @defaultValue 4 */
  readonly attempts?: number;
  /** Delay before the first retry; each further retry doubles it (before jitter). @defaultValue 250 */
  readonly baseDelayMs?: number;
  /** Upper bound on one delay. @defaultValue 5000 */
  readonly maxDelayMs?: number;
}

/** {@link RetryOptions} with defaults applied and checked. */
export interface ResolvedRetryOptions {
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/** Waits `ms`; rejects early when `signal` aborts. Injected so tests need not wait. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** The real sleep: a timer that an abort signal cancels. */
export const realSleep: Sleep = async (ms, signal) => {
  await delay(ms, undefined, signal === undefined ? {} : { signal });
};

/** Applies defaults and validates; throws `RangeError` naming the field and the rule. */
export function resolveRetryOptions(options: RetryOptions = {}): ResolvedRetryOptions {
  const resolved = {
    attempts: options.attempts ?? 4,
    baseDelayMs: options.baseDelayMs ?? 250,
    maxDelayMs: options.maxDelayMs ?? 5000,
  };
  if (!Number.isInteger(resolved.attempts) || resolved.attempts < 1) {
    throw new RangeError(`retry.attempts (${resolved.attempts}) must be an integer ≥ 1`);
  }
  if (!(resolved.baseDelayMs >= 0)) {
    throw new RangeError(`retry.baseDelayMs (${resolved.baseDelayMs}) must be ≥ 0`);
  }
  if (!(resolved.maxDelayMs >= resolved.baseDelayMs)) {
    throw new RangeError(
      `retry.maxDelayMs (${resolved.maxDelayMs}) must be ≥ retry.baseDelayMs (${resolved.baseDelayMs})`,
    );
  }
  return resolved;
}

/**
 * Delay before retry number `retry` (0 for the first retry): exponential growth capped at
 * `maxDelayMs`, with "equal jitter" — half fixed, half random — so clients that failed together do not
 * retry in lockstep, yet each still backs off.
 */
export function backoffDelayMs(retry: number, options: ResolvedRetryOptions, random: () => number): number {
  const exponential = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** retry);
  return exponential / 2 + (random() * exponential) / 2;
}

/** What {@link retryWithBackoff} needs besides the operation. */
export interface RetryContext {
  readonly options: ResolvedRetryOptions;
  /** Whether a failure may succeed on another attempt. */
  readonly isRetryable: (error: unknown) => boolean;
  readonly sleep: Sleep;
  /** Uniform in [0, 1) for jitter. */
  readonly random: () => number;
  readonly signal?: AbortSignal | undefined;
}

/**
 * Runs `operation` until it succeeds, fails with a non-retryable error, or runs out of attempts; then
 * rethrows the last error as is. An aborted `signal` stops it at once with the signal's reason.
 */
export async function retryWithBackoff<T>(
  operation: (attempt: number) => Promise<T>,
  context: RetryContext,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    context.signal?.throwIfAborted();
    try {
      return await operation(attempt);
    } catch (error) {
      context.signal?.throwIfAborted();
      if (attempt >= context.options.attempts || !context.isRetryable(error)) throw error;
    }
    try {
      await context.sleep(backoffDelayMs(attempt - 1, context.options, context.random), context.signal);
    } catch (error) {
      context.signal?.throwIfAborted();
      throw error;
    }
  }
}
