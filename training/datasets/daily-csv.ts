/** One daily series read from a CSV: consecutive calendar days, `NaN` where a day has no value. */
export interface DailySeries {
  readonly id: string;
  /** Epoch milliseconds (UTC midnight) of `values[0]`. */
  readonly startMs: number;
  /** One value per calendar day from `startMs`; days absent from the file are `NaN`. */
  readonly values: number[];
}

/** Thrown for input that is not a daily CSV; the message names the line, the column and the rule. */
export class DailyCsvError extends Error {
  override readonly name = "DailyCsvError";
}

export interface ParseDailyCsvOptions {
  /**
   * Id given to the single series of a two-column Prophet file (`ds`,`y`).
   * @defaultValue `"y"`
   */
  readonly singleSeriesId?: string;
}

const DAY_MS = 86_400_000;

/**
 * Parses daily data in one of two layouts, told apart by the header:
 *
 * - long: columns `series`, `date`, `value` in any order; extra columns (e.g. `day`) are ignored;
 * - Prophet: columns `ds` (date) and `y` (value) for a single series.
 *
 * Cells may be double-quoted. Dates are `YYYY-MM-DD` (a time part after it is ignored). Rows of a
 * series may come in any order; days missing between the first and the last date become `NaN`, as do
 * empty, `NA` and `NaN` value cells. A repeated date within a series is an error, never silently
 * averaged.
 * @throws {@link DailyCsvError} naming the line and column of the first problem.
 */
export function parseDailyCsv(text: string, options: ParseDailyCsvOptions = {}): DailySeries[] {
  const lines = text.split(/\r?\n/);
  const headerIndex = lines.findIndex((line) => line.trim() !== "");
  if (headerIndex < 0) throw new DailyCsvError("the file is empty: expected a header line");
  const header = splitCells(lines[headerIndex] ?? "").map((cell) => cell.toLowerCase());
  const layout = detectLayout(header, headerIndex + 1);
  const bySeries = new Map<string, Map<number, number>>();
  for (let index = headerIndex + 1; index < lines.length; index++) {
    const line = lines[index] ?? "";
    if (line.trim() === "") continue;
    const lineNumber = index + 1;
    const cells = splitCells(line);
    const cell = (column: number, name: string): string => {
      const value = cells[column];
      if (value === undefined) {
        throw new DailyCsvError(`line ${lineNumber}: missing column ${column + 1} (\`${name}\`)`);
      }
      return value;
    };
    const id =
      layout.seriesColumn === undefined
        ? (options.singleSeriesId ?? "y")
        : cell(layout.seriesColumn, "series");
    if (id === "") {
      throw new DailyCsvError(
        `line ${lineNumber}, column ${(layout.seriesColumn ?? 0) + 1} (\`series\`): empty series id`,
      );
    }
    const dateText = cell(layout.dateColumn, layout.dateName);
    const dayMs = parseDay(dateText);
    if (dayMs === undefined) {
      throw new DailyCsvError(
        `line ${lineNumber}, column ${layout.dateColumn + 1} (\`${layout.dateName}\`): "${dateText}" is not a date (YYYY-MM-DD)`,
      );
    }
    const valueText = cell(layout.valueColumn, layout.valueName);
    const value = parseValue(valueText);
    if (value === undefined) {
      throw new DailyCsvError(
        `line ${lineNumber}, column ${layout.valueColumn + 1} (\`${layout.valueName}\`): "${valueText}" is not a number`,
      );
    }
    let days = bySeries.get(id);
    if (!days) {
      days = new Map();
      bySeries.set(id, days);
    }
    if (days.has(dayMs)) {
      throw new DailyCsvError(
        `line ${lineNumber}, column ${layout.dateColumn + 1} (\`${layout.dateName}\`): date ${dateText} appears twice for series "${id}"`,
      );
    }
    days.set(dayMs, value);
  }
  if (bySeries.size === 0)
    throw new DailyCsvError(`no data rows after the header on line ${headerIndex + 1}`);
  return [...bySeries].map(([id, days]) => toSeries(id, days));
}

interface Layout {
  readonly seriesColumn?: number;
  readonly dateColumn: number;
  readonly dateName: string;
  readonly valueColumn: number;
  readonly valueName: string;
}

function detectLayout(header: readonly string[], lineNumber: number): Layout {
  const column = (name: string): number | undefined => {
    const index = header.indexOf(name);
    return index < 0 ? undefined : index;
  };
  const series = column("series");
  const date = column("date");
  const value = column("value");
  if (series !== undefined && date !== undefined && value !== undefined) {
    return {
      seriesColumn: series,
      dateColumn: date,
      dateName: "date",
      valueColumn: value,
      valueName: "value",
    };
  }
  const ds = column("ds");
  const y = column("y");
  if (ds !== undefined && y !== undefined) {
    return { dateColumn: ds, dateName: "ds", valueColumn: y, valueName: "y" };
  }
  throw new DailyCsvError(
    `line ${lineNumber}: header (${header.join(",")}) must have columns series,date,value or ds,y`,
  );
}

function splitCells(line: string): string[] {
  return line.split(",").map((cell) => cell.trim().replace(/^"(.*)"$/, "$1"));
}

function parseDay(text: string): number | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:$|[T ])/.exec(text);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const ms = Date.UTC(year, month - 1, day);
  const date = new Date(ms);
  // Date.UTC rolls 2021-02-30 over to March; a real date maps back to itself.
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    return undefined;
  }
  return ms;
}

function parseValue(text: string): number | undefined {
  if (text === "" || text === "NA" || text === "NaN") return Number.NaN;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

function toSeries(id: string, days: ReadonlyMap<number, number>): DailySeries {
  const sorted = [...days.keys()].sort((a, b) => a - b);
  const startMs = sorted[0] ?? 0;
  const endMs = sorted[sorted.length - 1] ?? startMs;
  const values = new Array<number>(Math.round((endMs - startMs) / DAY_MS) + 1).fill(Number.NaN);
  for (const [dayMs, value] of days) values[Math.round((dayMs - startMs) / DAY_MS)] = value;
  return { id, startMs, values };
}
