import type { ResolvedCapacityTarget } from "../../src/capacity/capacity-config.js";
import type { CapacityPlan, UnplannedTarget } from "../../src/capacity/capacity-plan.js";
import { DAY_MS, isoDay } from "../../src/capacity/daily-series.js";
import type { TicketRecord } from "../../src/capacity/ticket-record.js";

/** Last observed day of the fixtures: 2025-06-01. */
export const ORIGIN_MS = Date.UTC(2025, 5, 1);

export function capacityTarget(overrides: Partial<ResolvedCapacityTarget> = {}): ResolvedCapacityTarget {
  return {
    name: "cluster-cpu",
    resource: "cpu",
    fingerprint: "cluster-cpu/cpu",
    usageQuery: "sum(cpu_requests)",
    capacity: { constant: 100 },
    aggregate: "max",
    stepSeconds: 3600,
    headroom: 0.8,
    thresholdDays: 90,
    horizonDays: 180,
    historyDays: 730,
    labels: ["capacity"],
    sinks: ["hook"],
    ...overrides,
  };
}

/**
 * A planned outcome whose p90 runway is `p90Days` (undefined: no crossing) and p50 runway
 * `p50Days`, from {@link ORIGIN_MS}, without running a model.
 */
export function plannedWithRunway(
  p90Days: number | undefined,
  p50Days: number | undefined = p90Days === undefined ? undefined : p90Days + 20,
  originMs = ORIGIN_MS,
): CapacityPlan {
  const crossing = (days: number | undefined) =>
    days === undefined
      ? { days: undefined, date: undefined }
      : { days, date: isoDay(originMs + days * DAY_MS) };
  return {
    status: "planned",
    target: "cluster-cpu",
    resource: "cpu",
    fingerprint: "cluster-cpu/cpu",
    lastObservedDayMs: originMs,
    observedDays: 400,
    capacity: 100,
    capacitySource: "constant",
    runway: {
      limit: 80,
      capacity: 100,
      headroom: 0.8,
      horizonDays: 180,
      p50: crossing(p50Days),
      p90: crossing(p90Days),
    },
    thresholdDays: 90,
    forecast: { model: "test", p50: [70, 71], p90: [75, 76], notes: [] },
    backtest: { horizonDays: 60, folds: [], mape: 0.05, failures: 0 },
    predictions: [
      { horizonDays: 90, p50: 75, p90: 80 },
      { horizonDays: 180, p50: 78, p90: 86 },
    ],
    chartSvg: "<svg/>",
  };
}

export function unplanned(): UnplannedTarget {
  return {
    status: "unplanned",
    target: "cluster-cpu",
    resource: "cpu",
    fingerprint: "cluster-cpu/cpu",
    code: "PRESAGE_SOURCE_UNAVAILABLE",
    reason: "prometheus is down",
  };
}

/** A ticket that reported a p90 runway of `p90Days` from `originMs`. */
export function ticketRecord(
  status: "open" | "resolved",
  p90Days: number | undefined,
  originMs = ORIGIN_MS,
): TicketRecord {
  return {
    fingerprint: "cluster-cpu/cpu",
    target: "cluster-cpu",
    resource: "cpu",
    status,
    generation: 1,
    openedAtMs: originMs,
    updatedAtMs: originMs,
    reported: {
      originDay: isoDay(originMs),
      p50Date: undefined,
      p90Date: p90Days === undefined ? undefined : isoDay(originMs + p90Days * DAY_MS),
      p90Days,
      limit: 80,
      capacity: 100,
    },
    refs: {},
  };
}
