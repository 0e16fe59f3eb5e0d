import { readFileSync } from "node:fs";
import { PrometheusConnectionOptions, PrometheusDriver } from "prometheus-query";
import { MetricSourceError } from "../../sources/metric-source.js";
import {
  classifyPrometheusFailure,
  keepHttpStatusOfForeignErrorBodies,
  requirePrometheusSuccessBody,
} from "../../sources/prometheus-failure.js";
import { realSleep, resolveRetryOptions, retryWithBackoff } from "../../sources/retry-with-backoff.js";
import { startupSecondsQuery, type StartupWorkload } from "./startup-seconds-query.js";

/** What to sample: a workload's pods created in the look-back before `atMs`. */
export interface StartupSampleRequest {
  readonly workload: StartupWorkload;
  readonly lookbackMs: number;
  /** Evaluation time, epoch ms. */
  readonly atMs: number;
}

/** Port: per-pod start-up times (created → Ready, seconds) of a workload's recent pods. */
export interface StartupSampler {
  sample(request: StartupSampleRequest): Promise<number[]>;
}

/** How to reach the Prometheus that scrapes kube-state-metrics (the config's `prometheus` section). */
export interface PrometheusStartupSamplesOptions {
  readonly url: string;
  readonly bearerToken?: string | undefined;
  /** Read once, at construction. */
  readonly bearerTokenFile?: string | undefined;
  /** @defaultValue `{}` */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** Deadline of one request. @defaultValue 10 000 */
  readonly timeoutMs?: number | undefined;
}

/**
 * {@link StartupSampler} over Prometheus' instant-query API: one query per refresh
 * ({@link startupSecondsQuery}), one sample per pod. No kube-state-metrics data is no samples, not an
 * error. Failures are `MetricSourceError`s (unavailable ones retried twice with backoff first).
 */
export class PrometheusStartupSamples implements StartupSampler {
  private readonly url: string;
  private readonly headers: Readonly<Record<string, string>>;
  private readonly timeoutMs: number;

  /** @throws RangeError for an unreadable `bearerTokenFile` or a timeout ≤ 0. */
  constructor(options: PrometheusStartupSamplesOptions) {
    this.url = options.url.replace(/\/+$/, "");
    this.timeoutMs = options.timeoutMs ?? 10_000;
    if (!(this.timeoutMs > 0)) throw new RangeError(`timeoutMs (${this.timeoutMs}) must be > 0`);
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

  async sample(request: StartupSampleRequest): Promise<number[]> {
    const query = startupSecondsQuery(request.workload, Math.max(1, Math.round(request.lookbackMs / 1000)));
    const { namespace, kind, name } = request.workload;
    const description = `start-up times of ${kind} ${namespace}/${name} (kube-state-metrics) at ${new Date(request.atMs).toISOString()}`;
    const result = await retryWithBackoff(() => this.queryOnce(query, request.atMs, description), {
      options: resolveRetryOptions({ attempts: 3 }),
      isRetryable: (error) => error instanceof MetricSourceError && error.retryable,
      sleep: realSleep,
      random: Math.random,
    });
    const samples: number[] = [];
    for (const item of Array.isArray(result) ? (result as unknown[]) : []) {
      const value = (item as { value?: { value?: unknown } } | null)?.value?.value;
      if (typeof value === "number" && Number.isFinite(value)) samples.push(value);
    }
    return samples;
  }

  private async queryOnce(query: string, atMs: number, description: string): Promise<unknown> {
    const deadline = AbortSignal.timeout(this.timeoutMs);
    const driver = new PrometheusDriver(
      Object.assign(new PrometheusConnectionOptions(), {
        endpoint: this.url,
        headers: { ...this.headers },
        timeout: this.timeoutMs,
        requestInterceptor: {
          onFulfilled: (config: object) => Object.assign(config, { signal: deadline }),
        },
        responseInterceptor: {
          onFulfilled: requirePrometheusSuccessBody(description),
          onRejected: keepHttpStatusOfForeignErrorBodies,
        },
      }),
    );
    try {
      const answer = await driver.instantQuery(query, new Date(atMs));
      return answer.result;
    } catch (thrown) {
      throw classifyPrometheusFailure(thrown, {
        description,
        timedOut: deadline.aborted,
        timeoutMs: this.timeoutMs,
      });
    }
  }
}
