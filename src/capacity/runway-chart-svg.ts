import { escapeXml, formatValue, niceCeiling } from "../scaler/simulation/replay-chart-svg.js";
import { DAY_MS, isoDay } from "./daily-series.js";
import type { Runway } from "./runway.js";

export interface RunwayChartInput {
  readonly title: string;
  /** Observed daily usage; `NaN` days leave a hole. */
  readonly usage: { readonly startMs: number; readonly values: readonly number[] };
  /** Days 1…H after the last observed day. */
  readonly p50: readonly number[];
  readonly p90: readonly number[];
  /** Epoch ms of the last observed day (forecast day 1 is the day after). */
  readonly lastObservedDayMs: number;
  readonly runway: Runway;
  /** Observed days shown before the forecast. @defaultValue 365 */
  readonly historyDays?: number;
}

const WIDTH = 960;
const HEIGHT = 420;
const LEFT = 64;
const RIGHT = 20;
const TOP = 60;
const BOTTOM = 40;

/**
 * A dependency-free SVG of a capacity runway: observed daily usage (grey), the p50 forecast (blue),
 * the band up to p90 (light blue), capacity (solid red), capacity × headroom (dashed red) and markers
 * at the p50 and p90 crossings. Dates in UTC; axis helpers shared with the scaler's replay chart.
 */
