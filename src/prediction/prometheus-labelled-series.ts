import { readFileSync } from "node:fs";
import { PrometheusConnectionOptions, PrometheusDriver } from "prometheus-query";
import { MetricSourceError, MetricSourceErrorCode } from "../sources/metric-source.js";
import {
  classifyPrometheusFailure,
  keepHttpStatusOfForeignErrorBodies,
  requirePrometheusSuccessBody,
} from "../sources/prometheus-failure.js";
import {
  realSleep,
  resolveRetryOptions,
  retryWithBackoff,
  type ResolvedRetryOptions,
  type RetryOptions,
  type Sleep,
} from "../sources/retry-with-backoff.js";
import type { LabelledRangeRequest, LabelledSeries, LabelledSeriesSource } from "./labelled-series.js";

/** How to reach Prometheus (the config's `prometheus` section). */
export interface PrometheusLabelledSeriesOptions {
  readonly url: string;
  readonly bearerToken?: string | undefined;
  /** Read once, at construction. */
  readonly bearerTokenFile?: string | undefined;
  /** @defaultValue `{}` */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** Deadline of one request. @defaultValue 10 000 */
  readonly timeoutMs?: number | undefined;
  /** Retries of unavailable/5xx/429/timeout answers. @defaultValue `{ attempts: 3 }` */
  readonly retry?: RetryOptions | undefined;
  /** @defaultValue a real timer */
  readonly sleep?: Sleep | undefined;
}

/**
 * {@link LabelledSeriesSource} over Prometheus' range-query API (`prometheus-query`), every series kept
 * with its labels. Failures are the metric sources' `MetricSourceError`s: unavailable ones (network,
 * timeouts, 5xx, 429) retried with backoff, a bad query (4xx) at once.
 */
export class PrometheusLabelledSeries implements LabelledSeriesSource {
  private readonly url: string;
  private readonly headers: Readonly<Record<string, string>>;
  private readonly timeoutMs: number;
  private readonly retry: ResolvedRetryOptions;
  private readonly sleep: Sleep;

  /** @throws RangeError for an unreadable `bearerTokenFile` or a timeout ≤ 0. */
  constructor(options: PrometheusLabelledSeriesOptions) {
    this.url = options.url.replace(/\/+$/, "");
    this.timeoutMs = options.timeoutMs ?? 10_000;
    if (!(this.timeoutMs > 0)) throw new RangeError(`timeoutMs (${this.timeoutMs}) must be > 0`);
    this.retry = resolveRetryOptions(options.retry ?? { attempts: 3 });
    this.sleep = options.sleep ?? realSleep;
    let token = options.bearerToken;
    if (options.bearerTokenFile !== undefined) {
      try {
        token = readFileSync(options.bearerTokenFile, "utf8").trim();
      } catch (error) {
        throw new RangeError(`bearerTokenFile (${options.bearerTokenFile}) cannot be read`, { cause: error });
      }
    }
    const headers = Object.fromEntries(
      Object.entries(options.headers ?? {}).filter(
        ([name]) => token === undefined || name.toLowerCase() !== "authorization",
      ),
    );
    this.headers = token === undefined ? headers : { ...headers, Authorization: `Bearer ${token}` };
  }

  async fetchSeries(request: LabelledRangeRequest): Promise<LabelledSeries[]> {
    const stepSeconds = Math.max(0.001, request.stepMs / 1000);
    const description = `query_range ${JSON.stringify(request.query)} [${new Date(request.startMs).toISOString()} .. ${new Date(request.endMs).toISOString()}, step ${stepSeconds} s]`;
    const result = await retryWithBackoff(() => this.queryOnce(request, stepSeconds, description), {
      options: this.retry,
      isRetryable: (error) => error instanceof MetricSourceError && error.retryable,
      sleep: this.sleep,
      random: Math.random,
      signal: request.signal,
    });
    return readMatrix(result, description);
  }

  private async queryOnce(
    request: LabelledRangeRequest,
    stepSeconds: number,
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
        new Date(request.startMs),
        new Date(request.endMs),
        stepSeconds,
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

/** The driver's `QueryResult` of `RangeVector`s as labelled series; non-finite samples dropped. */
function readMatrix(result: unknown, description: string): LabelledSeries[] {
  const invalid = (problem: string): MetricSourceError =>
    new MetricSourceError(
      MetricSourceErrorCode.invalidResponse,
      `${description}: unexpected answer: ${problem}`,
      false,
    );
  const matrix = record(result);
  if (matrix.resultType !== "matrix") {
    throw invalid(`resultType is ${JSON.stringify(matrix.resultType)}, expected "matrix"`);
  }
  if (!Array.isArray(matrix.result)) throw invalid("result is not a list of series");
  const series: LabelledSeries[] = [];
  for (const entry of matrix.result as unknown[]) {
    const vector = record(entry);
    if (!Array.isArray(vector.values)) throw invalid("a series has no list of values");
    const labels: Record<string, string> = {};
    for (const [name, value] of Object.entries(record(record(vector.metric).labels))) {
      if (name !== "__name__") labels[name] = String(value);
    }
    const timestampsMs: number[] = [];
    const values: number[] = [];
    for (const sample of vector.values as unknown[]) {
      const { time, value } = record(sample);
      if (!(time instanceof Date) || typeof value !== "number")
        throw invalid("a sample is not [time, value]");
      if (!Number.isFinite(value)) continue;
      timestampsMs.push(time.getTime());
      values.push(value);
    }
    series.push({ labels, timestampsMs, values });
  }
  return series;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
}
