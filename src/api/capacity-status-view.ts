import type { LedgerSummary } from "../capacity/accuracy-ledger.js";

/**
 * Capacity planning as the API serves it (`GET /api/v1/capacity`, `GET /api/v1/capacity/:name`): per
 * capacity target the runway, the evidence behind it and the ticket it led to, with daily usage and
 * the forecast as explicit time series for plotting. Built from the planner's run report and the
 * persisted state by `buildCapacityStatusView`. Missing values are `null` (never `NaN`, which JSON
 * cannot carry).
 */
export interface CapacityStatusView {
  /** When the planner last ran (epoch ms); every target view is as of then. */
  readonly plannedAtMs: number;
  readonly targets: readonly CapacityTargetView[];
  /** Ticket deliveries waiting in the outbox, over all targets. */
  readonly pendingDeliveries: number;
  /** What a reader should know about these plans, e.g. that embedded mode sends tickets nowhere. */
  readonly notes: readonly string[];
}

/** When one forecast quantile first reaches capacity × headroom. */
export interface RunwayCrossingView {
  /** Days after the last observed day (0: already reached); null: not within the horizon. */
  readonly days: number | null;
  /** `YYYY-MM-DD` (UTC) of that day; null: not within the horizon. */
  readonly date: string | null;
}

/** Everything about one capacity target except its time series (what the list route serves). */
export interface CapacityTargetSummaryView {
  readonly name: string;
  readonly resource: string;
  /** `<name>/<resource>`: one open ticket per fingerprint. */
  readonly fingerprint: string;
  /** Unit of usage and capacity, e.g. "cores", when known. */
  readonly unit?: string;
  readonly status: "planned" | "unplanned";
  /** Why the target could not be planned (only when `status` is `unplanned`). */
  readonly problem?: { readonly code: string; readonly reason: string };
  /** Fraction of capacity usage may reach. */
  readonly headroom: number;
  /** A ticket opens when the p90 runway is shorter than this. */
  readonly thresholdDays: number;
  readonly horizonDays: number;
  /** The latest capacity sample or the configured constant; null when unplanned without one. */
  readonly capacity: number | null;
  readonly capacitySource: "constant" | "latest" | null;
  /** capacity × headroom: the line usage must stay under. */
  readonly limit: number | null;
  /** `YYYY-MM-DD` of the last complete observed day: the forecast origin. */
  readonly lastObservedDay: string | null;
  /** Usage on that day. */
  readonly lastObserved: number | null;
  readonly runway: { readonly p50: RunwayCrossingView; readonly p90: RunwayCrossingView } | null;
  /** The capacity forecaster's model, e.g. `long-horizon[damped]`. */
  readonly model: string | null;
  /** Rolling-origin backtest of the forecaster on this target's history at the runway horizon. */
  readonly backtest: CapacityBacktestView | null;
  /** Today's ticket decision and why. */
  readonly decision: {
    readonly action: "open" | "update" | "resolve" | "none";
    readonly reason: string;
  } | null;
  /** The ticket of this fingerprint, when there ever was one. */
  readonly ticket: CapacityTicketView | null;
  /** Names of the sinks its tickets go to (empty: recorded only). */
  readonly sinks: readonly string[];
  /** How this target's past forecasts and tickets scored, once their days had passed. */
  readonly ledger: LedgerSummary | null;
}

/** One capacity target with its daily usage and forecast, for plotting. */
export interface CapacityTargetView extends CapacityTargetSummaryView {
  /** Daily usage (max or p95 of each UTC day), oldest first; null where the day had too few samples. */
  readonly usage: { readonly timesMs: readonly number[]; readonly values: readonly (number | null)[] };
  /** Days 1…horizon after the last observed day, with the central 80% interval (p10–p90). */
  readonly forecast: {
    readonly timesMs: readonly number[];
    readonly p50: readonly number[];
    readonly lower80: readonly number[];
    readonly upper80: readonly number[];
    readonly notes: readonly string[];
  } | null;
}

export interface CapacityBacktestView {
  readonly horizonDays: number;
  /** Mean absolute percentage error of the 7-day mean at the horizon (0.08 = 8%); null: no origin fitted. */
  readonly mape: number | null;
  readonly folds: readonly {
    /** `YYYY-MM-DD` of the last day the model saw. */
    readonly lastTrainDay: string;
    readonly predicted: number;
    readonly actual: number;
    readonly absolutePercentError: number;
    readonly belowP90: boolean;
  }[];
  /** Origins whose fit failed. */
  readonly failures: number;
}

export interface CapacityTicketView {
  readonly status: "open" | "resolved";
  /** 1 for the first ticket of the fingerprint; each reopening is the next. */
  readonly generation: number;
  readonly openedAtMs: number;
  readonly updatedAtMs: number;
  readonly resolvedAtMs: number | null;
  /** The p50/p90 runway dates the ticket last reported. */
  readonly reportedP50Date: string | null;
  readonly reportedP90Date: string | null;
  /** Deliveries of this ticket still waiting in the outbox. */
  readonly pendingDeliveries: number;
}
