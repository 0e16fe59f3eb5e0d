import { MetricSourceError, MetricSourceErrorCode } from "./metric-source.js";

/** A workload trace read from CSV: one row per timestamp, one array per value column. */
export interface CsvTrace {
  /** Epoch ms of each row, in file order. */
  readonly timestampsMs: readonly number[];
  /** Value columns by header name; `NaN` for empty cells and rows flagged as not measured. */
  readonly columns: ReadonlyMap<string, readonly number[]>;
  /** Row index by epoch ms. */
  readonly rowByTimeMs: ReadonlyMap<number, number>;
}

/** Column layout of a trace file. */
export interface CsvTraceLayout {
  /** ISO 8601 with offset (`1995-07-01T00:00:00-04:00`) or epoch seconds. @defaultValue "timestamp" */
  readonly timestampColumn?: string;
  /**
   * Optional row status. Only rows whose status is `ok` (or empty) are measurements; any other flag —
   * `missing_log`, `server_down`, `partial_server_down` — turns the row's values into `NaN`, because a
   * zero logged while the server was down is not load.
   * @defaultValue "status"
   */
  readonly statusColumn?: string;
}

const MEASURED_STATUSES = new Set(["", "ok"]);

/**
 * Parses the layout of `../shared/data/traces/*.csv`: a header row, a timestamp column, an optional
 * status column, and every other column numeric.
 * @param source names the file in error messages.
 * @throws MetricSourceError `invalidResponse` naming the line and column of the first unreadable cell.
 */
export function parseCsvTrace(text: string, source: string, layout: CsvTraceLayout = {}): CsvTrace {
  const timestampColumn = layout.timestampColumn ?? "timestamp";
  const statusColumn = layout.statusColumn ?? "status";
  const invalid = (line: number, problem: string): MetricSourceError =>
    new MetricSourceError(MetricSourceErrorCode.invalidResponse, `${source}:${line}: ${problem}`, false);
  const lines = text.split(/\r?\n/);
  const header = splitRow(lines[0] ?? "");
  const timeIndex = header.indexOf(timestampColumn);
  if (timeIndex < 0) throw invalid(1, `no "${timestampColumn}" column (header: ${header.join(", ")})`);
  const statusIndex = header.indexOf(statusColumn);
  const valueColumns = header
    .map((name, index) => ({ name, index }))
    .filter(({ index }) => index !== timeIndex && index !== statusIndex);
  const timestampsMs: number[] = [];
  const values = valueColumns.map(() => [] as number[]);
  const rowByTimeMs = new Map<number, number>();
  lines.slice(1).forEach((line, offset) => {
    if (line.trim() === "") return;
    const lineNumber = offset + 2;
    const cells = splitRow(line);
    const timeMs = parseTimestampMs(cells[timeIndex] ?? "");
    if (timeMs === undefined) throw invalid(lineNumber, `"${cells[timeIndex] ?? ""}" is not a timestamp`);
    const earlier = rowByTimeMs.get(timeMs);
    if (earlier !== undefined) throw invalid(lineNumber, `repeats the timestamp of row ${earlier + 1}`);
    rowByTimeMs.set(timeMs, timestampsMs.length);
    timestampsMs.push(timeMs);
    const measured = statusIndex < 0 || MEASURED_STATUSES.has(cells[statusIndex] ?? "");
    valueColumns.forEach(({ name, index }, column) => {
      const cell = cells[index] ?? "";
      const value = cell === "" ? Number.NaN : Number(cell);
      if (cell !== "" && !Number.isFinite(value))
        throw invalid(lineNumber, `${name} "${cell}" is not a number`);
      values[column]?.push(measured ? value : Number.NaN);
    });
  });
  return {
    timestampsMs,
    columns: new Map(valueColumns.map(({ name }, column) => [name, values[column] ?? []])),
    rowByTimeMs,
  };
}

/**
 * ISO 8601 or epoch seconds; `undefined` when neither. An offset is honoured; a date-time without one
 * is read as UTC (never as the machine's local time).
 */
export function parseTimestampMs(text: string): number | undefined {
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text)) return undefined;
  const iso = text.replace(" ", "T");
  const timeMs = Date.parse(/T[\d:.]+$/.test(iso) ? `${iso}Z` : iso);
  return Number.isNaN(timeMs) ? undefined : timeMs;
}

function splitRow(line: string): string[] {
  return line.split(",").map((cell) => cell.trim().replace(/^"(.*)"$/, "$1"));
}
