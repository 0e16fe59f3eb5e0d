import type { HpaState } from "../scaler-actuator.js";
import { targetKey, type ScalerTarget } from "../scaler-target.js";
import type { StartupSampler } from "./prometheus-startup-samples.js";
import { configuredLead, startupLead, type StartupLead } from "./startup-lead.js";

/** Options of {@link StartupLeadTracker}. */
export interface StartupLeadTrackerOptions {
  readonly sampler: StartupSampler;
  /** Quantile of per-pod start-up times used as the lead. @defaultValue 0.9 */
  readonly quantile?: number;
  /** Pods created this far back are sampled. @defaultValue 86 400 000 (1 day) */
  readonly lookbackMs?: number;
  /** How often a target's samples are refreshed (not every tick: the query scans the look-back). @defaultValue 300 000 (5 min) */
  readonly refreshMs?: number;
  /** @defaultValue 3 */
  readonly minPods?: number;
  /** @defaultValue 1 800 000 (30 min) */
  readonly maxStartupMs?: number;
}

/** A target's lead this tick, and the sampling failure of this tick when there was one. */
export interface TrackedLead {
  readonly lead: StartupLead;
  /** Set only on the tick whose refresh failed (the previous samples, if any, stay in use). */
  readonly error?: unknown;
}

interface Sampled {
  readonly atMs: number;
  readonly samples: readonly number[];
}

/**
 * Measured lead time per target: samples each target's pod start-ups every `refreshMs` through the
 * sampler (kube-state-metrics in Prometheus) and turns them into a lead with the pure
 * {@link startupLead} every tick, so a changed configured lead applies at once. A failed refresh
 * keeps the previous samples and is retried at the next refresh, not every tick; a target whose HPA
 * names no workload keeps its configured lead.
 */
export class StartupLeadTracker {
  private readonly options: StartupLeadTrackerOptions;
  private readonly sampled = new Map<string, Sampled>();

  constructor(options: StartupLeadTrackerOptions) {
    this.options = options;
  }

  /** The lead `target` should use at `nowMs`. Never throws. */
  async lead(target: ScalerTarget, hpa: HpaState, nowMs: number): Promise<TrackedLead> {
    const key = targetKey(target);
    let error: unknown;
    const previous = this.sampled.get(key);
    const refreshMs = this.options.refreshMs ?? 300_000;
    if (hpa.scaleTarget !== undefined && (previous === undefined || nowMs - previous.atMs >= refreshMs)) {
      try {
        const samples = await this.options.sampler.sample({
          workload: { namespace: target.hpa.namespace, ...hpa.scaleTarget },
          lookbackMs: this.options.lookbackMs ?? 86_400_000,
          atMs: nowMs,
        });
        this.sampled.set(key, { atMs: nowMs, samples });
      } catch (caught) {
        error = caught;
        this.sampled.set(key, { atMs: nowMs, samples: previous?.samples ?? [] });
      }
    }
    const samples = hpa.scaleTarget === undefined ? [] : (this.sampled.get(key)?.samples ?? []);
    let lead: StartupLead;
    try {
      lead = startupLead(samples, {
        configuredLeadMs: target.leadMs,
        leadDeclared: target.leadDeclared,
        ...(this.options.quantile === undefined ? {} : { quantile: this.options.quantile }),
        ...(this.options.minPods === undefined ? {} : { minPods: this.options.minPods }),
        ...(this.options.maxStartupMs === undefined ? {} : { maxStartupMs: this.options.maxStartupMs }),
      });
    } catch (caught) {
      error ??= caught;
      lead = configuredLead(target);
    }
    return error === undefined ? { lead } : { lead, error };
  }

  /** Drops a target that is no longer managed. */
  forget(target: ScalerTarget): void {
    this.sampled.delete(targetKey(target));
  }
}
