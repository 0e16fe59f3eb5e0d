import type { Series } from "../../models/series.js";

/** A range of one metric to fetch. */
export interface RangeRequest {
  /** PromQL for Prometheus; a column name for CSV; ignored by the synthetic source. */
  readonly query: string;
  /** Epoch ms, inclusive; aligned down to a multiple of `stepSeconds`. */
  readonly startMs: number;
  /** Epoch ms, inclusive; aligned down to a multiple of `stepSeconds`. */
  readonly endMs: number;
  readonly stepSeconds: number;
  /** Abort a long fetch (e.g. on shutdown). */
  readonly signal?: AbortSignal;
}

/**
 * Port for reading metric history. Implementations return one regularly spaced series covering the
 * aligned range, with `NaN` where no sample exists (gaps are kept, never dropped or invented).
 */
export interface MetricSource {
  readonly kind: string;
  fetchRange(request: RangeRequest): Promise<Series>;
}

export const MetricSourceErrorCode = {
  /** Bad query or request (Prometheus 4xx): retrying will not help. */
  badQuery: "PRESAGE_SOURCE_BAD_QUERY",
  /** The query returned several series and no aggregation is configured. */
  multipleSeries: "PRESAGE_SOURCE_MULTIPLE_SERIES",
  /** The source is down, timing out or answering 5xx: retry later. */
  unavailable: "PRESAGE_SOURCE_UNAVAILABLE",
  /** The response could not be understood. */
  invalidResponse: "PRESAGE_SOURCE_INVALID_RESPONSE",
} as const;
export type MetricSourceErrorCode = (typeof MetricSourceErrorCode)[keyof typeof MetricSourceErrorCode];

export class MetricSourceError extends Error {
  override readonly name = "MetricSourceError";
  constructor(
    readonly code: MetricSourceErrorCode,
    message: string,
    /** Whether the same request may succeed later. */
    readonly retryable: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
