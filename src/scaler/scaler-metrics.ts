import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { FloorReason } from "./floor-decision.js";
import type { StartupLead } from "./startup/startup-lead.js";

export interface ScalerMetricsOptions {
  /** Labels added to every series, e.g. `{ pod: "presage-0" }`. @defaultValue none */
  readonly defaultLabels?: Readonly<Record<string, string>>;
}

/** Floor writes the loop made. */
export type FloorAction = "raise" | "lower" | "restore";

/** Tick durations in seconds: a few targets in milliseconds up to slow API servers. */
const TICK_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * Prometheus metrics of the scaler loop, in their own registry (never prom-client's global one):
 *
 * | metric | type | labels |
 * | --- | --- | --- |
 * | `presage_scaler_forecast_load` | gauge | `target`: peak q-quantile of predicted load over the window |
 * | `presage_scaler_forecast_replicas` | gauge | `target`: replicas the forecast asks for |
 * | `presage_scaler_floor_replicas` | gauge | `target`: the floor decided this tick (applied or not) |
 * | `presage_scaler_baseline_replicas` | gauge | `target`: the declared baseline minReplicas |
 * | `presage_scaler_lead_seconds` | gauge | `target`, `source` (`measured`, `configured`): the lead in use |
 * | `presage_scaler_startup_seconds` | gauge | `target`: q-quantile of measured pod start-ups (created → Ready), while measured |
 * | `presage_scaler_decisions_total` | counter | `target`, `reason` (a `FloorReason`), `mode` (`shadow`, `active`) |
 * | `presage_scaler_actions_total` | counter | `target`, `action` (`raise`, `lower`, `restore`): floor writes |
 * | `presage_scaler_errors_total` | counter | `target` (`-` for the loop itself), `code` |
 * | `presage_scaler_tick_duration_seconds` | histogram | — |
 * | `presage_scaler_leader` | gauge | — : 1 while this instance holds the lease, else 0 |
 * | `presage_scaler_targets` | gauge | `mode`: targets managed |
 */
export class ScalerMetrics {
  readonly registry = new Registry();
  private readonly forecastLoad: Gauge<"target">;
  private readonly forecastReplicas: Gauge<"target">;
  private readonly floor: Gauge<"target">;
  private readonly baseline: Gauge<"target">;
  private readonly leadSeconds: Gauge<"target" | "source">;
  private readonly startupSeconds: Gauge<"target">;
  private readonly decisions: Counter<"target" | "reason" | "mode">;
  private readonly actions: Counter<"target" | "action">;
  private readonly errors: Counter<"target" | "code">;
  private readonly tickDuration: Histogram;
  private readonly leader: Gauge;
  private readonly targets: Gauge<"mode">;

  constructor(options: ScalerMetricsOptions = {}) {
    if (options.defaultLabels !== undefined) this.registry.setDefaultLabels({ ...options.defaultLabels });
    const registers = [this.registry];
    this.forecastLoad = new Gauge({
      name: "presage_scaler_forecast_load",
      help: "Peak q-quantile of predicted load over [now + lead, now + lead + window], in the load query's unit.",
      labelNames: ["target"],
      registers,
    });
    this.forecastReplicas = new Gauge({
      name: "presage_scaler_forecast_replicas",
      help: "Replicas the forecast asks for: ceil(forecast load / per-pod capacity).",
      labelNames: ["target"],
      registers,
    });
    this.floor = new Gauge({
      name: "presage_scaler_floor_replicas",
      help: "The HPA floor (minReplicas) decided in the last tick; applied only in active mode by the leader.",
      labelNames: ["target"],
      registers,
    });
    this.baseline = new Gauge({
      name: "presage_scaler_baseline_replicas",
      help: "The owner's declared minReplicas; the floor never goes below it.",
      labelNames: ["target"],
      registers,
    });
    this.leadSeconds = new Gauge({
      name: "presage_scaler_lead_seconds",
      help: "Lead time the forecast window starts after, by where it came from (measured pod start-ups or configured).",
      labelNames: ["target", "source"],
      registers,
    });
    this.startupSeconds = new Gauge({
      name: "presage_scaler_startup_seconds",
      help: "Measured pod start-up time (created to Ready, kube-state-metrics), the configured quantile over recent pods.",
      labelNames: ["target"],
      registers,
    });
    this.decisions = new Counter({
      name: "presage_scaler_decisions_total",
      help: "Floor decisions by target, reason and mode.",
      labelNames: ["target", "reason", "mode"],
      registers,
    });
    this.actions = new Counter({
      name: "presage_scaler_actions_total",
      help: "Floor writes to the cluster by target and action (raise, lower, restore).",
      labelNames: ["target", "action"],
      registers,
    });
    this.errors = new Counter({
      name: "presage_scaler_errors_total",
      help: "Failures of the scaler loop by target ('-' for the loop itself) and error code.",
      labelNames: ["target", "code"],
      registers,
    });
    this.tickDuration = new Histogram({
      name: "presage_scaler_tick_duration_seconds",
      help: "Wall time of a scaler tick over all targets.",
      buckets: TICK_BUCKETS,
      registers,
    });
    this.leader = new Gauge({
      name: "presage_scaler_leader",
      help: "1 while this instance holds the leader lease and may act, else 0.",
      registers,
    });
    this.targets = new Gauge({
      name: "presage_scaler_targets",
      help: "Targets the scaler manages, by mode.",
      labelNames: ["mode"],
      registers,
    });
  }

  forecast(target: string, load: number, replicas: number): void {
    this.forecastLoad.set({ target }, load);
    this.forecastReplicas.set({ target }, replicas);
  }

  /** Removes a target's forecast gauges when it has no forecast, so a stale value is not exported. */
  noForecast(target: string): void {
    this.forecastLoad.remove({ target });
    this.forecastReplicas.remove({ target });
  }

  decision(target: string, reason: FloorReason, mode: string, floor: number, baseline: number): void {
    this.decisions.inc({ target, reason, mode });
    this.floor.set({ target }, floor);
    this.baseline.set({ target }, baseline);
  }

  /** The lead in use; the measured start-up gauge is exported only while there is a measurement. */
  lead(target: string, lead: Pick<StartupLead, "leadMs" | "source" | "measuredMs">): void {
    this.leadSeconds.remove({ target, source: lead.source === "measured" ? "configured" : "measured" });
    this.leadSeconds.set({ target, source: lead.source }, lead.leadMs / 1000);
    if (lead.measuredMs === undefined) this.startupSeconds.remove({ target });
    else this.startupSeconds.set({ target }, lead.measuredMs / 1000);
  }

  action(target: string, action: FloorAction): void {
    this.actions.inc({ target, action });
  }

  error(target: string, code: string): void {
    this.errors.inc({ target, code });
  }

  tick(seconds: number): void {
    this.tickDuration.observe(seconds);
  }

  leaderState(isLeader: boolean): void {
    this.leader.set(isLeader ? 1 : 0);
  }

  targetCounts(counts: Readonly<Record<string, number>>): void {
    this.targets.reset();
    for (const [mode, count] of Object.entries(counts)) this.targets.set({ mode }, count);
  }

  /** Drops the per-target series of targets no longer managed. */
  forget(target: string): void {
    this.forecastLoad.remove({ target });
    this.forecastReplicas.remove({ target });
    this.floor.remove({ target });
    this.baseline.remove({ target });
    this.leadSeconds.remove({ target, source: "measured" });
    this.leadSeconds.remove({ target, source: "configured" });
    this.startupSeconds.remove({ target });
  }
}
