import type { MetricSource } from "../../sources/metric-source.js";
import type { PromqlProbe } from "./action-runner.js";

/** Options of {@link MetricSourcePromqlProbe}. */
export interface MetricSourcePromqlProbeOptions {
  /** Step of the lookup query. @defaultValue 15 */
  readonly stepSeconds?: number;
  /** How many steps back to look for the newest sample. @defaultValue 4 */
  readonly lookbackSteps?: number;
  /** @defaultValue Date.now */
  readonly now?: () => number;
}

/**
 * Reads the newest value of a PromQL query through the existing `MetricSource` (Prometheus range
 * queries, retried): a short range ending now, newest finite sample. Build the source with an
 * `aggregate` (e.g. `max`) so queries returning several series yield one value.
 */
export class MetricSourcePromqlProbe implements PromqlProbe {
  private readonly stepSeconds: number;
  private readonly lookbackSteps: number;
  private readonly now: () => number;

  constructor(
    private readonly source: MetricSource,
    options: MetricSourcePromqlProbeOptions = {},
  ) {
    this.stepSeconds = options.stepSeconds ?? 15;
    this.lookbackSteps = options.lookbackSteps ?? 4;
    this.now = options.now ?? Date.now;
  }

  async queryValue(query: string): Promise<number | undefined> {
    const endMs = this.now();
    const series = await this.source.fetchRange({
      query,
      startMs: endMs - this.lookbackSteps * this.stepSeconds * 1000,
      endMs,
      stepSeconds: this.stepSeconds,
    });
    return [...series.values].reverse().find(Number.isFinite);
  }
}
