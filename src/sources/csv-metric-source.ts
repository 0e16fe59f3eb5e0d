import { readFile, stat } from "node:fs/promises";
import type { Series } from "../../models/series.js";
import { alignRange } from "./aligned-range.js";
import { parseCsvTrace, type CsvTrace, type CsvTraceLayout } from "./csv-trace.js";
import {
  MetricSourceError,
  MetricSourceErrorCode,
  type MetricSource,
  type RangeRequest,
} from "./metric-source.js";

/** Where the trace file is and which column to read. */
export interface CsvMetricSourceOptions extends CsvTraceLayout {
  /** Path of the CSV file (relative paths resolve against the working directory). */
  readonly path: string;
  /** Value column read when a request's `query` is empty. @defaultValue "requests" */
  readonly column?: string | undefined;
}

/**
 * Reads history from a CSV workload trace in the layout of `../shared/data/traces` (see
 * {@link parseCsvTrace}). A request's `query` names the value column (empty: `column`).
 *
 * Each aligned timestamp of the range takes the value of the row with exactly that timestamp; a
 * timestamp without a row, an empty cell and a row flagged `missing_log`/`server_down` (any status
 * but `ok`) are `NaN`. Requesting a coarser step than the file's samples every n-th row, it does not
 * sum. The file is parsed once and parsed again only when its size or modification time changes.
 *
 * Errors: an unreadable file is `unavailable` and not retryable (a path to fix, not an outage); an
 * unknown column is `badQuery`; a malformed file is `invalidResponse`.
 */
export class CsvMetricSource implements MetricSource {
  readonly kind = "csv";
  private cached: { readonly version: string; readonly trace: CsvTrace } | undefined;

  constructor(private readonly options: CsvMetricSourceOptions) {}

  async fetchRange(request: RangeRequest): Promise<Series> {
    const range = alignRange(request);
    const trace = await this.load(request.signal);
    const column = request.query === "" ? (this.options.column ?? "requests") : request.query;
    const columnValues = trace.columns.get(column);
    if (columnValues === undefined) {
      throw new MetricSourceError(
        MetricSourceErrorCode.badQuery,
        `column "${column}" is not in ${this.options.path} (value columns: ${[...trace.columns.keys()].join(", ")})`,
        false,
      );
    }
    const values: number[] = [];
    for (let index = 0; index < range.count; index++) {
      const row = trace.rowByTimeMs.get(range.startMs + index * range.stepMs);
      values.push(row === undefined ? Number.NaN : (columnValues[row] ?? Number.NaN));
    }
    return { values, stepSeconds: request.stepSeconds, startMs: range.startMs };
  }

  private async load(signal: AbortSignal | undefined): Promise<CsvTrace> {
    const { path } = this.options;
    try {
      const info = await stat(path);
      const version = `${info.size}:${info.mtimeMs}`;
      if (this.cached?.version === version) return this.cached.trace;
      const text = await readFile(
        path,
        signal === undefined ? { encoding: "utf8" } : { encoding: "utf8", signal },
      );
      const trace = parseCsvTrace(text, path, this.options);
      this.cached = { version, trace };
      return trace;
    } catch (error) {
      signal?.throwIfAborted();
      if (error instanceof MetricSourceError) throw error;
      throw new MetricSourceError(
        MetricSourceErrorCode.unavailable,
        `CSV file ${path} cannot be read: ${error instanceof Error ? error.message : String(error)}`,
        false,
        { cause: error },
      );
    }
  }
}