export function renderRunwayChartSvg(input: RunwayChartInput): string {
  const historyDays = input.historyDays ?? 365;
  const usageEnd = input.usage.values.length;
  const shownFrom = Math.max(0, usageEnd - historyDays);
  const firstMs = input.usage.startMs + shownFrom * DAY_MS;
  const lastMs = input.lastObservedDayMs + input.p50.length * DAY_MS;
  const spanMs = Math.max(DAY_MS, lastMs - firstMs);
  const finite = (values: readonly number[]): number[] => values.filter(Number.isFinite);
  const maxValue = Math.max(
    input.runway.capacity,
    ...finite(input.usage.values.slice(shownFrom)),
    ...finite(input.p90),
  );
  const yTop = niceCeiling(maxValue > 0 ? maxValue * 1.05 : 1);
  const plotWidth = WIDTH - LEFT - RIGHT;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const x = (epochMs: number): string => (LEFT + ((epochMs - firstMs) / spanMs) * plotWidth).toFixed(1);
  const y = (value: number): string =>
    (TOP + plotHeight - (Math.max(0, Math.min(value, yTop)) / yTop) * plotHeight).toFixed(1);
  const forecastDay = (index: number): number => input.lastObservedDayMs + (index + 1) * DAY_MS;
  const parts: string[] = [];

  for (let i = 0; i <= 5; i++) {
    const value = (yTop * i) / 5;
    parts.push(
      `<line x1="${LEFT}" y1="${y(value)}" x2="${WIDTH - RIGHT}" y2="${y(value)}" stroke="#e5e5e5"/>`,
      `<text x="${LEFT - 6}" y="${(Number(y(value)) + 4).toFixed(1)}" text-anchor="end">${formatValue(value)}</text>`,
    );
  }
  for (const tickMs of quarterTicks(firstMs, lastMs)) {
    parts.push(
      `<line x1="${x(tickMs)}" y1="${TOP}" x2="${x(tickMs)}" y2="${TOP + plotHeight}" stroke="#f0f0f0"/>`,
      `<text x="${x(tickMs)}" y="${TOP + plotHeight + 16}" text-anchor="middle">${isoDay(tickMs).slice(0, 7)}</text>`,
    );
  }

  // p90 band: p50 forward, p90 backward.
  const band = [
    ...input.p50.map((value, index) => `${x(forecastDay(index))},${y(value)}`),
    ...input.p90.map((value, index) => `${x(forecastDay(index))},${y(value)}`).reverse(),
  ];
  if (band.length > 0) parts.push(`<polygon points="${band.join(" ")}" fill="#cfe2f3" stroke="none"/>`);

  // Observed usage: one polyline per run of observed days.
  let run: string[] = [];
  const flush = (): void => {
    if (run.length > 1) parts.push(polyline(run, "#777"));
    run = [];
  };
  for (let index = shownFrom; index < usageEnd; index++) {
    const value = input.usage.values[index] ?? Number.NaN;
    if (!Number.isFinite(value)) {
      flush();
      continue;
    }
    run.push(`${x(input.usage.startMs + index * DAY_MS)},${y(value)}`);
  }
  flush();
  parts.push(
    polyline(
      input.p50.map((value, index) => `${x(forecastDay(index))},${y(value)}`),
      "#2b7bb9",
    ),
  );

  const { capacity, limit } = input.runway;
  parts.push(
    `<line x1="${LEFT}" y1="${y(capacity)}" x2="${WIDTH - RIGHT}" y2="${y(capacity)}" stroke="#d9534f" stroke-width="1.5"/>`,
    `<line x1="${LEFT}" y1="${y(limit)}" x2="${WIDTH - RIGHT}" y2="${y(limit)}" stroke="#d9534f" stroke-dasharray="6 4"/>`,
    `<line x1="${x(input.lastObservedDayMs)}" y1="${TOP}" x2="${x(input.lastObservedDayMs)}" y2="${TOP + plotHeight}" stroke="#444" stroke-dasharray="2 3"/>`,
  );
  for (const [label, crossing] of [
    ["p90", input.runway.p90],
    ["p50", input.runway.p50],
  ] as const) {
    if (crossing.days === undefined || crossing.date === undefined) continue;
    const at = x(input.lastObservedDayMs + crossing.days * DAY_MS);
    parts.push(
      `<circle cx="${at}" cy="${y(limit)}" r="4" fill="${label === "p90" ? "#d9822b" : "#2b7bb9"}"/>`,
      `<text x="${at}" y="${(Number(y(limit)) - 8).toFixed(1)}" text-anchor="middle">${label} ${crossing.date}</text>`,
    );
  }
  parts.push(
    `<line x1="${LEFT}" y1="${TOP + plotHeight}" x2="${WIDTH - RIGHT}" y2="${TOP + plotHeight}" stroke="#444"/>`,
    `<line x1="${LEFT}" y1="${TOP}" x2="${LEFT}" y2="${TOP + plotHeight}" stroke="#444"/>`,
  );
  const legend = [
    legendLine(LEFT, "#777", "usage (daily)"),
    legendLine(LEFT + 130, "#2b7bb9", "p50 forecast"),
    `<rect x="${LEFT + 250}" y="34" width="14" height="10" fill="#cfe2f3"/><text x="${LEFT + 268}" y="43">up to p90</text>`,
    legendLine(LEFT + 350, "#d9534f", `capacity ${formatValue(capacity)}`),
    `<line x1="${LEFT + 500}" y1="39" x2="${LEFT + 518}" y2="39" stroke="#d9534f" stroke-dasharray="6 4"/><text x="${LEFT + 522}" y="43">× headroom ${formatValue(input.runway.headroom)} = ${formatValue(limit)}</text>`,
  ];
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${LEFT}" y="20" font-size="13" font-weight="bold">${escapeXml(input.title)}</text>`,
    ...legend,
    ...parts,
    "</svg>",
    "",
  ].join("\n");
}

function polyline(points: readonly string[], color: string): string {
  return `<polyline points="${points.join(" ")}" fill="none" stroke="${color}" stroke-width="1.5"/>`;
}

function legendLine(atX: number, color: string, label: string): string {
  return `<line x1="${atX}" y1="39" x2="${atX + 18}" y2="39" stroke="${color}" stroke-width="2"/><text x="${atX + 22}" y="43">${escapeXml(label)}</text>`;
}

/** First days of January, April, July and October within the span (UTC). */
function quarterTicks(firstMs: number, lastMs: number): number[] {
  const ticks: number[] = [];
  const start = new Date(firstMs);
  let year = start.getUTCFullYear();
  let month = Math.ceil(start.getUTCMonth() / 3) * 3;
  for (;;) {
    if (month >= 12) {
      year += 1;
      month -= 12;
    }
    const tick = Date.UTC(year, month, 1);
    if (tick > lastMs) return ticks;
    if (tick >= firstMs) ticks.push(tick);
    month += 3;
  }
}
