/** A NAB data file parsed: wall-clock timestamps (read as UTC) and values, row by row. */
export interface NabSeries {
  /** Milliseconds since the epoch, reading NAB's zone-less wall-clock time as UTC. */
  readonly timestampsMs: Float64Array;
  /** The metric; a missing or unparsable cell is `NaN` (detectors treat it as a gap). */
  readonly values: Float64Array;
}

/** Thrown for text that is not a NAB CSV; the message names the line and the rule. */
export class NabCsvError extends Error {
  override readonly name = "NabCsvError";
}

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?Z?$/;

/** Parses `YYYY-MM-DD HH:MM[:SS[.ffffff]]` as UTC milliseconds; `NaN` when it does not match. */
export function parseNabTimestamp(text: string): number {
  const match = TIMESTAMP.exec(text.trim());
  if (!match) return Number.NaN;
  const [, year, month, day, hour, minute, second, fraction] = match;
  const ms = fraction === undefined ? 0 : Math.round(Number(`0.${fraction}`) * 1000);
  return Date.UTC(
    Number(year),
    Number(month) - 1,
    Number(day),
    Number(hour),
    Number(minute),
    Number(second ?? 0),
    ms,
  );
}

/**
 * Parses a NAB CSV with a header row naming `timestamp` and one value column (`value` by default,
 * `anomaly_score` for published detector outputs). Every row needs a valid timestamp; a value cell that
 * is empty or not a number becomes `NaN`.
 */
export function parseNabCsv(text: string, valueColumn = "value"): NabSeries {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== "");
  const header = (lines[0] ?? "").split(",").map((cell) => cell.trim().replace(/^"(.*)"$/, "$1"));
  const timeAt = header.indexOf("timestamp");
  const valueAt = header.indexOf(valueColumn);
  if (timeAt < 0 || valueAt < 0) {
    throw new NabCsvError(
      `line 1: header (${header.join(",")}) must name the columns "timestamp" and "${valueColumn}"`,
    );
  }
  const rowCount = lines.length - 1;
  const timestampsMs = new Float64Array(rowCount);
  const values = new Float64Array(rowCount);
  for (let row = 0; row < rowCount; row++) {
    const cells = lines[row + 1]!.split(",");
    const stamp = parseNabTimestamp((cells[timeAt] ?? "").replace(/^"(.*)"$/, "$1"));
    if (Number.isNaN(stamp)) {
      throw new NabCsvError(
        `line ${row + 2}: timestamp "${cells[timeAt] ?? ""}" must look like YYYY-MM-DD HH:MM:SS`,
      );
    }
    timestampsMs[row] = stamp;
    const cell = (cells[valueAt] ?? "").trim();
    values[row] = cell === "" ? Number.NaN : Number(cell);
  }
  return { timestampsMs, values };
}
