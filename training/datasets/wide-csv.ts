/** One row of an M4-style wide CSV: an id followed by observations left to right. */
export interface WideSeries {
  readonly id: string;
  readonly values: number[];
}

/** Thrown for input that is not a wide CSV; the message names the line and the problem. */
export class WideCsvError extends Error {
  override readonly name = "WideCsvError";
}

/**
 * Parses the M4 wide layout: a header line (skipped when its second cell is not numeric), then one
 * series per line — first cell the id (quotes optional), then values; empty trailing cells end ragged
 * rows; `NA`, `NaN` or an empty interior cell are missing values (`NaN`).
 */
export function parseWideCsv(text: string): WideSeries[] {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== "");
  const rows: WideSeries[] = [];
  lines.forEach((line, index) => {
    const cells = line.split(",").map((cell) => cell.trim().replace(/^"(.*)"$/, "$1"));
    const id = cells[0] ?? "";
    if (index === 0 && isHeader(cells)) return;
    while (cells.length > 1 && cells[cells.length - 1] === "") cells.pop();
    const values = cells.slice(1).map((cell, column) => {
      if (cell === "" || cell === "NA" || cell === "NaN") return Number.NaN;
      const value = Number(cell);
      if (Number.isNaN(value)) {
        throw new WideCsvError(`line ${index + 1}, column ${column + 2}: "${cell}" is not a number`);
      }
      return value;
    });
    if (id === "") throw new WideCsvError(`line ${index + 1}: missing series id in the first column`);
    rows.push({ id, values });
  });
  return rows;
}

function isHeader(cells: readonly string[]): boolean {
  const second = cells[1];
  return second !== undefined && second !== "" && Number.isNaN(Number(second));
}
