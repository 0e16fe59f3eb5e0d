const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/**
 * Parses a Prometheus-style duration (`30s`, `5m`, `1h30m`, `14d`, `1w`) into seconds; `undefined`
 * when the text is not one.
 */
export function parseDurationSeconds(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^(\d+[smhdw])+$/.test(trimmed)) return undefined;
  let total = 0;
  for (const [, amount, unit] of trimmed.matchAll(/(\d+)([smhdw])/g)) {
    total += Number(amount) * (UNIT_SECONDS[unit ?? ""] ?? Number.NaN);
  }
  return total > 0 ? total : undefined;
}

/** `500ms`, or a Prometheus-style duration (`30s`, `5m`, `1h30m`) in ms; undefined when neither. */
export function parseDurationMs(text: string): number | undefined {
  const millis = /^\s*(\d+)ms\s*$/.exec(text);
  if (millis) return Number(millis[1]) > 0 ? Number(millis[1]) : undefined;
  const seconds = parseDurationSeconds(text);
  return seconds === undefined ? undefined : seconds * 1000;
}
