import type { LoadTrace } from "./load-trace.js";

/** One policy's Ready pods over time. */
export interface ChartTrack {
  /** Legend text, e.g. `reactive HPA (target 0.7)`. */
  readonly label: string;
  /** Ready pods after each sync of the replay. */
  readonly readyPods: ArrayLike<number>;
}

export interface ReplayChartInput {
  readonly title: string;
  readonly trace: LoadTrace;
  /** Load one pod serves per step: Ready capacity = Ready pods × this. */
  readonly podCapacity: number;
  /** Resolution of the tracks. */
  readonly syncPeriodSeconds: number;
  /** First and last trace step shown. */
  readonly fromStep: number;
  readonly toStep: number;
  /** At most four; drawn in order (the first on the bottom). */
  readonly tracks: readonly ChartTrack[];
  /** Label of the load axis. @defaultValue `load per step` */
  readonly loadLabel?: string;
}

const COLORS = ["#d9534f", "#2b7bb9", "#3c9a3c", "#8e44ad"];
const WIDTH = 960;
const HEIGHT = 440;
const LEFT = 64;
const RIGHT = 20;
const TOP = 64;
const BOTTOM = 44;

/**
 * A dependency-free SVG of load against each policy's Ready capacity over a window of the replay:
 * load as a grey area, capacities as step lines. Where a line dips below the grey, demand was unserved.
 * Times are shown in UTC. Unmeasured steps leave a hole in the load.
 */
