import type { Series } from "../../models/series.js";
import { alignRange, splitAlignedRange } from "./aligned-range.js";
import {
  MetricSourceError,
  MetricSourceErrorCode,
  type MetricSource,
  type RangeRequest,
} from "./metric-source.js";
import { PrometheusClient, type PrometheusClientOptions } from "./prometheus-client.js";
import { collectRangeResult, type SeriesGrids } from "./prometheus-matrix.js";
import { aggregateValues, type SeriesAggregate } from "./series-aggregate.js";
import { shownUrl } from "../http/shown-url.js";

/** Prometheus rejects range queries above 11,000 points per series; stay well below. */
const PROMETHEUS_MAX_POINTS = 11_000;
/** Label sets named in a "several series" error. */
const NAMED_SERIES = 3;

/** How to reach Prometheus and what to do with what it returns. */
export interface PrometheusMetricSourceOptions extends PrometheusClientOptions {
  /**
   * How to combine a query that returns several series. Unset, several series are an error.
   * @defaultValue undefined (several series → `MetricSourceError` `multipleSeries`)
   */
  readonly aggregate?: SeriesAggregate | undefined;
  /** Most timestamps per series in one request; at most 11,000 (Prometheus' limit). @defaultValue 10000 */
  readonly maxPointsPerRequest?: number | undefined;
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
  private readonly client: PrometheusClient;
  private readonly aggregate: SeriesAggregate | undefined;
  private readonly maxPointsPerRequest: number;

  /** @throws RangeError for invalid options or an unreadable `bearerTokenFile`. */
  constructor(options: PrometheusMetricSourceOptions) {
    this.client = new PrometheusClient(options);
    this.aggregate = options.aggregate;
    this.maxPointsPerRequest = options.maxPointsPerRequest ?? 10_000;
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
      const description = `query_range ${JSON.stringify(request.query)} [${iso(chunk.startMs)} .. ${iso(chunk.endMs)}, step ${request.stepSeconds} s] at ${shownUrl(this.client.url)}`;
      const result = await this.client.rangeQuery(
        request.query,
        { startMs: chunk.startMs, endMs: chunk.endMs, stepSeconds: request.stepSeconds },
        { description, signal: request.signal },
      );
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
