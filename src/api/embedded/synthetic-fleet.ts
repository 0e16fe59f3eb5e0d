import type { Series } from "../../../models/series.js";
import type { ScalerTargetSpec } from "../../scaler/scaler-target.js";
import type { SimulatedHpaSpec } from "../../scaler/simulated-cluster.js";
import type { MetricSource, RangeRequest } from "../../sources/metric-source.js";
import { SyntheticMetricSource } from "../../sources/synthetic-metric-source.js";

/** One simulated workload of the embedded service. */
export interface FleetWorkload {
  /** Registry target name, also the load query the fleet answers. */
  readonly name: string;
  readonly hpa: { readonly namespace: string; readonly name: string };
  /** Weekday mean load, requests/s. */
  readonly baseRps: number;
  /** Load one pod serves: sized so the weekday peak needs about 25 pods. */
  readonly podCapacity: number;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly source: SyntheticMetricSource;
}

/** Options of {@link SyntheticFleet}. */
export interface SyntheticFleetOptions {
  /** Workloads, 1–1000. */
  readonly count: number;
  /** Seed of the first workload; workload i uses `seed + i`. @defaultValue 42 */
  readonly seed?: number;
}

/** Seconds between samples of every fleet series. */
export const FLEET_STEP_SECONDS = 300;

/**
 * The embedded service's workloads: `shop.web` (the `presage scale` demo: 400 rps, 25 per pod) and,
 * with more than one, `shop.svc-002`, `shop.svc-003`… with their own seeds and scales (60–1000 rps).
 * It is also their `MetricSource`: the query is the workload's name, so one ScalerLoop and one
 * training composition serve them all.
 */
export class SyntheticFleet implements MetricSource {
  readonly kind = "synthetic";
  readonly workloads: readonly FleetWorkload[];
  private readonly byName: ReadonlyMap<string, FleetWorkload>;

  constructor(options: SyntheticFleetOptions) {
    const seed = options.seed ?? 42;
    if (!Number.isInteger(options.count) || options.count < 1 || options.count > 1000) {
      throw new RangeError(`\`count\` (${options.count}) must be an integer from 1 to 1000`);
    }
    if (!Number.isInteger(seed)) throw new RangeError(`\`seed\` (${seed}) must be an integer`);
    this.workloads = Array.from({ length: options.count }, (_, index) => workload(index, seed));
    this.byName = new Map(this.workloads.map((entry) => [entry.name, entry]));
  }

  /** The workload named `name`, or undefined. */
  workload(name: string): FleetWorkload | undefined {
    return this.byName.get(name);
  }

  /** The load of workload `name` at a time (what the simulated cluster serves). */
  valueAt(name: string, timeMs: number): number {
    return this.byName.get(name)?.source.valueAt(timeMs) ?? 0;
  }

  fetchRange(request: RangeRequest): Promise<Series> {
    const entry = this.byName.get(request.query);
    if (entry === undefined) {
      return Promise.reject(new RangeError(`no synthetic workload named ${JSON.stringify(request.query)}`));
    }
    return entry.source.fetchRange(request);
  }

  /** The HPAs of the simulated cluster. */
  hpaSpecs(): SimulatedHpaSpec[] {
    return this.workloads.map((entry) => ({
      namespace: entry.hpa.namespace,
      name: entry.hpa.name,
      minReplicas: entry.minReplicas,
      maxReplicas: entry.maxReplicas,
      podCapacity: entry.podCapacity,
      targetUtilization: 0.7,
    }));
  }

  /** The scaler targets, one per workload (3 min pod start-up, 15 min window). */
  scalerTargets(mode: "shadow" | "active"): ScalerTargetSpec[] {
    return this.workloads.map((entry) => ({
      name: entry.name,
      hpa: entry.hpa,
      loadQuery: entry.name,
      podCapacity: entry.podCapacity,
      mode,
      leadMs: 180_000,
      windowMs: 900_000,
    }));
  }
}

function workload(index: number, seed: number): FleetWorkload {
  // A fixed spread of scales (no randomness needed): 60 to 1000 rps.
  const baseRps = index === 0 ? 400 : 60 + ((index * 389) % 941);
  const hpaName = index === 0 ? "web" : `svc-${String(index + 1).padStart(3, "0")}`;
  return {
    name: `shop.${hpaName}`,
    hpa: { namespace: "shop", name: hpaName },
    baseRps,
    podCapacity: index === 0 ? 25 : Math.max(1, Math.round(baseRps / 16)),
    minReplicas: 2,
    maxReplicas: 40,
    source: new SyntheticMetricSource({ seed: seed + index, baseRps }),
  };
}
