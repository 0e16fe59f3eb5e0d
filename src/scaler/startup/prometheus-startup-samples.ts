import { instantQueryValues } from "../../sources/instant-query-values.js";
import { PrometheusClient, type PrometheusClientOptions } from "../../sources/prometheus-client.js";
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
export type PrometheusStartupSamplesOptions = PrometheusClientOptions;

/**
 * {@link StartupSampler} over Prometheus' instant-query API: one query per refresh
 * ({@link startupSecondsQuery}), one sample per pod. No kube-state-metrics data is no samples, not an
 * error. Failures are `MetricSourceError`s (unavailable ones retried twice with backoff first, unless
 * `retry` says otherwise).
 */
export class PrometheusStartupSamples implements StartupSampler {
  private readonly client: PrometheusClient;

  /** @throws RangeError for both tokens, an unreadable `bearerTokenFile` or a timeout ≤ 0. */
  constructor(options: PrometheusStartupSamplesOptions) {
    this.client = new PrometheusClient({ ...options, retry: options.retry ?? { attempts: 3 } });
  }

  async sample(request: StartupSampleRequest): Promise<number[]> {
    const query = startupSecondsQuery(request.workload, Math.max(1, Math.round(request.lookbackMs / 1000)));
    const { namespace, kind, name } = request.workload;
    const description = `start-up times of ${kind} ${namespace}/${name} (kube-state-metrics) at ${new Date(request.atMs).toISOString()}`;
    const result = await this.client.instantQuery(query, request.atMs, { description });
    return instantQueryValues(result);
  }
}
