import type { CapacityPlan } from "./capacity-plan.js";
import type { CapacityState, LedgerEntry, OutboxMessage } from "./capacity-state.js";
import { isoDay } from "./daily-series.js";
import type { TicketDecision } from "./decide-ticket.js";
import { ticketContent, type TicketContent } from "./ticket-content.js";
import type { ReportedRunway, TicketRecord } from "./ticket-record.js";

export interface ApplyTicketDecisionInput {
  readonly plan: CapacityPlan;
  readonly decision: TicketDecision;
  /** Sinks this target's tickets go to. */
  readonly sinks: readonly string[];
  readonly labels: readonly string[];
  readonly nowMs: number;
}

/**
 * The state change of one planned target (pure): record today's forecast in the ledger, apply the
 * ticket decision to the ticket record, and queue one outbox message per sink for it. Running it twice
 * with the same plan changes nothing more (the ledger keeps one forecast per origin day, and a
 * decision of `none` queues nothing).
 */
export function applyTicketDecision(state: CapacityState, input: ApplyTicketDecisionInput): CapacityState {
  const { plan, decision, nowMs } = input;
  let next = recordLedger(state, forecastEntry(plan, nowMs));
  if (decision.action === "none") return next;

  const previous = next.tickets[plan.fingerprint];
  const reported = reportedRunway(plan);
  let record: TicketRecord;
  if (decision.action === "open") {
    record = {
      fingerprint: plan.fingerprint,
      target: plan.target,
      resource: plan.resource,
      status: "open",
      generation: (previous?.generation ?? 0) + 1,
      openedAtMs: nowMs,
      updatedAtMs: nowMs,
      reported,
      refs: previous?.refs ?? {},
    };
  } else if (previous === undefined) {
    return next; // update/resolve need a ticket; decideTicket never asks for one without
  } else if (decision.action === "update") {
    record = { ...previous, updatedAtMs: nowMs, reported };
  } else {
    record = { ...previous, status: "resolved", updatedAtMs: nowMs, resolvedAtMs: nowMs, reported };
  }
  next = { ...next, tickets: { ...next.tickets, [plan.fingerprint]: record } };
  const content = ticketContent(plan, decision.action, decision.reason, input.labels);
  for (const sink of input.sinks) next = enqueue(next, record.generation, sink, content, nowMs);
  if (decision.action !== "resolve") {
    next = recordLedger(next, {
      ...forecastEntry(plan, nowMs),
      id: `ticket:${plan.fingerprint}:${record.generation}:${decision.action}:${reported.originDay}`,
      kind: "ticket",
    });
  }
  return next;
}

/**
 * Adds a message for `sink`. A pending update of the same ticket that no dispatcher holds yet is
 * replaced instead (its revision bumped), and a resolve drops such pending updates: people get the
 * latest state, not every intermediate one.
 */
function enqueue(
  state: CapacityState,
  generation: number,
  sink: string,
  content: TicketContent,
  nowMs: number,
): CapacityState {
  const sameTicket = (message: OutboxMessage): boolean =>
    message.fingerprint === content.fingerprint && message.sink === sink && message.generation === generation;
  const idle = (message: OutboxMessage): boolean => (message.leaseUntilMs ?? 0) <= nowMs;
  if (content.event === "update") {
    const pendingIndex = state.outbox.findIndex(
      (message) => sameTicket(message) && message.event === "update" && idle(message),
    );
    const pending = state.outbox[pendingIndex];
    if (pending !== undefined) {
      const outbox = [...state.outbox];
      outbox[pendingIndex] = { ...pending, content, revision: pending.revision + 1 };
      return { ...state, outbox };
    }
  }
  const outbox =
    content.event === "resolve"
      ? state.outbox.filter(
          (message) => !(sameTicket(message) && message.event === "update" && idle(message)),
        )
      : state.outbox;
  const message: OutboxMessage = {
    id: `m${state.nextMessage}`,
    fingerprint: content.fingerprint,
    sink,
    generation,
    event: content.event,
    content,
    revision: 1,
    createdAtMs: nowMs,
    attempts: 0,
    nextAttemptAtMs: nowMs,
  };
  return { ...state, outbox: [...outbox, message], nextMessage: state.nextMessage + 1 };
}

function reportedRunway(plan: CapacityPlan): ReportedRunway {
  return {
    originDay: isoDay(plan.lastObservedDayMs),
    p50Date: plan.runway.p50.date,
    p90Date: plan.runway.p90.date,
    p90Days: plan.runway.p90.days,
    limit: plan.runway.limit,
    capacity: plan.runway.capacity,
  };
}

function forecastEntry(plan: CapacityPlan, nowMs: number): LedgerEntry {
  const originDay = isoDay(plan.lastObservedDayMs);
  return {
    id: `forecast:${plan.fingerprint}:${originDay}`,
    kind: "forecast",
    fingerprint: plan.fingerprint,
    target: plan.target,
    resource: plan.resource,
    originDay,
    recordedAtMs: nowMs,
    horizonDays: plan.runway.horizonDays,
    limit: plan.runway.limit,
    runwayP50Date: plan.runway.p50.date ?? null,
    runwayP90Date: plan.runway.p90.date ?? null,
    predictions: plan.predictions,
    scores: [],
  };
}

/** Adds an entry, or replaces the unscored entry with the same id (a rerun on the same day). */
function recordLedger(state: CapacityState, entry: LedgerEntry): CapacityState {
  const index = state.ledger.findIndex((existing) => existing.id === entry.id);
  if (index < 0) return { ...state, ledger: [...state.ledger, entry] };
  const existing = state.ledger[index];
  if (existing === undefined || existing.scores.length > 0 || existing.runwayScore !== undefined)
    return state;
  const ledger = [...state.ledger];
  ledger[index] = entry;
  return { ...state, ledger };
}
