import type { ResolvedConfig, ResolvedTarget } from "../config/presage-config.js";
import { CsvMetricSource } from "./csv-metric-source.js";
import type { MetricSource } from "./metric-source.js";
import { PrometheusMetricSource, type PrometheusMetricSourceOptions } from "./prometheus-metric-source.js";
import { SyntheticMetricSource } from "./synthetic-metric-source.js";

/** Test and tuning hooks passed through to the Prometheus source (retries, sleep, chunk size). */
export type PrometheusSourceOverrides = Omit<
  PrometheusMetricSourceOptions,
  "url" | "bearerToken" | "bearerTokenFile" | "headers" | "timeoutMs" | "aggregate"
>;

/**
 * The metric source a target declares: Prometheus (with the config's connection settings and the
 * target's `aggregate`), its CSV file, or the seeded synthetic workload (with the target's `seed`).
 * @throws RangeError when a Prometheus target has no `prometheus` section (the config schema already
 * rejects that) or the Prometheus options are invalid (e.g. an unreadable bearer-token file).
 */
export function createMetricSource(
  target: ResolvedTarget,
  config: ResolvedConfig,
  overrides: PrometheusSourceOverrides = {},
): MetricSource {
  switch (target.source) {
    case "prometheus": {
      const prometheus = config.prometheus;
      if (prometheus === undefined) {
        throw new RangeError(
          `targets "${target.name}": source is prometheus but no prometheus section is configured`,
        );
      }
      return new PrometheusMetricSource({
        ...overrides,
        url: prometheus.url,
        bearerToken: prometheus.bearerToken,
        bearerTokenFile: prometheus.bearerTokenFile,
        headers: prometheus.headers,
        timeoutMs: prometheus.timeoutMs,
        aggregate: target.aggregate,
      });
    }
    case "csv": {
      if (target.csv === undefined) {
        throw new RangeError(`targets "${target.name}": source is csv but no csv section is configured`);
      }
      return new CsvMetricSource({ path: target.csv.path, column: target.csv.column });
    }
    case "synthetic":
      return new SyntheticMetricSource({ seed: target.seed });
  }
}
