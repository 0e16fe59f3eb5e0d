import { SeededRandom } from "../../models/math/seeded-random.js";
import type { Series } from "../../models/series.js";

export interface SyntheticWorkloadOptions {
  /** @defaultValue 900 (15 minutes) */
  readonly stepSeconds?: number;
  /** @defaultValue 28 */
  readonly days?: number;
  /** @defaultValue 42 */
  readonly seed?: number;
  /** Mean requests per second on a weekday. @defaultValue 400 */
  readonly baseRps?: number;
  /** Weekend load as a fraction of weekday load. @defaultValue 0.6 */
  readonly weekendFactor?: number;
  /** Growth per week as a fraction. @defaultValue 0.02 */
  readonly weeklyGrowth?: number;
  /** Standard deviation of multiplicative noise. @defaultValue 0.05 */
  readonly noise?: number;
  /** Epoch ms of the first sample. @defaultValue Monday 2026-11-02T00:00Z */
  readonly startMs?: number;
}

/**
 * A seeded web-service request rate with the cycles ops data really has: a daily shape with a late
 * morning and an evening peak, quieter weekends, slow growth, multiplicative noise and a few short
 * spikes. The same seed always gives the same series.
 */
export function syntheticWorkload(options: SyntheticWorkloadOptions = {}): Series {
  const stepSeconds = options.stepSeconds ?? 900;
  const days = options.days ?? 28;
  const random = new SeededRandom(options.seed ?? 42);
  const base = options.baseRps ?? 400;
  const weekendFactor = options.weekendFactor ?? 0.6;
  const growth = options.weeklyGrowth ?? 0.02;
  const noise = options.noise ?? 0.05;
  const startMs = options.startMs ?? Date.UTC(2026, 10, 2);
  const count = Math.round((days * 86_400) / stepSeconds);
  const values: number[] = [];
  for (let i = 0; i < count; i++) {
    const seconds = i * stepSeconds;
    const timeMs = startMs + seconds * 1000;
    values.push(
      syntheticLoadAt(timeMs, seconds / 604_800, { base, weekendFactor, growth }) *
        (1 + noise * random.normal()),
    );
    if (random.next() < 0.002) values[i] = (values[i] ?? 0) * (1.5 + random.next());
  }
  return { values, stepSeconds, startMs };
}

/** The noise-free load at a time: what a perfect model would predict. */
export function syntheticLoadAt(
  timeMs: number,
  weeksElapsed: number,
  shape: { base: number; weekendFactor: number; growth: number },
): number {
  const date = new Date(timeMs);
  const hour = date.getUTCHours() + date.getUTCMinutes() / 60;
  const weekday = date.getUTCDay();
  const daily = 0.35 + bump(hour, 11, 2.5) * 0.9 + bump(hour, 20, 2) * 0.75;
  const week = weekday === 0 || weekday === 6 ? shape.weekendFactor : 1;
  return shape.base * daily * week * (1 + shape.growth * weeksElapsed);
}

function bump(hour: number, centre: number, width: number): number {
  const distance = Math.min(Math.abs(hour - centre), 24 - Math.abs(hour - centre));
  return Math.exp(-(distance * distance) / (2 * width * width));
}
