import { instantQueryValues } from "../../sources/instant-query-values.js";
import { PrometheusClient, type PrometheusClientOptions } from "../../sources/prometheus-client.js";
import type { PromqlProbe } from "./action-runner.js";

/** Options of {@link PrometheusPromqlProbe}: where Prometheus is, how to retry, and the clock. */
export interface PrometheusPromqlProbeOptions extends PrometheusClientOptions {
  /** The evaluation time of each query. @defaultValue Date.now */
  readonly now?: () => number;
}

/**
 * Reads the current value of a verification query with one instant query at `now()`: each series'
 * newest sample within Prometheus' lookback, never one aligned down to a step. A query returning
 * several series yields the worst value (the largest, or the smallest when `worst` is `lowest`), none
 * yields `undefined` (no sample).
 * Failures are `MetricSourceError`s, unavailable ones retried with backoff first.
 */
export class PrometheusPromqlProbe implements PromqlProbe {
  private readonly client: PrometheusClient;
  private readonly now: () => number;

  /** @throws RangeError for invalid options or an unreadable `bearerTokenFile`. */
  constructor(options: PrometheusPromqlProbeOptions) {
    this.client = new PrometheusClient(options);
    this.now = options.now ?? Date.now;
  }

  async queryValue(query: string, worst: "highest" | "lowest" = "highest"): Promise<number | undefined> {
    const atMs = this.now();
    const description = `query ${JSON.stringify(query)} at ${new Date(atMs).toISOString()}`;
    const values = instantQueryValues(await this.client.instantQuery(query, atMs, { description }));
    if (values.length === 0) return undefined;
    return worst === "lowest" ? Math.min(...values) : Math.max(...values);
  }
}
