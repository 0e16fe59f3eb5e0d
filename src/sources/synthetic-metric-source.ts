import type { Series } from "../../models/series.js";
import { alignRange } from "./aligned-range.js";
import type { MetricSource, RangeRequest } from "./metric-source.js";
import { hashNormal, hashUniform } from "./seeded-hash.js";
import { syntheticLoadAt } from "./synthetic-workload.js";

/** Shape of the generated workload; the same options always give the same value at a timestamp. */
export interface SyntheticMetricSourceOptions {
  /** @defaultValue 42 */
  readonly seed?: number | undefined;
  /** Mean requests per second on a weekday. @defaultValue 400 */
  readonly baseRps?: number | undefined;
  /** Weekend load as a fraction of weekday load. @defaultValue 0.6 */
  readonly weekendFactor?: number | undefined;
  /** Growth per week as a fraction, counted from `originMs`. @defaultValue 0.02 */
  readonly weeklyGrowth?: number | undefined;
  /** Standard deviation of multiplicative noise. @defaultValue 0.05 */
  readonly noise?: number | undefined;
  /** Chance that a timestamp carries a short spike of 1.5–2.5× load. @defaultValue 0.002 */
  readonly spikeProbability?: number | undefined;
  /** Epoch ms at which growth is zero. @defaultValue Monday 2026-11-02T00:00Z (as `syntheticWorkload`) */
  readonly originMs?: number | undefined;
}

/**
 * The embedded metric source: the seeded synthetic web workload of {@link syntheticLoadAt}, computed
 * per timestamp. Noise and spikes come from a hash of (seed, epoch ms), not from a sequential random
 * stream, so any two fetches — overlapping, shifted, or at another step — agree wherever their
 * timestamps coincide, as a real metrics store would. Values are never negative and never missing;
 * `request.query` is ignored.
 */
export class SyntheticMetricSource implements MetricSource {
  readonly kind = "synthetic";
  private readonly seed: number;
  private readonly shape: { base: number; weekendFactor: number; growth: number };
  private readonly noise: number;
  private readonly spikeProbability: number;
  private readonly originMs: number;

  constructor(options: SyntheticMetricSourceOptions = {}) {
    this.seed = options.seed ?? 42;
    this.shape = {
      base: options.baseRps ?? 400,
      weekendFactor: options.weekendFactor ?? 0.6,
      growth: options.weeklyGrowth ?? 0.02,
    };
    this.noise = options.noise ?? 0.05;
    this.spikeProbability = options.spikeProbability ?? 0.002;
    this.originMs = options.originMs ?? Date.UTC(2026, 10, 2);
  }

  /** The value at one epoch-ms timestamp. */
  valueAt(timeMs: number): number {
    const weeksElapsed = (timeMs - this.originMs) / 604_800_000;
    let value =
      syntheticLoadAt(timeMs, weeksElapsed, this.shape) * (1 + this.noise * hashNormal(this.seed, timeMs));
    if (hashUniform(this.seed, timeMs, 3) < this.spikeProbability)
      value *= 1.5 + hashUniform(this.seed, timeMs, 4);
    return Math.max(0, value);
  }

  fetchRange(request: RangeRequest): Promise<Series> {
    try {
      request.signal?.throwIfAborted();
      const range = alignRange(request);
      const values: number[] = [];
      for (let index = 0; index < range.count; index++)
        values.push(this.valueAt(range.startMs + index * range.stepMs));
      return Promise.resolve({ values, stepSeconds: request.stepSeconds, startMs: range.startMs });
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }
}
