const numberFormat = new Intl.NumberFormat("en-US", { maximumSignificantDigits: 4 });
const timeFormat = new Intl.DateTimeFormat(undefined, {
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
});

/** A load or replica count for people: four significant digits, `—` when missing. */
export function formatValue(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? "—" : numberFormat.format(value);
}

/** A ratio as a percentage with one decimal, e.g. 0.812 → "81.2%". */
export function formatPercent(ratio: number | null | undefined): string {
  return ratio === null || ratio === undefined || !Number.isFinite(ratio)
    ? "—"
    : `${(ratio * 100).toFixed(1)}%`;
}

const dayFormat = new Intl.DateTimeFormat(undefined, {
  year: "numeric",
  month: "short",
  day: "numeric",
  timeZone: "UTC",
});

/** A UTC day (epoch ms of its midnight), e.g. "Mar 2, 2027": daily series are per UTC day. */
export function formatDay(epochMs: number): string {
  return Number.isFinite(epochMs) ? dayFormat.format(new Date(epochMs)) : "—";
}

/** An epoch-ms instant in the viewer's time zone, e.g. "Nov 28, 10:15 AM". */
export function formatTime(epochMs: number): string {
  return Number.isFinite(epochMs) ? timeFormat.format(new Date(epochMs)) : "—";
}

/** A duration in ms the way the API takes them, e.g. 5400000 → "1h30m". */
export function formatDurationMs(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return "0s";
  let rest = Math.round(ms / 1000);
  const parts: string[] = [];
  for (const [unit, seconds] of [
    ["d", 86_400],
    ["h", 3600],
    ["m", 60],
    ["s", 1],
  ] as const) {
    const amount = Math.floor(rest / seconds);
    if (amount > 0) parts.push(`${amount}${unit}`);
    rest -= amount * seconds;
  }
  return parts.join("");
}
