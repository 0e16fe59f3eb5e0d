/** Options of {@link RequestRateLimiter}. */
export interface RequestRateLimiterOptions {
  /** Sustained requests per second each key may make; 0 turns limiting off. */
  readonly requestsPerSecond: number;
  /** Requests a key may make at once after being idle (the bucket size). @defaultValue 2 × `requestsPerSecond` */
  readonly burst?: number;
  /** @defaultValue `performance.now` (monotonic) */
  readonly nowMs?: () => number;
  /** Keys tracked at most; the first seen are forgotten beyond it. @defaultValue 10 000 */
  readonly maxKeys?: number;
}

/** The outcome of one {@link RequestRateLimiter.take}. */
export type RateDecision =
  | { readonly allowed: true }
  | {
      readonly allowed: false;
      /** Whole seconds until a request will be allowed again. */ readonly retryAfterSeconds: number;
    };

interface Bucket {
  tokens: number;
  updatedMs: number;
}

const ALLOWED: RateDecision = { allowed: true };

/**
 * A token bucket per key (the API keys it by token name): each key holds up to `burst` requests and
 * gets `requestsPerSecond` back every second. O(1) per request, no timers.
 */
export class RequestRateLimiter {
  readonly requestsPerSecond: number;
  readonly burst: number;
  private readonly nowMs: () => number;
  private readonly maxKeys: number;
  private readonly buckets = new Map<string, Bucket>();

  constructor(options: RequestRateLimiterOptions) {
    this.requestsPerSecond = options.requestsPerSecond;
    this.burst = options.burst ?? 2 * options.requestsPerSecond;
    this.nowMs = options.nowMs ?? (() => performance.now());
    this.maxKeys = options.maxKeys ?? 10_000;
    if (!Number.isFinite(this.requestsPerSecond) || this.requestsPerSecond < 0) {
      throw new RangeError(`\`requestsPerSecond\` (${this.requestsPerSecond}) must be a number ≥ 0`);
    }
    if (this.requestsPerSecond > 0 && !(Number.isFinite(this.burst) && this.burst >= 1)) {
      throw new RangeError(`\`burst\` (${this.burst}) must be a number ≥ 1`);
    }
  }

  /** Takes one request from `key`'s bucket. */
  take(key: string): RateDecision {
    if (this.requestsPerSecond === 0) return ALLOWED;
    const now = this.nowMs();
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = { tokens: this.burst, updatedMs: now };
      this.buckets.set(key, bucket);
      this.forgetOldest();
    } else {
      const refill = ((now - bucket.updatedMs) / 1000) * this.requestsPerSecond;
      bucket.tokens = Math.min(this.burst, bucket.tokens + Math.max(0, refill));
      bucket.updatedMs = now;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return ALLOWED;
    }
    return {
      allowed: false,
      retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / this.requestsPerSecond)),
    };
  }

  private forgetOldest(): void {
    if (this.buckets.size <= this.maxKeys) return;
    const oldest = this.buckets.keys().next();
    if (oldest.done !== true) this.buckets.delete(oldest.value);
  }
}
