import type { Forecaster } from "../../models/forecaster.js";
import { MetricSourceError, type MetricSource } from "../sources/metric-source.js";
import { pruneLedger, scoreLedger, summarizeLedger, type LedgerSummary } from "./accuracy-ledger.js";
import { applyTicketDecision } from "./apply-ticket-decision.js";
import type { ResolvedCapacityConfig, ResolvedCapacityTarget } from "./capacity-config.js";
import { fetchDailyUsage, fetchLatestCapacity } from "./capacity-history.js";
import { planCapacity, type CapacityPlanOutcome } from "./capacity-plan.js";
import type { DailySeries } from "./daily-series.js";
import type { CapacityStateStore, OutboxMessage } from "./capacity-state.js";
import { decideTicket, type TicketDecision } from "./decide-ticket.js";
import type { TicketRecord } from "./ticket-record.js";
import type { DeliveryRound, TicketOutbox } from "./ticket-outbox.js";

/** What one target came to in one run. */
export interface CapacityTargetReport {
  readonly target: string;
  readonly resource: string;
  readonly fingerprint: string;
  readonly plan: CapacityPlanOutcome;
  readonly decision: TicketDecision;
  /** The ticket after the run (undefined when there never was one). */
  readonly ticket: TicketRecord | undefined;
  /** Whether the failure (if any) may pass on a later run (source unavailable). */
  readonly retryable: boolean;
}

/** One run of the capacity job. */
export interface CapacityRunReport {
  readonly atMs: number;
  readonly targets: readonly CapacityTargetReport[];
  readonly delivery: DeliveryRound;
}

/** The persisted picture: tickets, pending deliveries and ledger scores (what `presage capacity` and the API show). */
export interface CapacityStatus {
  readonly tickets: readonly TicketRecord[];
  readonly outbox: readonly Pick<
    OutboxMessage,
    "id" | "fingerprint" | "sink" | "event" | "attempts" | "nextAttemptAtMs" | "lastError"
  >[];
  readonly ledger: readonly LedgerSummary[];
}

export interface CapacityPlannerOptions {
  readonly config: ResolvedCapacityConfig;
  readonly source: MetricSource;
  readonly store: CapacityStateStore;
  readonly outbox: TicketOutbox;
  /** The daily forecaster for a horizon, e.g. `createCapacityForecaster({ horizonDays })`. */
  readonly createForecaster: (horizonDays: number) => Forecaster;
  /** @defaultValue `Date.now` */
  readonly now?: () => number;
}

/**
 * The capacity job: for each target, read daily usage and capacity, plan (forecast, runway, backtest,
 * chart), then in one atomic state update score the ledger against the new usage, decide the ticket and
 * apply the decision (ledger entries, ticket record, outbox messages); finally deliver the outbox.
 * Re-running it on the same day with the same data changes nothing and sends nothing.
 */
export class CapacityPlanner {
  private readonly now: () => number;

  constructor(private readonly options: CapacityPlannerOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Plans the targets (all, or those named), one after another, then delivers the outbox. */
  async runOnce(
    options: { readonly targets?: readonly string[]; readonly signal?: AbortSignal } = {},
  ): Promise<CapacityRunReport> {
    const atMs = this.now();
    const selected = this.options.config.targets.filter(
      (target) => options.targets === undefined || options.targets.includes(target.name),
    );
    const reports: CapacityTargetReport[] = [];
    for (const target of selected) reports.push(await this.planTarget(target, atMs, options.signal));
    const delivery = await this.options.outbox.deliverDue(options.signal);
    return { atMs, targets: reports, delivery };
  }

  private async planTarget(
    target: ResolvedCapacityTarget,
    atMs: number,
    signal: AbortSignal | undefined,
  ): Promise<CapacityTargetReport> {
    const identity = { target: target.name, resource: target.resource, fingerprint: target.fingerprint };
    let plan: CapacityPlanOutcome;
    let usage: DailySeries | undefined;
    let retryable = false;
    try {
      usage = await fetchDailyUsage(this.options.source, target, atMs, signal);
      const capacity = await fetchLatestCapacity(this.options.source, target, atMs, signal);
      plan =
        capacity.value === undefined
          ? {
              status: "unplanned",
              ...identity,
              code: "PRESAGE_CAPACITY_NO_CAPACITY",
              reason: `capacity query returned no sample in the last 7 days`,
            }
          : planCapacity({
              target,
              usage,
              capacity: capacity.value,
              capacitySource: capacity.source,
              createForecaster: this.options.createForecaster,
            });
    } catch (error) {
      signal?.throwIfAborted();
      if (!(error instanceof MetricSourceError)) throw error;
      retryable = error.retryable;
      plan = { status: "unplanned", ...identity, code: error.code, reason: error.message };
    }
    const policy = {
      thresholdDays: target.thresholdDays,
      updateShiftDays: this.options.config.updateShiftDays,
      updateShiftFraction: this.options.config.updateShiftFraction,
      resolveMargin: this.options.config.resolveMargin,
    };
    const { decision, ticket } = await this.options.store.update((state) => {
      let next = state;
      if (usage !== undefined) {
        next = { ...next, ledger: pruneLedger(scoreLedger(next.ledger, target.fingerprint, usage), atMs) };
      }
      const made = decideTicket(plan, next.tickets[target.fingerprint], policy);
      if (plan.status === "planned") {
        next = applyTicketDecision(next, {
          plan,
          decision: made,
          sinks: target.sinks,
          labels: target.labels,
          nowMs: atMs,
        });
      }
      return { state: next, result: { decision: made, ticket: next.tickets[target.fingerprint] } };
    });
    return { ...identity, plan, decision, ticket, retryable };
  }
}

/** Reads tickets, pending deliveries and ledger scores from the store. */
export async function readCapacityStatus(store: CapacityStateStore): Promise<CapacityStatus> {
  const state = await store.read();
  return {
    tickets: Object.values(state.tickets).sort((a, b) => a.fingerprint.localeCompare(b.fingerprint)),
    outbox: state.outbox.map((message) => ({
      id: message.id,
      fingerprint: message.fingerprint,
      sink: message.sink,
      event: message.event,
      attempts: message.attempts,
      nextAttemptAtMs: message.nextAttemptAtMs,
      ...(message.lastError === undefined ? {} : { lastError: message.lastError }),
    })),
    ledger: summarizeLedger(state.ledger),
  };
}
