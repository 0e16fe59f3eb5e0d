import type { ResolvedCapacityConfig, ResolvedCapacityTarget } from "../capacity/capacity-config.js";
import type {
  CapacityRunReport,
  CapacityStatus,
  CapacityTargetReport,
} from "../capacity/capacity-planner.js";
import { DAY_MS, isoDay, lastFinite, type DailySeries } from "../capacity/daily-series.js";
import type { RunwayCrossing } from "../capacity/runway.js";
import type {
  CapacityBacktestView,
  CapacityStatusView,
  CapacityTargetSummaryView,
  CapacityTargetView,
  CapacityTicketView,
  RunwayCrossingView,
} from "./capacity-status-view.js";

/** What {@link buildCapacityStatusView} turns into the API's view. */
export interface CapacityStatusViewInput {
  readonly config: ResolvedCapacityConfig;
  /** The planner's latest run (its reports carry the plans: forecast, runway, backtest). */
  readonly run: CapacityRunReport;
  /** Tickets, outbox and ledger as persisted after that run (`readCapacityStatus`). */
  readonly status: CapacityStatus;
  /** Daily usage of each target by fingerprint, as the run planned on it. */
  readonly usage: ReadonlyMap<string, DailySeries>;
  /** Unit of each target's usage by fingerprint, when known. @defaultValue none */
  readonly units?: ReadonlyMap<string, string>;
  /** @defaultValue none */
  readonly notes?: readonly string[];
}

/**
 * The API's capacity view (pure): per configured target, in config order, the run's plan (runway,
 * forecast with its 80% band, backtest), its ticket decision, the persisted ticket and its pending
 * deliveries, and the ledger's scores. A target the run did not cover is `unplanned` with code
 * `PRESAGE_CAPACITY_NOT_PLANNED`. Non-finite numbers become `null`.
 */
export function buildCapacityStatusView(input: CapacityStatusViewInput): CapacityStatusView {
  const reports = new Map(input.run.targets.map((report) => [report.fingerprint, report]));
  return {
    plannedAtMs: input.run.atMs,
    targets: input.config.targets.map((target) => targetView(input, target, reports.get(target.fingerprint))),
    pendingDeliveries: input.status.outbox.length,
    notes: input.notes ?? [],
  };
}

/** The view without its time series (what `GET /api/v1/capacity` lists). */
export function capacityTargetSummary(view: CapacityTargetView): CapacityTargetSummaryView {
  const summary: { -readonly [K in keyof CapacityTargetView]?: CapacityTargetView[K] } = { ...view };
  delete summary.usage;
  delete summary.forecast;
  return summary as CapacityTargetSummaryView;
}

