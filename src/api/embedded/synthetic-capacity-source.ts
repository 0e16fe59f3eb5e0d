import type { Series } from "../../../models/series.js";
import { DAY_MS, utcDayStart } from "../../capacity/daily-series.js";
import {
  MetricSourceError,
  MetricSourceErrorCode,
  type MetricSource,
  type RangeRequest,
} from "../../sources/metric-source.js";

/** The series the embedded capacity targets query (recording-rule style names). */
export const SyntheticCapacityQuery = {
  cpuRequests: "cluster:cpu_requests_cores:sum",
  cpuAllocatable: "cluster:cpu_allocatable_cores:sum",
  memoryRequests: "cluster:memory_requests_gib:sum",
  memoryAllocatable: "cluster:memory_allocatable_gib:sum",
} as const;
export type SyntheticCapacityQuery = (typeof SyntheticCapacityQuery)[keyof typeof SyntheticCapacityQuery];

/** Options of {@link SyntheticCapacitySource}. */
export interface SyntheticCapacitySourceOptions {
  /** Growth rates, levels and noise follow from it. @defaultValue 42 */
  readonly seed?: number;
  /**
   * The day the shapes are anchored to (epoch ms, aligned down to UTC midnight): usage is at its
   * stated share of capacity there, and grows on after it. @defaultValue now
   */
  readonly anchorMs?: number;
}

/** How one usage series grows: its level at the anchor (share of capacity) and its yearly growth. */
interface UsageShape {
  readonly capacity: number;
  readonly shareAtAnchor: number;
  readonly growthPerYear: number;
  /** Days before the anchor a large tenant moved in, raising the level by `shift` (e.g. 0.06). */
  readonly shiftDaysAgo: number;
  readonly shift: number;
  /** Weekday multipliers, Sunday first (batch jobs run less at weekends). */
  readonly weekly: readonly number[];
  /** Relative amplitude of the intra-day cycle (peak mid-afternoon UTC). */
  readonly dailyAmplitude: number;
  readonly salt: number;
}

/** Days before the anchor when the metrics pipeline lost data (two days of gaps, kept as NaN). */
const OUTAGE_DAYS_AGO = 300;
const OUTAGE_DAYS = 2;

/**
 * Cluster-level resource usage and capacity for the embedded service's capacity planning, generated
 * in-process (no Prometheus): CPU requests growing about 50% a year with weekly and daily cycles and
 * a level shift, against 640 allocatable cores; memory requests growing slowly against 2,560 GiB.
 * Every sample is a pure function of the seed, the anchor and its time, so any range (and any order of
 * fetches) answers the same values, and simulated time can run past the anchor.
 */
export class SyntheticCapacitySource implements MetricSource {
  readonly kind = "synthetic-capacity";
  private readonly anchorMs: number;
  private readonly seed: number;
  private readonly shapes: ReadonlyMap<string, UsageShape>;
  private readonly capacities: ReadonlyMap<string, number>;

  constructor(options: SyntheticCapacitySourceOptions = {}) {
    this.seed = options.seed ?? 42;
    if (!Number.isInteger(this.seed)) throw new RangeError(`\`seed\` (${this.seed}) must be an integer`);
    this.anchorMs = utcDayStart(options.anchorMs ?? Date.now());
    // Seed-dependent, within ranges that keep the demo meaningful: CPU runs out within months
    // (a ticket opens), memory does not within the horizon.
    const jitter = (salt: number): number => unitHash(this.seed, salt, 0) - 0.5;
    this.capacities = new Map([
      [SyntheticCapacityQuery.cpuAllocatable, 640],
      [SyntheticCapacityQuery.memoryAllocatable, 2560],
    ]);
    this.shapes = new Map<string, UsageShape>([
      [
        SyntheticCapacityQuery.cpuRequests,
        {
          capacity: 640,
          shareAtAnchor: 0.7 + 0.04 * jitter(1),
          growthPerYear: 0.6 + 0.2 * jitter(2),
          shiftDaysAgo: 240,
          shift: 0.06,
          weekly: [0.9, 1, 1, 1, 1, 0.98, 0.92],
          dailyAmplitude: 0.05,
          salt: 11,
        },
      ],
      [
        SyntheticCapacityQuery.memoryRequests,
        {
          capacity: 2560,
          shareAtAnchor: 0.45 + 0.04 * jitter(3),
          growthPerYear: 0.12 + 0.06 * jitter(4),
          shiftDaysAgo: 410,
          shift: 0.04,
          weekly: [0.96, 1, 1, 1, 1, 0.99, 0.97],
          dailyAmplitude: 0.02,
          salt: 13,
        },
      ],
    ]);
  }

  /** The series' value at `timeMs`: NaN during the simulated metrics outage. */
  valueAt(query: string, timeMs: number): number {
    const capacity = this.capacities.get(query);
    if (capacity !== undefined) return capacity;
    const shape = this.shapes.get(query);
    if (shape === undefined) return Number.NaN;
    const days = (timeMs - this.anchorMs) / DAY_MS;
    if (days >= -OUTAGE_DAYS_AGO && days < -OUTAGE_DAYS_AGO + OUTAGE_DAYS) return Number.NaN;
    // Growth compounds from the anchor; before the shift the level was lower by the shift.
    const trend =
      shape.capacity *
      shape.shareAtAnchor *
      Math.exp((Math.log1p(shape.growthPerYear) / 365) * days) *
      (days < -shape.shiftDaysAgo ? 1 / (1 + shape.shift) : 1);
    const dayOfWeek = new Date(timeMs).getUTCDay();
    const hourOfDay = (timeMs % DAY_MS) / 3_600_000;
    const daily = 1 + shape.dailyAmplitude * Math.sin((2 * Math.PI * (hourOfDay - 9)) / 24);
    const noise = 1 + 0.02 * (unitHash(this.seed, shape.salt, Math.floor(timeMs / 60_000)) - 0.5);
    return trend * (shape.weekly[dayOfWeek] ?? 1) * daily * noise;
  }

  fetchRange(request: RangeRequest): Promise<Series> {
    if (!this.capacities.has(request.query) && !this.shapes.has(request.query)) {
      return Promise.reject(
        new MetricSourceError(
          MetricSourceErrorCode.badQuery,
          `no synthetic capacity series ${JSON.stringify(request.query)} (${Object.values(SyntheticCapacityQuery).join(", ")})`,
          false,
        ),
      );
    }
    const stepMs = request.stepSeconds * 1000;
    if (!(stepMs > 0)) {
      return Promise.reject(new RangeError(`\`stepSeconds\` (${request.stepSeconds}) must be > 0`));
    }
    const startMs = Math.floor(request.startMs / stepMs) * stepMs;
    const endMs = Math.floor(request.endMs / stepMs) * stepMs;
    const count = Math.max(0, Math.floor((endMs - startMs) / stepMs) + 1);
    const values = Array.from({ length: count }, (_, index) =>
      this.valueAt(request.query, startMs + index * stepMs),
    );
    return Promise.resolve({ values, stepSeconds: request.stepSeconds, startMs });
  }
}

/** A uniform number in [0, 1) from (seed, salt, n): a stateless integer hash, so samples need no order. */
function unitHash(seed: number, salt: number, n: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(salt, 0xc2b2ae35) ^ Math.imul(n, 0x27d4eb2f);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  h = Math.imul(h, 0x297a2d39);
  h ^= h >>> 15;
  return (h >>> 0) / 4_294_967_296;
}
