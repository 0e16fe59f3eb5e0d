import type { Forecast } from "../../models/forecast.js";

export interface TerminalChartOptions {
  /** Plot columns (not counting the axis). @defaultValue 100 */
  readonly width?: number;
  /** @defaultValue 18 */
  readonly height?: number;
  /** Use ANSI colours. @defaultValue false */
  readonly color?: boolean;
}

interface Column {
  readonly kind: "history" | "forecast";
  readonly value: number;
  readonly outer?: readonly [number, number];
  readonly inner?: readonly [number, number];
}

/**
 * Draws recent history and a forecast with its widest and narrowest intervals as a character chart:
 * `·` history, `●` forecast, `▓` inner band, `░` outer band, `│` the forecast origin. When there are
 * more points than columns, each column summarises several steps (mean value, widest band).
 */
export function renderForecastChart(
  history: readonly number[],
  forecast: Forecast,
  options: TerminalChartOptions = {},
): string {
  const width = options.width ?? 100;
  const height = options.height ?? 18;
  const bands = [...forecast.intervals].sort((a, b) => b.level - a.level);
  const outer = bands[0];
  const inner = bands.length > 1 ? bands[bands.length - 1] : undefined;
  const bucket = Math.max(1, Math.ceil((history.length + forecast.mean.length) / (width - 1)));
  const columns: Column[] = [];
  for (let start = 0; start < history.length; start += bucket) {
    columns.push({ kind: "history", value: meanOf(history.slice(start, start + bucket)) });
  }
  for (let start = 0; start < forecast.mean.length; start += bucket) {
    const end = start + bucket;
    columns.push({
      kind: "forecast",
      value: meanOf(forecast.mean.slice(start, end)),
      ...(outer
        ? { outer: [Math.min(...outer.lower.slice(start, end)), Math.max(...outer.upper.slice(start, end))] }
        : {}),
      ...(inner
        ? { inner: [Math.min(...inner.lower.slice(start, end)), Math.max(...inner.upper.slice(start, end))] }
        : {}),
    });
  }
  const all = columns.flatMap((column) => [column.value, ...(column.outer ?? [])]).filter(Number.isFinite);
  const low = Math.min(...all);
  const high = Math.max(...all);
  const span = high - low || 1;
  const row = (value: number): number => Math.round(((high - value) / span) * (height - 1));
  const originColumn = columns.findIndex((column) => column.kind === "forecast");
  const cells: string[][] = Array.from({ length: height }, () =>
    new Array<string>(columns.length + 1).fill(" "),
  );
  const put = (r: number, c: number, ch: string): void => {
    const line = cells[r];
    if (line && c >= 0 && c < line.length) line[c] = ch;
  };
  columns.forEach((column, index) => {
    const c = originColumn >= 0 && index >= originColumn ? index + 1 : index;
    const fill = (band: readonly [number, number] | undefined, ch: string): void => {
      if (!band || !Number.isFinite(band[0]) || !Number.isFinite(band[1])) return;
      for (let r = row(band[1]); r <= row(band[0]); r++) put(r, c, ch);
    };
    fill(column.outer, "░");
    fill(column.inner, "▓");
    if (Number.isFinite(column.value)) put(row(column.value), c, column.kind === "history" ? "·" : "●");
  });
  if (originColumn >= 0) for (let r = 0; r < height; r++) put(r, originColumn, "│");
  const labelWidth = Math.max(formatAxis(high).length, formatAxis(low).length);
  const lines = cells.map((line, r) => {
    const label = r === 0 ? formatAxis(high) : r === height - 1 ? formatAxis(low) : "";
    const text = line.join("");
    return `${label.padStart(labelWidth)} ┤${options.color ? colorize(text) : text}`;
  });
  const legend = [
    "· history",
    "● forecast",
    inner ? `▓ ${inner.level}%` : "",
    outer ? `░ ${outer.level}%` : "",
    "│ now",
    bucket > 1 ? `(1 column = ${bucket} steps)` : "",
  ].filter((part) => part !== "");
  return [...lines, `${" ".repeat(labelWidth)}  ${legend.join("  ")}`].join("\n");
}

function meanOf(values: readonly number[]): number {
  const finite = values.filter(Number.isFinite);
  return finite.length === 0 ? Number.NaN : finite.reduce((sum, value) => sum + value, 0) / finite.length;
}

function formatAxis(value: number): string {
  return Math.abs(value) >= 100 ? value.toFixed(0) : value.toPrecision(3);
}

function colorize(text: string): string {
  return text
    .replace(/●+/g, (match) => `\x1b[1;33m${match}\x1b[0m`)
    .replace(/▓+/g, (match) => `\x1b[36m${match}\x1b[0m`)
    .replace(/░+/g, (match) => `\x1b[34m${match}\x1b[0m`);
}