function targetView(
  input: CapacityStatusViewInput,
  target: ResolvedCapacityTarget,
  report: CapacityTargetReport | undefined,
): CapacityTargetView {
  const plan = report?.plan;
  const ticketRecord = input.status.tickets.find((ticket) => ticket.fingerprint === target.fingerprint);
  const unit = input.units?.get(target.fingerprint);
  const usage = input.usage.get(target.fingerprint);
  const ticket: CapacityTicketView | null =
    ticketRecord === undefined
      ? null
      : {
          status: ticketRecord.status,
          generation: ticketRecord.generation,
          openedAtMs: ticketRecord.openedAtMs,
          updatedAtMs: ticketRecord.updatedAtMs,
          resolvedAtMs: ticketRecord.resolvedAtMs ?? null,
          reportedP50Date: ticketRecord.reported.p50Date ?? null,
          reportedP90Date: ticketRecord.reported.p90Date ?? null,
          pendingDeliveries: input.status.outbox.filter(
            (message) => message.fingerprint === target.fingerprint,
          ).length,
        };
  const common = {
    name: target.name,
    resource: target.resource,
    fingerprint: target.fingerprint,
    ...(unit === undefined ? {} : { unit }),
    headroom: target.headroom,
    thresholdDays: target.thresholdDays,
    horizonDays: target.horizonDays,
    decision: report === undefined ? null : report.decision,
    ticket,
    sinks: target.sinks,
    ledger: input.status.ledger.find((summary) => summary.fingerprint === target.fingerprint) ?? null,
  };
  if (plan?.status !== "planned") {
    const last = usage === undefined ? undefined : lastFinite(usage.values);
    const constant = "constant" in target.capacity ? target.capacity.constant : null;
    return {
      ...common,
      status: "unplanned",
      problem:
        plan === undefined
          ? {
              code: "PRESAGE_CAPACITY_NOT_PLANNED",
              reason: "the latest capacity run did not plan this target",
            }
          : { code: plan.code, reason: plan.reason },
      capacity: constant,
      capacitySource: constant === null ? null : "constant",
      limit: constant === null ? null : constant * target.headroom,
      lastObservedDay: last === undefined || usage === undefined ? null : isoDay(dayMs(usage, last.index)),
      lastObserved: last?.value ?? null,
      runway: null,
      model: null,
      backtest: null,
      usage: dailyValues(usage, undefined),
      forecast: null,
    };
  }
  const planned = plan;
  const horizonTimes = planned.forecast.p50.map(
    (_, index) => planned.lastObservedDayMs + (index + 1) * DAY_MS,
  );
  const backtest: CapacityBacktestView = {
    horizonDays: planned.backtest.horizonDays,
    mape: finiteOrNull(planned.backtest.mape),
    folds: planned.backtest.folds.map((fold) => ({
      lastTrainDay: isoDay(fold.lastTrainDayMs),
      predicted: fold.predicted,
      actual: fold.actual,
      absolutePercentError: fold.absolutePercentError,
      belowP90: fold.belowP90,
    })),
    failures: planned.backtest.failures,
  };
  return {
    ...common,
    status: "planned",
    capacity: planned.capacity,
    capacitySource: planned.capacitySource,
    limit: planned.runway.limit,
    lastObservedDay: isoDay(planned.lastObservedDayMs),
    lastObserved:
      usage === undefined
        ? null
        : finiteOrNull(usage.values[Math.round((planned.lastObservedDayMs - usage.startMs) / DAY_MS)]),
    runway: { p50: crossing(planned.runway.p50), p90: crossing(planned.runway.p90) },
    model: planned.forecast.model,
    backtest,
    usage: dailyValues(usage, planned.lastObservedDayMs),
    forecast: {
      timesMs: horizonTimes,
      p50: planned.forecast.p50,
      lower80: (planned.forecast.p10 ?? planned.forecast.p50).map((value, index) =>
        Number.isFinite(value) ? value : (planned.forecast.p50[index] ?? 0),
      ),
      upper80: planned.forecast.p90,
      notes: planned.forecast.notes,
    },
  };
}

/** Daily usage from its first observed day to `untilMs` (else its last observed day), gaps as null. */
function dailyValues(
  usage: DailySeries | undefined,
  untilMs: number | undefined,
): CapacityTargetView["usage"] {
  if (usage === undefined) return { timesMs: [], values: [] };
  const first = usage.values.findIndex(Number.isFinite);
  if (first < 0) return { timesMs: [], values: [] };
  const lastIndex =
    untilMs === undefined
      ? (lastFinite(usage.values)?.index ?? first)
      : Math.min(usage.values.length - 1, Math.round((untilMs - usage.startMs) / DAY_MS));
  const timesMs: number[] = [];
  const values: (number | null)[] = [];
  for (let index = first; index <= lastIndex; index++) {
    timesMs.push(dayMs(usage, index));
    values.push(finiteOrNull(usage.values[index]));
  }
  return { timesMs, values };
}

function dayMs(usage: DailySeries, index: number): number {
  return usage.startMs + index * DAY_MS;
}

function crossing(value: RunwayCrossing): RunwayCrossingView {
  return { days: value.days ?? null, date: value.date ?? null };
}

function finiteOrNull(value: number | undefined): number | null {
  return value !== undefined && Number.isFinite(value) ? value : null;
}