export function renderReplayChartSvg(input: ReplayChartInput): string {
  const { trace, podCapacity, fromStep } = input;
  const toStep = Math.max(fromStep, Math.min(input.toStep, trace.values.length - 1));
  const stepSeconds = trace.stepSeconds;
  const syncsPerStep = Math.max(1, Math.round(stepSeconds / input.syncPeriodSeconds));
  const spanSeconds = (toStep - fromStep + 1) * stepSeconds;
  const plotWidth = WIDTH - LEFT - RIGHT;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  let maxValue = 0;
  for (let step = fromStep; step <= toStep; step++) {
    const load = trace.values[step] ?? Number.NaN;
    if (Number.isFinite(load)) maxValue = Math.max(maxValue, load);
    for (const track of input.tracks) {
      for (let k = 0; k < syncsPerStep; k++) {
        maxValue = Math.max(maxValue, (track.readyPods[step * syncsPerStep + k] ?? 0) * podCapacity);
      }
    }
  }
  const yTop = niceCeiling(maxValue > 0 ? maxValue * 1.05 : 1);
  const x = (seconds: number): string => (LEFT + (seconds / spanSeconds) * plotWidth).toFixed(1);
  const y = (value: number): string => (TOP + plotHeight - (value / yTop) * plotHeight).toFixed(1);
  const parts: string[] = [];

  // Load: one filled polygon per measured run of steps.
  let run: string[] = [];
  const flush = (endSeconds: number): void => {
    if (run.length > 0) {
      parts.push(
        `<polygon points="${run.join(" ")} ${x(endSeconds)},${y(0)} ${(run[0] ?? "").split(",")[0] ?? ""},${y(0)}" fill="#c8ccd1" stroke="none"/>`,
      );
    }
    run = [];
  };
  for (let step = fromStep; step <= toStep; step++) {
    const load = trace.values[step] ?? Number.NaN;
    const start = (step - fromStep) * stepSeconds;
    if (!Number.isFinite(load)) {
      flush(start);
      continue;
    }
    run.push(`${x(start)},${y(load)}`, `${x(start + stepSeconds)},${y(load)}`);
  }
  flush(spanSeconds);

  // Axes and grid.
  for (let i = 0; i <= 5; i++) {
    const value = (yTop * i) / 5;
    parts.push(
      `<line x1="${LEFT}" y1="${y(value)}" x2="${WIDTH - RIGHT}" y2="${y(value)}" stroke="#e5e5e5"/>`,
      `<text x="${LEFT - 6}" y="${(Number(y(value)) + 4).toFixed(1)}" text-anchor="end">${formatValue(value)}</text>`,
    );
  }
  const startMs = trace.startMs + fromStep * stepSeconds * 1000;
  const tickSeconds = niceTimeTick(spanSeconds);
  const firstTickMs = Math.ceil(startMs / (tickSeconds * 1000)) * tickSeconds * 1000;
  for (let tickMs = firstTickMs; tickMs <= startMs + spanSeconds * 1000; tickMs += tickSeconds * 1000) {
    const seconds = (tickMs - startMs) / 1000;
    parts.push(
      `<line x1="${x(seconds)}" y1="${TOP}" x2="${x(seconds)}" y2="${TOP + plotHeight}" stroke="#f0f0f0"/>`,
      `<text x="${x(seconds)}" y="${TOP + plotHeight + 16}" text-anchor="middle">${formatTime(tickMs, tickSeconds)}</text>`,
    );
  }
  parts.push(
    `<line x1="${LEFT}" y1="${TOP + plotHeight}" x2="${WIDTH - RIGHT}" y2="${TOP + plotHeight}" stroke="#444"/>`,
    `<line x1="${LEFT}" y1="${TOP}" x2="${LEFT}" y2="${TOP + plotHeight}" stroke="#444"/>`,
    `<text x="14" y="${TOP + plotHeight / 2}" transform="rotate(-90 14 ${TOP + plotHeight / 2})" text-anchor="middle">${escapeXml(input.loadLabel ?? "load per step")}</text>`,
    `<text x="${LEFT + plotWidth / 2}" y="${HEIGHT - 6}" text-anchor="middle" fill="#555">time (UTC)</text>`,
  );

  // Ready capacity of each policy as a step line at sync resolution.
  input.tracks.slice(0, COLORS.length).forEach((track, index) => {
    const points: string[] = [];
    let previous: number | undefined;
    const first = fromStep * syncsPerStep;
    const last = (toStep + 1) * syncsPerStep;
    for (let i = first; i < last; i++) {
      const capacity = (track.readyPods[i] ?? 0) * podCapacity;
      const seconds = ((i - first) * stepSeconds) / syncsPerStep;
      if (previous !== capacity) {
        if (previous !== undefined) points.push(`${x(seconds)},${y(previous)}`);
        points.push(`${x(seconds)},${y(capacity)}`);
        previous = capacity;
      }
    }
    if (previous !== undefined) points.push(`${x(spanSeconds)},${y(previous)}`);
    const dash =
      index === input.tracks.length - 1 && input.tracks.length > 2 ? ` stroke-dasharray="5 3"` : "";
    parts.push(
      `<polyline points="${points.join(" ")}" fill="none" stroke="${COLORS[index] ?? "#000"}" stroke-width="1.6"${dash}/>`,
    );
  });

  // Title and legend.
  const legend: string[] = [
    `<rect x="${LEFT}" y="34" width="14" height="10" fill="#c8ccd1"/>`,
    `<text x="${LEFT + 18}" y="43">load</text>`,
  ];
  let legendX = LEFT + 70;
  input.tracks.slice(0, COLORS.length).forEach((track, index) => {
    const label = `Ready capacity: ${track.label}`;
    legend.push(
      `<line x1="${legendX}" y1="39" x2="${legendX + 18}" y2="39" stroke="${COLORS[index] ?? "#000"}" stroke-width="2"/>`,
      `<text x="${legendX + 22}" y="43">${escapeXml(label)}</text>`,
    );
    legendX += 30 + label.length * 6.2;
  });
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

export function niceCeiling(value: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const factor of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) {
    if (factor * magnitude >= value) return factor * magnitude;
  }
  return 10 * magnitude;
}

function niceTimeTick(spanSeconds: number): number {
  const candidates = [60, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400, 172_800, 604_800];
  return candidates.find((seconds) => spanSeconds / seconds <= 12) ?? 604_800;
}

function formatTime(epochMs: number, tickSeconds: number): string {
  const iso = new Date(epochMs).toISOString();
  return tickSeconds >= 86_400 ? iso.slice(0, 10) : iso.slice(11, 16);
}

export function formatValue(value: number): string {
  return Math.abs(value) >= 100 ? value.toFixed(0) : String(Number(value.toPrecision(3)));
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
