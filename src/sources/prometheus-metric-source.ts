import { readFileSync } from "node:fs";
import { PrometheusConnectionOptions, PrometheusDriver } from "prometheus-query";
import type { Series } from "../../models/series.js";
import { alignRange, splitAlignedRange, type AlignedRange } from "./aligned-range.js";
import {
  MetricSourceError,
  MetricSourceErrorCode,
  type MetricSource,
  type RangeRequest,
} from "./metric-source.js";
import {
  classifyPrometheusFailure,
  keepHttpStatusOfForeignErrorBodies,
  requirePrometheusSuccessBody,
} from "./prometheus-failure.js";
import { collectRangeResult, type SeriesGrids } from "./prometheus-matrix.js";
import {
  realSleep,
  resolveRetryOptions,
  retryWithBackoff,
  type ResolvedRetryOptions,
  type RetryOptions,
  type Sleep,
} from "./retry-with-backoff.js";
import { aggregateValues, type SeriesAggregate } from "./series-aggregate.js";

/** Prometheus rejects range queries above 11,000 points per series; stay well below. */
const PROMETHEUS_MAX_POINTS = 11_000;
/** Label sets named in a "several series" error. */
const NAMED_SERIES = 3;

/** How to reach Prometheus and what to do with what it returns. */
export interface PrometheusMetricSourceOptions {
  /** Base URL of Prometheus (the API lives under `<url>/api/v1`), e.g. `http://prometheus:9090`. */
  readonly url: string;
  /** Sent as `Authorization: Bearer <token>`. At most one of `bearerToken` and `bearerTokenFile`. */
  readonly bearerToken?: string | undefined;
  /** File holding the bearer token (e.g. a mounted service-account token); read once, at construction. */
  readonly bearerTokenFile?: string | undefined;
  /** Extra request headers; the bearer token, when given, replaces any `Authorization` here. @defaultValue `{}` */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** Deadline for one HTTP request (one chunk, one attempt). @defaultValue 10000 */
  readonly timeoutMs?: number | undefined;
  /**
   * How to combine a query that returns several series. Unset, several series are an error.
   * @defaultValue undefined (several series → `MetricSourceError` `multipleSeries`)
   */
  readonly aggregate?: SeriesAggregate | undefined;
  /** Retries of unavailable/5xx/429/timeout answers. @defaultValue `{ attempts: 4, baseDelayMs: 250, maxDelayMs: 5000 }` */
  readonly retry?: RetryOptions | undefined;
  /** Most timestamps per series in one request; at most 11,000 (Prometheus' limit). @defaultValue 10000 */
  readonly maxPointsPerRequest?: number | undefined;
  /** Waits between retries; tests inject a fake. @defaultValue a real, abortable timer */
  readonly sleep?: Sleep | undefined;
  /** Uniform in [0, 1) for retry jitter. @defaultValue `Math.random` */
  readonly random?: (() => number) | undefined;
}

/**
 * Reads metric history from Prometheus' range-query API through `prometheus-query`'s `PrometheusDriver`.
 *
 * - The range is aligned down to whole steps and fetched in sequential chunks of at most
 *   `maxPointsPerRequest` timestamps, stitched without gaps or duplicates.
 * - The result covers every aligned timestamp; a timestamp without a sample is `NaN` (never filled).
 * - A query matching no series yields an all-`NaN` series, not an error: the metric may simply not
 *   exist yet. Several series are an error (`multipleSeries`) unless `aggregate` combines them.
 * - Network errors, timeouts, HTTP 5xx/408/425/429 are retried with exponential backoff and jitter,
 *   then reported as `unavailable` (retryable). Other 4xx (bad PromQL: 400/422) are `badQuery`
 *   (not retryable) with Prometheus' message; an unreadable answer is `invalidResponse`.
 * - An aborted `request.signal` rejects with the signal's reason.
 * - Prometheus' `+Inf`/`-Inf` samples read as `NaN` (the driver parses values with `parseFloat`).
 */
export class PrometheusMetricSource implements MetricSource {
  readonly kind = "prometheus";
  private readonly url: string;
  private readonly headers: Readonly<Record<string, string>>;
  private readonly timeoutMs: number;
  private readonly aggregate: SeriesAggregate | undefined;
  private readonly retry: ResolvedRetryOptions;
  private readonly maxPointsPerRequest: number;
  private readonly sleep: Sleep;
  private readonly random: () => number;

