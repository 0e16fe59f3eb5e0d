import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

export interface TrainingMetricsOptions {
  /** Also export Node.js process metrics (CPU, memory, event-loop lag) with the `presage_` prefix. @defaultValue false */
  readonly processMetrics?: boolean;
  /** Labels added to every series, e.g. `{ worker: "pod-a" }`. @defaultValue none */
  readonly defaultLabels?: Readonly<Record<string, string>>;
}

/** How a completed job ended. */
export type CompletedReason = "promoted" | "kept" | "already-trained";

/** Training duration buckets in seconds: sub-second baselines up to ten-minute automatic selections. */
const DURATION_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

/**
 * Prometheus metrics of training jobs, in their own registry (never prom-client's global one, so
 * several instances — tests, or a worker and an API in one process — do not collide):
 *
 * | metric | type | labels |
 * | --- | --- | --- |
 * | `presage_training_jobs_completed_total` | counter | `target`, `reason` (`promoted`, `kept`, `already-trained`) |
 * | `presage_training_jobs_failed_total` | counter | `target`, `reason` (error code); counts failed attempts, retried or not |
 * | `presage_training_job_duration_seconds` | histogram | `target`, `outcome` (`completed`, `failed`) |
 * | `presage_model_current_version` | gauge | `target` |
 * | `presage_model_backtest_mase` | gauge | `target`: backtest MASE of the current version |
 * | `presage_training_last_success_timestamp_seconds` | gauge | `target` |
 */
export class TrainingMetrics {
  readonly registry = new Registry();
  private readonly completed: Counter<"target" | "reason">;
  private readonly failed: Counter<"target" | "reason">;
  private readonly duration: Histogram<"target" | "outcome">;
  private readonly currentVersion: Gauge<"target">;
  private readonly backtestMase: Gauge<"target">;
  private readonly lastSuccess: Gauge<"target">;

  constructor(options: TrainingMetricsOptions = {}) {
    if (options.defaultLabels !== undefined) this.registry.setDefaultLabels({ ...options.defaultLabels });
    const registers = [this.registry];
    this.completed = new Counter({
      name: "presage_training_jobs_completed_total",
      help: "Training jobs that completed, by target and outcome (promoted, kept the current model, already trained).",
      labelNames: ["target", "reason"],
      registers,
    });
    this.failed = new Counter({
      name: "presage_training_jobs_failed_total",
      help: "Failed training attempts (each retry counts), by target and error code.",
      labelNames: ["target", "reason"],
      registers,
    });
    this.duration = new Histogram({
      name: "presage_training_job_duration_seconds",
      help: "Wall time of training attempts, fetch included.",
      labelNames: ["target", "outcome"],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.currentVersion = new Gauge({
      name: "presage_model_current_version",
      help: "Version of the model currently in use, per target.",
      labelNames: ["target"],
      registers,
    });
    this.backtestMase = new Gauge({
      name: "presage_model_backtest_mase",
      help: "Rolling-origin backtest MASE of the model currently in use, per target (below 1 beats the seasonal naive forecast).",
      labelNames: ["target"],
      registers,
    });
    this.lastSuccess = new Gauge({
      name: "presage_training_last_success_timestamp_seconds",
      help: "Unix time of the last training job that completed, per target.",
      labelNames: ["target"],
      registers,
    });
    if (options.processMetrics === true)
      collectDefaultMetrics({ register: this.registry, prefix: "presage_" });
  }

  /** A job completed; `current` is the model in use afterwards, when known. */
  jobCompleted(
    target: string,
    reason: CompletedReason,
    durationSeconds: number,
    current?: { readonly version: number; readonly backtestMase: number },
    atMs = Date.now(),
  ): void {
    this.completed.inc({ target, reason });
    this.duration.observe({ target, outcome: "completed" }, durationSeconds);
    this.lastSuccess.set({ target }, atMs / 1000);
    if (current !== undefined) this.currentModel(target, current.version, current.backtestMase);
  }

  /** An attempt failed with `reason` (a stable error code). */
  jobFailed(target: string, reason: string, durationSeconds: number): void {
    this.failed.inc({ target, reason });
    this.duration.observe({ target, outcome: "failed" }, durationSeconds);
  }

  /** The model in use for `target` (at start-up, from the registry; after each job). */
  currentModel(target: string, version: number, backtestMase: number): void {
    this.currentVersion.set({ target }, version);
    if (Number.isFinite(backtestMase)) this.backtestMase.set({ target }, backtestMase);
    else this.backtestMase.remove({ target });
  }

  /** The exposition text (`text/plain; version=0.0.4`). */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
