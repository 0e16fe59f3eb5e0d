import { gridIndex, type AlignedRange } from "./aligned-range.js";
import { MetricSourceError, MetricSourceErrorCode } from "./metric-source.js";

/**
 * Series collected from the chunks of one range query, keyed by their label set (`name{a="1"}`), each
 * a full-length grid over the whole range with `NaN` where Prometheus had no sample.
 */
export type SeriesGrids = Map<string, number[]>;

/** One series of a range-query answer: its `metric` as the driver parsed it, and its samples. */
export interface RangeVectorSamples {
  /** The driver's `Metric` (`{ name, labels }`), or null for a series without labels. */
  readonly metric: unknown;
  readonly timesMs: number[];
  /** As the driver parsed them: `+Inf`/`-Inf` read as `NaN`. */
  readonly values: number[];
}

/**
 * Reads a range query's result as `PrometheusDriver.rangeQuery` resolves it: a `QueryResult` of
 * `RangeVector`s whose samples are `{ time: Date, value: number }`.
 * @throws MetricSourceError `invalidResponse` when the result is not a matrix of such samples.
 */
export function readRangeVectors(result: unknown, description: string): RangeVectorSamples[] {
  const matrix = record(result);
  if (matrix.resultType !== "matrix") {
    throw invalidAnswer(description, `resultType is ${JSON.stringify(matrix.resultType)}, expected "matrix"`);
  }
  if (!Array.isArray(matrix.result)) throw invalidAnswer(description, "result is not a list of series");
  return (matrix.result as unknown[]).map((entry) => {
    const vector = record(entry);
    if (!Array.isArray(vector.values)) throw invalidAnswer(description, "a series has no list of values");
    const timesMs: number[] = [];
    const values: number[] = [];
    for (const sample of vector.values as unknown[]) {
      const { time, value } = record(sample);
      if (!(time instanceof Date) || typeof value !== "number")
        throw invalidAnswer(description, "a sample is not [time, value]");
      timesMs.push(time.getTime());
      values.push(value);
    }
    return { metric: vector.metric, timesMs, values };
  });
}

/**
 * Writes one chunk's query result (see {@link readRangeVectors}) into `grids`. Series seen in an
 * earlier chunk continue in their grid; new ones get an all-NaN grid first.
 * @throws MetricSourceError `invalidResponse` when the result is not a matrix or a sample lies off the
 * requested step grid.
 */
export function collectRangeResult(
  result: unknown,
  range: AlignedRange,
  grids: SeriesGrids,
  description: string,
): void {
  for (const { metric, timesMs, values } of readRangeVectors(result, description)) {
    const key = formatLabelSet(metric);
    let grid = grids.get(key);
    if (grid === undefined) {
      grid = new Array<number>(range.count).fill(Number.NaN);
      grids.set(key, grid);
    }
    for (let sample = 0; sample < timesMs.length; sample++) {
      const timeMs = timesMs[sample] ?? Number.NaN;
      const index = gridIndex(range, timeMs);
      if (index === undefined) {
        throw invalidAnswer(
          description,
          `sample at ${new Date(timeMs).toISOString()} is not on the requested ${range.stepMs / 1000} s grid`,
        );
      }
      grid[index] = values[sample] ?? Number.NaN;
    }
  }
}

/**
 * A label set as PromQL writes it, labels sorted: `http_requests{code="200",pod="a"}`; `{}` for a
 * series without labels (e.g. the result of `sum(...)`).
 */
export function formatLabelSet(metric: unknown): string {
  const { name, labels } = record(metric);
  const pairs = Object.entries(record(labels))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([label, value]) => `${label}=${JSON.stringify(String(value))}`);
  return `${typeof name === "string" ? name : ""}{${pairs.join(",")}}`;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
}

function invalidAnswer(description: string, problem: string): MetricSourceError {
  return new MetricSourceError(
    MetricSourceErrorCode.invalidResponse,
    `${description}: unexpected answer: ${problem}`,
    false,
  );
}
