import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { RemediationStats } from "./remediation-stats.js";

/** MTTR buckets in seconds: seconds to hours. */
const MTTR_BUCKETS = [5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200];

export interface RemediationMetricsOptions {
  /** Labels added to every series. @defaultValue none */
  readonly defaultLabels?: Readonly<Record<string, string>>;
  /** Reads ledger stats for the ratio gauges at scrape time. @defaultValue none (gauges stay 0) */
  readonly stats?: () => Promise<RemediationStats>;
}

/**
 * Prometheus metrics of self-healing, in their own registry:
 *
 * | metric | type | labels |
 * | --- | --- | --- |
 * | `presage_remediation_alerts_total` | counter | `outcome`: received, duplicate, resolved |
 * | `presage_remediation_incidents_total` | counter | `outcome`: healed, escalated, unmatched, skipped, dry-run, awaiting-approval, rejected |
 * | `presage_remediation_actions_total` | counter | `runbook`, `action`, `outcome`: applied, failed, reverted |
 * | `presage_remediation_guard_denials_total` | counter | `reason` (a `GuardReason`) |
 * | `presage_remediation_mttr_seconds` | histogram | `phase`: detect, act, verify, total |
 * | `presage_remediation_success_ratio` | gauge | healed / acted incidents in the ledger |
 * | `presage_remediation_false_positive_ratio` | gauge | acted incidents reverted or re-fired within 30 min / acted |
 * | `presage_remediation_manual_intervention_ratio` | gauge | covered incidents that needed a human / covered |
 * | `presage_remediation_coverage_ratio` | gauge | incidents with a matching runbook / incidents |
 * | `presage_remediation_notifications_dead_total` | counter | `sink`: notifications given up (kept as dead letters) |
 * | `presage_remediation_unrecorded_failures_total` | counter | `runbook`, `applied` (yes, maybe, no): runs stopped by an unexpected error (the ledger may be incomplete); each pages directly |
 * | `presage_remediation_direct_pages_failed_total` | counter | `sink` (`(none)` when no sink takes pages): direct pages that could not be delivered — nobody heard of the failure |
 * | `presage_prediction_prevented_total` | counter | `prediction`: preventive incidents whose failure did not happen within horizon + grace |
 * | `presage_prediction_missed_total` | counter | `prediction`: preventive incidents whose failure happened anyway |
 */
export class RemediationMetrics {
  readonly registry = new Registry();
  readonly alerts: Counter<"outcome">;
  readonly incidents: Counter<"outcome">;
  readonly actions: Counter<"runbook" | "action" | "outcome">;
  readonly guardDenials: Counter<"reason">;
  readonly mttr: Histogram<"phase">;
  readonly deadNotifications: Counter<"sink">;
  readonly unrecordedFailures: Counter<"runbook" | "applied">;
  readonly directPagesFailed: Counter<"sink">;
  readonly predictionsPrevented: Counter<"prediction">;
  readonly predictionsMissed: Counter<"prediction">;

  constructor(options: RemediationMetricsOptions = {}) {
    if (options.defaultLabels !== undefined) this.registry.setDefaultLabels({ ...options.defaultLabels });
    const registers = [this.registry];
    this.alerts = new Counter({
      name: "presage_remediation_alerts_total",
      help: "Alert notifications received, by outcome.",
      labelNames: ["outcome"],
      registers,
    });
    this.incidents = new Counter({
      name: "presage_remediation_incidents_total",
      help: "Incidents by how they ended (or paused).",
      labelNames: ["outcome"],
      registers,
    });
    this.actions = new Counter({
      name: "presage_remediation_actions_total",
      help: "Remediation actions by runbook, action and outcome.",
      labelNames: ["runbook", "action", "outcome"],
      registers,
    });
    this.guardDenials = new Counter({
      name: "presage_remediation_guard_denials_total",
      help: "Actions the guards refused, by reason.",
      labelNames: ["reason"],
      registers,
    });
    this.mttr = new Histogram({
      name: "presage_remediation_mttr_seconds",
      help: "Time to recover of healed incidents: detect (alert start → received), act (→ first action), verify (→ healed), total.",
      labelNames: ["phase"],
      buckets: MTTR_BUCKETS,
      registers,
    });
    this.deadNotifications = new Counter({
      name: "presage_remediation_notifications_dead_total",
      help: "Notifications given up after every retry (kept as dead letters).",
      labelNames: ["sink"],
      registers,
    });
    this.unrecordedFailures = new Counter({
      name: "presage_remediation_unrecorded_failures_total",
      help: "Remediations stopped by an unexpected error (e.g. the store failing mid-run): the ledger may be incomplete and a human was paged directly. applied: whether an action of the run is in effect (yes, maybe, no).",
      labelNames: ["runbook", "applied"],
      registers,
    });
    this.directPagesFailed = new Counter({
      name: "presage_remediation_direct_pages_failed_total",
      help: "Direct pages (sent bypassing the store) that could not be delivered to a sink, after their retries; sink=(none) when no sink takes pages. Alert on any increase: nobody was told.",
      labelNames: ["sink"],
      registers,
    });
    this.predictionsPrevented = new Counter({
      name: "presage_prediction_prevented_total",
      help: "Preventive incidents whose predicted failure did not happen within the horizon (+ grace) after acting.",
      labelNames: ["prediction"],
      registers,
    });
    this.predictionsMissed = new Counter({
      name: "presage_prediction_missed_total",
      help: "Preventive incidents whose predicted failure happened anyway after acting.",
      labelNames: ["prediction"],
      registers,
    });
    const stats = options.stats;
    let cached: Promise<RemediationStats> | undefined;
    const read = (): Promise<RemediationStats> | undefined => {
      if (stats === undefined) return undefined;
      // One ledger read per scrape serves all four gauges.
      cached ??= stats().finally(() => {
        setTimeout(() => {
          cached = undefined;
        }, 1000).unref();
      });
      return cached;
    };
    const ratioGauge = (name: string, help: string, pick: (value: RemediationStats) => number): void => {
      new Gauge({
        name,
        help,
        registers,
        async collect() {
          const value = await read()?.catch(() => undefined);
          if (value !== undefined) this.set(pick(value));
        },
      });
    };
    ratioGauge(
      "presage_remediation_success_ratio",
      "Healed / acted incidents in the ledger.",
      (value) => value.successRate,
    );
    ratioGauge(
      "presage_remediation_false_positive_ratio",
      "Acted incidents reverted or re-fired within 30 min / acted.",
      (value) => value.falsePositiveRate,
    );
    ratioGauge(
      "presage_remediation_manual_intervention_ratio",
      "Covered incidents that needed a human / covered.",
      (value) => value.manualInterventionRate,
    );
    ratioGauge(
      "presage_remediation_coverage_ratio",
      "Incidents with a matching runbook / incidents.",
      (value) => value.coverage,
    );
  }

  /** Records a healed incident's MTTR split. */
  observeMttr(mttr: { detectMs: number; actMs: number; verifyMs: number; totalMs: number }): void {
    this.mttr.observe({ phase: "detect" }, mttr.detectMs / 1000);
    this.mttr.observe({ phase: "act" }, mttr.actMs / 1000);
    this.mttr.observe({ phase: "verify" }, mttr.verifyMs / 1000);
    this.mttr.observe({ phase: "total" }, mttr.totalMs / 1000);
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