  /** @throws RangeError for invalid options or an unreadable `bearerTokenFile`. */
  constructor(options: PrometheusMetricSourceOptions) {
    this.url = options.url.replace(/\/+$/, "");
    this.headers = withBearerToken(options);
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.aggregate = options.aggregate;
    this.retry = resolveRetryOptions(options.retry);
    this.maxPointsPerRequest = options.maxPointsPerRequest ?? 10_000;
    this.sleep = options.sleep ?? realSleep;
    this.random = options.random ?? Math.random;
    if (!(this.timeoutMs > 0)) throw new RangeError(`timeoutMs (${this.timeoutMs}) must be > 0`);
    const points = this.maxPointsPerRequest;
    if (!Number.isInteger(points) || points < 1 || points > PROMETHEUS_MAX_POINTS) {
      throw new RangeError(
        `maxPointsPerRequest (${points}) must be an integer from 1 to ${PROMETHEUS_MAX_POINTS}`,
      );
    }
  }

  async fetchRange(request: RangeRequest): Promise<Series> {
    const range = alignRange(request);
    const grids: SeriesGrids = new Map();
    for (const chunk of splitAlignedRange(range, this.maxPointsPerRequest)) {
      const description = `query_range ${JSON.stringify(request.query)} [${iso(chunk.startMs)} .. ${iso(chunk.endMs)}, step ${request.stepSeconds} s] at ${safeUrl(this.url)}`;
      const result = await this.rangeQueryWithRetries(request, chunk, description);
      collectRangeResult(result, range, grids, description);
      if (grids.size > 1 && this.aggregate === undefined) throw severalSeries(request.query, grids);
    }
    const series = [...grids.values()];
    // One series is returned as is; several reach here only with `aggregate` set; none give all NaN.
    const values =
      series.length === 1 && series[0] !== undefined
        ? series[0]
        : aggregateValues(series, this.aggregate ?? "sum", range.count);
    return { values, stepSeconds: request.stepSeconds, startMs: range.startMs };
  }

  private async rangeQueryWithRetries(
    request: RangeRequest,
    chunk: AlignedRange,
    description: string,
  ): Promise<unknown> {
    try {
      return await retryWithBackoff(() => this.rangeQueryOnce(request, chunk, description), {
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
        {
          cause: error,
        },
      );
    }
  }

  /** One HTTP request, bounded by its own deadline and by the caller's signal. */
  private async rangeQueryOnce(
    request: RangeRequest,
    chunk: AlignedRange,
    description: string,
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
          onFulfilled: requirePrometheusSuccessBody(description),
          onRejected: keepHttpStatusOfForeignErrorBodies,
        },
      }),
    );
    try {
      return await driver.rangeQuery(
        request.query,
        new Date(chunk.startMs),
        new Date(chunk.endMs),
        request.stepSeconds,
      );
    } catch (thrown) {
      request.signal?.throwIfAborted();
      throw classifyPrometheusFailure(thrown, {
        description,
        timedOut: deadline.aborted,
        timeoutMs: this.timeoutMs,
      });
    }
  }
}

function withBearerToken(options: PrometheusMetricSourceOptions): Readonly<Record<string, string>> {
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

function severalSeries(query: string, grids: SeriesGrids): MetricSourceError {
  const names = [...grids.keys()];
  const named = names.slice(0, NAMED_SERIES).join(", ");
  const more = names.length > NAMED_SERIES ? ` and ${names.length - NAMED_SERIES} more` : "";
  return new MetricSourceError(
    MetricSourceErrorCode.multipleSeries,
    `query ${JSON.stringify(query)} returned ${names.length} series (${named}${more}); narrow it to one series or set aggregate (sum, mean, max or min)`,
    false,
  );
}

function iso(timeMs: number): string {
  return new Date(timeMs).toISOString();
}

/** The URL without credentials, for messages. */
function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = "";
    parsed.password = "";
    return parsed.toString().replace(/\/+$/, "");
  } catch {
    return "(unparseable url)";
  }
}
