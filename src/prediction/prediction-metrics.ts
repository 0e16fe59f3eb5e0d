import { Counter, Gauge, Registry } from "prom-client";

/** Options of {@link PredictionMetrics}. */
export interface PredictionMetricsOptions {
  /** Labels added to every series. @defaultValue none */
  readonly defaultLabels?: Readonly<Record<string, string>>;
}

/**
 * Prometheus metrics of the failure predictor, in their own registry (prevented / missed are counted
 * by the remediation ledger: `presage_prediction_{prevented,missed}_total` in `RemediationMetrics`):
 *
 * | metric | type | labels |
 * | --- | --- | --- |
 * | `presage_prediction_raised_total` | counter | `prediction`, `outcome` (the engine's receipt: acting, dry-run, skipped, unmatched, duplicate, …) |
 * | `presage_prediction_judged_total` | counter | `prediction`, `verdict`: prevented, missed, dropped |
 * | `presage_prediction_failures_total` | counter | `prediction`, `phase`: read, limit, raise, judge, recover, tick |
 * | `presage_prediction_series` | gauge | `prediction`: series forecast |
 * | `presage_prediction_series_skipped_total` | counter | `prediction`, `reason`: no-limit, max-series |
 * | `presage_prediction_pending` | gauge | raised predictions waiting for their verdict |
 */
export class PredictionMetrics {
  readonly registry = new Registry();
  readonly raised: Counter<"prediction" | "outcome">;
  readonly judged: Counter<"prediction" | "verdict">;
  readonly failures: Counter<"prediction" | "phase">;
  readonly series: Gauge<"prediction">;
  readonly skipped: Counter<"prediction" | "reason">;
  readonly pending: Gauge;

  constructor(options: PredictionMetricsOptions = {}) {
    if (options.defaultLabels !== undefined) this.registry.setDefaultLabels({ ...options.defaultLabels });
    const registers = [this.registry];
    this.raised = new Counter({
      name: "presage_prediction_raised_total",
      help: "Predictions raised into remediation, by what the engine did with them.",
      labelNames: ["prediction", "outcome"],
      registers,
    });
    this.judged = new Counter({
      name: "presage_prediction_judged_total",
      help: "Raised predictions judged: prevented, missed, or dropped (no action taken).",
      labelNames: ["prediction", "verdict"],
      registers,
    });
    this.failures = new Counter({
      name: "presage_prediction_failures_total",
      help: "Failed predictor steps (the loop carries on), by phase.",
      labelNames: ["prediction", "phase"],
      registers,
    });
    this.series = new Gauge({
      name: "presage_prediction_series",
      help: "Series the predictor forecasts.",
      labelNames: ["prediction"],
      registers,
    });
    this.skipped = new Counter({
      name: "presage_prediction_series_skipped_total",
      help: "Series readings not forecast: no matching limit, or the series bound reached.",
      labelNames: ["prediction", "reason"],
      registers,
    });
    this.pending = new Gauge({
      name: "presage_prediction_pending",
      help: "Raised predictions waiting for their verdict.",
      registers,
    });
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
