import { PrometheusClient, type PrometheusClientOptions } from "../sources/prometheus-client.js";
import { readRangeVectors } from "../sources/prometheus-matrix.js";
import type { LabelledRangeRequest, LabelledSeries, LabelledSeriesSource } from "./labelled-series.js";

/**
 * {@link LabelledSeriesSource} over Prometheus' range-query API (the source layer's
 * `PrometheusClient`), every series kept with its labels. Failures are the metric sources'
 * `MetricSourceError`s: unavailable ones (network, timeouts, 5xx, 429) retried with backoff — 3
 * attempts unless `retry` says otherwise — a bad query (4xx) at once.
 */
export class PrometheusLabelledSeries implements LabelledSeriesSource {
  private readonly client: PrometheusClient;

  /** @throws RangeError for both tokens, an unreadable `bearerTokenFile` or a timeout ≤ 0. */
  constructor(options: PrometheusClientOptions) {
    this.client = new PrometheusClient({ ...options, retry: options.retry ?? { attempts: 3 } });
  }

  async fetchSeries(request: LabelledRangeRequest): Promise<LabelledSeries[]> {
    const stepSeconds = Math.max(0.001, request.stepMs / 1000);
    const description = `query_range ${JSON.stringify(request.query)} [${new Date(request.startMs).toISOString()} .. ${new Date(request.endMs).toISOString()}, step ${stepSeconds} s]`;
    const result = await this.client.rangeQuery(
      request.query,
      { startMs: request.startMs, endMs: request.endMs, stepSeconds },
      { description, signal: request.signal },
    );
    return readRangeVectors(result, description).map(({ metric, timesMs, values }) => {
      const labels: Record<string, string> = {};
      for (const [name, value] of Object.entries(record(record(metric).labels))) {
        if (name !== "__name__") labels[name] = String(value);
      }
      // Non-finite samples (`+Inf`, `NaN`) are dropped, not kept as gaps.
      const timestampsMs: number[] = [];
      const finite: number[] = [];
      values.forEach((value, index) => {
        if (!Number.isFinite(value)) return;
        timestampsMs.push(timesMs[index]!);
        finite.push(value);
      });
      return { labels, timestampsMs, values: finite };
    });
  }
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
}
