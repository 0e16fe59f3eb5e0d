import { gridIndex, type AlignedRange } from "./aligned-range.js";
import { MetricSourceError, MetricSourceErrorCode } from "./metric-source.js";

/**
 * Series collected from the chunks of one range query, keyed by their label set (`name{a="1"}`), each
 * a full-length grid over the whole range with `NaN` where Prometheus had no sample.
 */
export type SeriesGrids = Map<string, number[]>;

/**
 * Writes one chunk's query result (as `PrometheusDriver.rangeQuery` resolves it: a `QueryResult` of
 * `RangeVector`s whose samples are `{ time: Date, value: number }`) into `grids`. Series seen in an
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
  for (const entry of matrix.result as unknown[]) {
    const vector = record(entry);
    if (!Array.isArray(vector.values)) throw invalid("a series has no list of values");
    const key = formatLabelSet(vector.metric);
    let grid = grids.get(key);
    if (grid === undefined) {
      grid = new Array<number>(range.count).fill(Number.NaN);
      grids.set(key, grid);
    }
    for (const sample of vector.values as unknown[]) {
      const { time, value } = record(sample);
      if (!(time instanceof Date) || typeof value !== "number")
        throw invalid("a sample is not [time, value]");
      const index = gridIndex(range, time.getTime());
      if (index === undefined) {
        throw invalid(
          `sample at ${time.toISOString()} is not on the requested ${range.stepMs / 1000} s grid`,
        );
      }
      grid[index] = value;
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
