import type { Forecaster } from "../../models/forecaster.js";
import type { ResolvedCapacityTarget } from "./capacity-config.js";
import { DAY_MS, lastFinite, type DailySeries } from "./daily-series.js";
import { computeRunway, sevenDayMeanAt, type Runway } from "./runway.js";
import { backtestRunwayHorizon, type RunwayBacktest } from "./runway-backtest.js";
import { renderRunwayChartSvg } from "./runway-chart-svg.js";

/** Horizons every daily forecast records in the accuracy ledger (those within the target's horizon). */
export const LEDGER_HORIZONS_DAYS: readonly number[] = [90, 180];

/** Fewest observed days a plan needs; with less the target is reported, not forecast. */
export const MIN_OBSERVED_DAYS = 28;
/**
 * Newest usage older than this many days (before the last complete day) leaves a target unplanned: its
 * runway would count from a past day, so a ticket would understate the urgency or call a crossing
 * that has already happened still ahead.
 */
export const MAX_STALE_DAYS = 3;

/** What a forecast predicted at one horizon: 7-day means, as the ledger scores them. */
export interface HorizonPrediction {
  readonly horizonDays: number;
  readonly p50: number;
  readonly p90: number;
}

/** A target's capacity plan for today: forecast, runway and the evidence behind them. */
export interface CapacityPlan {
  readonly status: "planned";
  readonly target: string;
  readonly resource: string;
  readonly fingerprint: string;
  /** UTC midnight of the last complete observed day: the forecast origin. */
  readonly lastObservedDayMs: number;
  readonly observedDays: number;
  readonly capacity: number;
  /** `constant`: from config; `latest`: the capacity query's latest sample. */
  readonly capacitySource: "constant" | "latest";
  readonly runway: Runway;
  readonly thresholdDays: number;
  readonly forecast: {
    readonly model: string;
    readonly p50: readonly number[];
    /** Lower end of the central 80% interval (the API plots the band); absent in older plans. */
    readonly p10?: readonly number[];
    readonly p90: readonly number[];
    readonly notes: readonly string[];
  };
  /** Backtest at the runway horizon (the p90 runway, or the whole horizon when there is none). */
  readonly backtest: RunwayBacktest;
  readonly predictions: readonly HorizonPrediction[];
  readonly chartSvg: string;
}

/** A target that could not be planned today; nothing is decided on it (tickets stay as they are). */
export interface UnplannedTarget {
  readonly status: "unplanned";
  readonly target: string;
  readonly resource: string;
  readonly fingerprint: string;
  readonly code: string;
  readonly reason: string;
}

export type CapacityPlanOutcome = CapacityPlan | UnplannedTarget;

export interface PlanCapacityInput {
  readonly target: ResolvedCapacityTarget;
  /** Daily usage up to the last complete day. */
  readonly usage: DailySeries;
  readonly capacity: number;
  readonly capacitySource: "constant" | "latest";
  /** Builds the forecaster for a horizon (the capacity forecaster, or a stand-in in tests). */
  readonly createForecaster: (horizonDays: number) => Forecaster;
  /** Origins of the runway backtest. @defaultValue 3 */
  readonly backtestFolds?: number;
}

/**
 * Plans one target (pure, CPU only): fit the capacity forecaster on the daily usage, forecast the
 * horizon with its 80% interval (p50 = point forecast, p90 = the interval's upper end), find the
 * runway, backtest the forecaster at the runway horizon on the target's own history, and draw the chart.
 * Too little history, a non-positive capacity or a failed fit yield `unplanned` with the reason.
 */
