import type { BackfillSeries } from "./openmetrics-text.js";

const DAY_MS = 86_400_000;

/**
 * Seeded usage history for capacity tests: `days` days at a 6-hour step ending at 18:00 UTC of
 * `lastDayMs`, growing linearly from `from` by `slopePerDay`, with a weekly cycle (amplitude 3), an
 * intra-day cycle and small noise. The daily max ends near `from + slopePerDay × days + 4`.
 */
export function growingUsage(options: {
  readonly name: string;
  readonly lastDayMs: number;
  readonly days: number;
  readonly from: number;
  readonly slopePerDay: number;
  readonly seed?: number;
}): BackfillSeries {
  let state = options.seed ?? 7;
  const random = (): number => {
    state = (state * 16_807) % 2_147_483_647;
    return state / 2_147_483_647;
  };
  const perDay = 4;
  const startMs = options.lastDayMs - (options.days - 1) * DAY_MS;
  const values = Array.from({ length: options.days * perDay }, (_, index) => {
    const day = index / perDay;
    return (
      options.from +
      options.slopePerDay * day +
      3 * Math.sin((2 * Math.PI * Math.floor(day)) / 7) +
      1.5 * Math.sin((2 * Math.PI * (index % perDay)) / perDay) +
      (random() - 0.5)
    );
  });
  return { name: options.name, startMs, stepSeconds: 6 * 3600, values };
}
