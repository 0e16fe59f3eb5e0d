import { readFileSync } from "node:fs";
import { PrometheusConnectionOptions, PrometheusDriver } from "prometheus-query";
import { MetricSourceError, MetricSourceErrorCode } from "./metric-source.js";
import {
  classifyPrometheusFailure,
  keepHttpStatusOfForeignErrorBodies,
  requirePrometheusSuccessBody,
} from "./prometheus-failure.js";
import {
  realSleep,
  resolveRetryOptions,
  retryWithBackoff,
  type ResolvedRetryOptions,
  type RetryOptions,
  type Sleep,
} from "./retry-with-backoff.js";

/** How to reach Prometheus (the config's `prometheus` section). */
export interface PrometheusClientOptions {
  /** Base URL of Prometheus (the API lives under `<url>/api/v1`), e.g. `http://prometheus:9090`. */
  readonly url: string;
  /** Sent as `Authorization: Bearer <token>`. At most one of `bearerToken` and `bearerTokenFile`. */
  readonly bearerToken?: string | undefined;
  /** File holding the bearer token (e.g. a mounted service-account token); read once, at construction. */
  readonly bearerTokenFile?: string | undefined;
  /** Extra request headers; the bearer token, when given, replaces any `Authorization` here. @defaultValue `{}` */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** Deadline for one HTTP request (one attempt). @defaultValue 10000 */
  readonly timeoutMs?: number | undefined;
  /** Retries of unavailable/5xx/429/timeout answers. @defaultValue `{ attempts: 4, baseDelayMs: 250, maxDelayMs: 5000 }` */
  readonly retry?: RetryOptions | undefined;
  /** Waits between retries; tests inject a fake. @defaultValue a real, abortable timer */
  readonly sleep?: Sleep | undefined;
  /** Uniform in [0, 1) for retry jitter. @defaultValue `Math.random` */
  readonly random?: (() => number) | undefined;
}

/** What one request is about (for error messages) and who may cancel it. */
export interface PrometheusRequest {
  /** E.g. `query_range "up" [2026-01-01T00:00:00Z .. 2026-01-02T00:00:00Z, step 300 s]`. */
  readonly description: string;
  /** Aborting rejects with the signal's reason. */
  readonly signal?: AbortSignal | undefined;
}

/**
 * Prometheus' query API through `prometheus-query`'s `PrometheusDriver`: every HTTP request bounded by
 * its own deadline and the caller's signal. Failures are `MetricSourceError`s
 * (`classifyPrometheusFailure`): network errors, timeouts, HTTP 5xx/408/425/429 are retried with
 * exponential backoff and jitter, then reported as `unavailable` naming the attempts; other 4xx (bad
 * PromQL) are `badQuery` at once, an unreadable answer `invalidResponse`.
 */
export class PrometheusClient {
  /** The base URL without a trailing slash. */
  readonly url: string;
  readonly timeoutMs: number;
  private readonly headers: Readonly<Record<string, string>>;
  private readonly retry: ResolvedRetryOptions;
  private readonly sleep: Sleep;
  private readonly random: () => number;

  /** @throws RangeError for both tokens, an unreadable `bearerTokenFile`, a timeout ≤ 0 or bad retry options. */
  constructor(options: PrometheusClientOptions) {
    this.url = options.url.replace(/\/+$/, "");
    this.headers = withBearerToken(options);
    this.timeoutMs = options.timeoutMs ?? 10_000;
    if (!(this.timeoutMs > 0)) throw new RangeError(`timeoutMs (${this.timeoutMs}) must be > 0`);
    this.retry = resolveRetryOptions(options.retry);
    this.sleep = options.sleep ?? realSleep;
    this.random = options.random ?? Math.random;
  }

  /**
   * `query_range`: the driver's `QueryResult` (a matrix of `RangeVector`s for a well-formed query), left
   * `unknown` for the caller to read defensively.
   */
  rangeQuery(
    query: string,
    range: { readonly startMs: number; readonly endMs: number; readonly stepSeconds: number },
    request: PrometheusRequest,
  ): Promise<unknown> {
    return this.send(request, (driver) =>
      driver.rangeQuery(query, new Date(range.startMs), new Date(range.endMs), range.stepSeconds),
    );
  }

  /**
   * `query` at `atMs`: the driver's `QueryResult`, a vector of `InstantVector`s (each series' newest
   * sample within Prometheus' lookback) or, for a scalar expression, `[time, "value"]`.
   */
  instantQuery(query: string, atMs: number, request: PrometheusRequest): Promise<unknown> {
    return this.send(request, (driver) => driver.instantQuery(query, new Date(atMs)));
  }

  private async send(
    request: PrometheusRequest,
    call: (driver: PrometheusDriver) => Promise<unknown>,
  ): Promise<unknown> {
    try {
      return await retryWithBackoff(() => this.sendOnce(request, call), {
        options: this.retry,
        isRetryable: (error) => error instanceof MetricSourceError && error.retryable,
        sleep: this.sleep,
        random: this.random,
        signal: request.signal,
      });
    } catch (error) {
      if (!(error instanceof MetricSourceError) || !error.retryable) throw error;
      const attempts = `${this.retry.attempts} attempt${this.retry.attempts === 1 ? "" : "s"}`;
      throw new MetricSourceError(
        MetricSourceErrorCode.unavailable,
        `${error.message} (gave up after ${attempts})`,
        true,
        { cause: error },
      );
    }
  }

  /** One HTTP request, bounded by its own deadline and by the caller's signal. */
  private async sendOnce(
    request: PrometheusRequest,
    call: (driver: PrometheusDriver) => Promise<unknown>,
  ): Promise<unknown> {
    const deadline = AbortSignal.timeout(this.timeoutMs);
    const signal = request.signal === undefined ? deadline : AbortSignal.any([request.signal, deadline]);
    const driver = new PrometheusDriver(
      Object.assign(new PrometheusConnectionOptions(), {
        endpoint: this.url,
        headers: { ...this.headers },
        timeout: this.timeoutMs,
        requestInterceptor: { onFulfilled: (config: object) => Object.assign(config, { signal }) },
        responseInterceptor: {
          onFulfilled: requirePrometheusSuccessBody(request.description),
          onRejected: keepHttpStatusOfForeignErrorBodies,
        },
      }),
    );
    try {
      return await call(driver);
    } catch (thrown) {
      request.signal?.throwIfAborted();
      throw classifyPrometheusFailure(thrown, {
        description: request.description,
        timedOut: deadline.aborted,
        timeoutMs: this.timeoutMs,
      });
    }
  }
}

function withBearerToken(options: PrometheusClientOptions): Readonly<Record<string, string>> {
  const headers = { ...(options.headers ?? {}) };
  if (options.bearerToken !== undefined && options.bearerTokenFile !== undefined) {
    throw new RangeError("bearerToken and bearerTokenFile are both set: give at most one");
  }
  let token = options.bearerToken;
  if (options.bearerTokenFile !== undefined) {
    try {
      token = readFileSync(options.bearerTokenFile, "utf8").trim();
    } catch (error) {
      throw new RangeError(`bearerTokenFile (${options.bearerTokenFile}) cannot be read`, { cause: error });
    }
  }
  if (token === undefined) return headers;
  for (const name of Object.keys(headers))
    if (name.toLowerCase() === "authorization") Reflect.deleteProperty(headers, name);
  return { ...headers, Authorization: `Bearer ${token}` };
}