export function planCapacity(input: PlanCapacityInput): CapacityPlanOutcome {
  const { target, usage } = input;
  const identity = { target: target.name, resource: target.resource, fingerprint: target.fingerprint };
  const observedDays = usage.values.filter(Number.isFinite).length;
  if (observedDays < MIN_OBSERVED_DAYS) {
    return {
      status: "unplanned",
      ...identity,
      code: "PRESAGE_CAPACITY_INSUFFICIENT_HISTORY",
      reason: `usage has ${observedDays} observed days; at least ${MIN_OBSERVED_DAYS} are needed`,
    };
  }
  if (!(Number.isFinite(input.capacity) && input.capacity > 0)) {
    return {
      status: "unplanned",
      ...identity,
      code: "PRESAGE_CAPACITY_NO_CAPACITY",
      reason: `capacity (${input.capacity}) must be a positive number`,
    };
  }
  // Missing days before the first and after the last observation are not history: a query range
  // reaching back before the metric existed must not read as a flat (repaired) past, and the origin is
  // the last observed day.
  const first = usage.values.findIndex(Number.isFinite);
  const last = lastFinite(usage.values);
  const startMs = usage.startMs + Math.max(0, first) * DAY_MS;
  const values = usage.values.slice(Math.max(0, first), (last?.index ?? usage.values.length - 1) + 1);
  const lastObservedDayMs = startMs + (values.length - 1) * DAY_MS;
  const staleDays = usage.values.length - 1 - (last?.index ?? 0);
  if (staleDays > MAX_STALE_DAYS) {
    return {
      status: "unplanned",
      ...identity,
      code: "PRESAGE_CAPACITY_STALE_USAGE",
      reason: `the newest usage is from ${new Date(lastObservedDayMs).toISOString().slice(0, 10)}, ${staleDays} days before the last complete day (at most ${MAX_STALE_DAYS}): is the usage query still answering?`,
    };
  }
  const horizonDays = target.horizonDays;
  let forecast;
  try {
    forecast = input
      .createForecaster(horizonDays)
      .fit({ values, stepSeconds: 86_400, startMs })
      .predict(horizonDays, { levels: [80] });
  } catch (error) {
    return {
      status: "unplanned",
      ...identity,
      code: "PRESAGE_CAPACITY_FORECAST_FAILED",
      reason: `the forecast failed: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
  const p50 = forecast.mean;
  const interval80 = forecast.intervals.find((interval) => interval.level === 80);
  const p90 = interval80?.upper ?? forecast.mean;
  if (!p50.every(Number.isFinite) || !p90.every(Number.isFinite)) {
    return {
      status: "unplanned",
      ...identity,
      code: "PRESAGE_CAPACITY_FORECAST_FAILED",
      reason: `the forecast (${forecast.model}) is not finite`,
    };
  }
  const runway = computeRunway({
    lastObservedDayMs,
    lastObserved: last?.value ?? Number.NaN,
    p50,
    p90,
    capacity: input.capacity,
    headroom: target.headroom,
  });
  const backtest = backtestRunwayHorizon(values, startMs, input.createForecaster(horizonDays), {
    horizonDays: Math.max(7, runway.p90.days ?? horizonDays),
    ...(input.backtestFolds === undefined ? {} : { folds: input.backtestFolds }),
  });
  return {
    status: "planned",
    ...identity,
    lastObservedDayMs,
    observedDays,
    capacity: input.capacity,
    capacitySource: input.capacitySource,
    runway,
    thresholdDays: target.thresholdDays,
    forecast: { model: forecast.model, p50, p10: interval80?.lower ?? p50, p90, notes: forecast.notes },
    backtest,
    predictions: LEDGER_HORIZONS_DAYS.filter((days) => days <= horizonDays).map((days) => ({
      horizonDays: days,
      p50: sevenDayMeanAt(p50, days),
      p90: sevenDayMeanAt(p90, days),
    })),
    chartSvg: renderRunwayChartSvg({
      title: `${target.name} (${target.resource}): runway at ${Math.round(target.headroom * 100)}% of capacity`,
      usage: { startMs, values },
      p50,
      p90,
      lastObservedDayMs,
      runway,
    }),
  };
}
