import { SeededRandom } from "../../models/math/seeded-random.js";

/** Shape of a synthetic hourly series with daily and weekly cycles. */
export interface SeasonalSeriesOptions {
  /** Number of hourly points. */
  readonly length: number;
  readonly seed: number;
  /** @defaultValue `100` */
  readonly level?: number;
  /** Added per step. @defaultValue `0` */
  readonly slopePerStep?: number;
  /** Amplitude of the 24-step sine. @defaultValue `20` */
  readonly dailyAmplitude?: number;
  /** Size of the weekday/weekend effect over 168 steps. @defaultValue `10` */
  readonly weeklyAmplitude?: number;
  /** Standard deviation of the Gaussian noise. @defaultValue `1` */
  readonly noiseSd?: number;
}

/** A generated series with the components it was built from. */
export interface SeasonalSeries {
  readonly values: number[];
  readonly trend: number[];
  readonly daily: number[];
  readonly weekly: number[];
}

/** Daily shape: one sine per day plus a second harmonic, mean zero over a day. */
export function dailyShape(hourOfDay: number): number {
  const angle = (2 * Math.PI * hourOfDay) / 24;
  return Math.sin(angle) + 0.4 * Math.cos(2 * angle);
}

/** Weekly shape: five busy days and a quiet weekend, mean zero over the week. */
export function weeklyShape(hourOfWeek: number): number {
  const day = Math.floor(hourOfWeek / 24);
  return day < 5 ? 2 / 7 : -5 / 7;
}

/**
 * Hourly series = level + slope·t + daily + weekly + noise, deterministic for a seed, so tests can
 * check that decompositions recover the parts.
 */
export function seasonalSeries(options: SeasonalSeriesOptions): SeasonalSeries {
  const random = new SeededRandom(options.seed);
  const level = options.level ?? 100;
  const slope = options.slopePerStep ?? 0;
  const dailyAmplitude = options.dailyAmplitude ?? 20;
  const weeklyAmplitude = options.weeklyAmplitude ?? 10;
  const noiseSd = options.noiseSd ?? 1;
  const trend: number[] = [];
  const daily: number[] = [];
  const weekly: number[] = [];
  const values: number[] = [];
  for (let t = 0; t < options.length; t++) {
    trend.push(level + slope * t);
    daily.push(dailyAmplitude * dailyShape(t % 24));
    weekly.push(weeklyAmplitude * weeklyShape(t % 168));
    values.push((trend[t] ?? 0) + (daily[t] ?? 0) + (weekly[t] ?? 0) + noiseSd * random.normal());
  }
  return { values, trend, daily, weekly };
}

/** Gaussian white noise around `mean`. */
export function whiteNoise(length: number, seed: number, mean = 0, sd = 1): number[] {
  const random = new SeededRandom(seed);
  return Array.from({ length }, () => mean + sd * random.normal());
}
