import { DriftForecaster } from "../models/baseline/drift.js";
import { Naive2Forecaster } from "../models/baseline/naive2.js";
import { SeasonalNaiveForecaster } from "../models/baseline/seasonal-naive.js";
import { MstlForecaster } from "../models/multi-seasonal/mstl-forecaster.js";
import { ThetaForecaster } from "../models/theta/theta-forecaster.js";
import type { Forecaster } from "../models/forecaster.js";
import { AutoForecaster } from "./selection/auto-forecaster.js";

/** Model names accepted on the command line and in config. */
export const MODEL_NAMES = ["auto", "naive", "snaive", "drift", "naive2", "theta", "mstl"] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

export function isModelName(name: string): name is ModelName {
  return (MODEL_NAMES as readonly string[]).includes(name);
}

/** What the catalog needs to know to configure a model for a series. */
export interface ModelContext {
  /** Primary seasonal period in steps (24 for hourly data with a daily cycle; 1 for none). */
  readonly period: number;
  /** Horizon the forecasts will be used at; auto-selection backtests at this horizon. */
  readonly horizonSteps: number;
  /** Sampling interval; used to add a weekly cycle to a daily one. */
  readonly stepSeconds: number;
}

/**
 * Seasonal periods worth modelling: the primary period, plus the weekly cycle when the primary period
 * is one day of steps (ops data at minute/hour resolution has both).
 */
export function seasonalPeriods(context: ModelContext): number[] {
  if (context.period <= 1) return [];
  const stepsPerDay = 86_400 / context.stepSeconds;
  return context.period === stepsPerDay ? [context.period, context.period * 7] : [context.period];
}

/**
 * The sampling interval a bare seasonal period implies when data carries no timestamps (M4): a
 * period of 24 is hourly data with a daily cycle, 7 daily data with a weekly one, 52 weekly data.
 */
export function stepSecondsForSeason(season: number): number {
  if (season === 7) return 86_400;
  if (season === 52 || season === 1) return 604_800;
  if (season === 12) return 2_629_800;
  return season > 1 ? 86_400 / season : 3600;
}

export function createForecaster(name: string, context: ModelContext): Forecaster {
  if (!isModelName(name)) throw new RangeError(`unknown model "${name}" (known: ${MODEL_NAMES.join(", ")})`);
  switch (name) {
    case "naive":
      return new SeasonalNaiveForecaster(1);
    case "snaive":
      return new SeasonalNaiveForecaster(Math.max(1, context.period));
    case "drift":
      return new DriftForecaster();
    case "naive2":
      return new Naive2Forecaster(Math.max(1, context.period));
    case "theta":
      return new ThetaForecaster({ period: Math.max(1, context.period) });
    case "mstl": {
      const periods = seasonalPeriods(context);
      return periods.length > 0 ? new MstlForecaster({ periods }) : new ThetaForecaster({ period: 1 });
    }
    case "auto":
      return new AutoForecaster({
        candidates: autoCandidates(context),
        fallback: new SeasonalNaiveForecaster(1),
        horizonSteps: context.horizonSteps,
        period: Math.max(1, context.period),
      });
  }
}

function autoCandidates(context: ModelContext): Forecaster[] {
  const periods = seasonalPeriods(context);
  const period = Math.max(1, context.period);
  return [
    ...periods.map((p) => new SeasonalNaiveForecaster(p)),
    ...(periods.length > 0 ? [new MstlForecaster({ periods })] : []),
    new ThetaForecaster({ period }),
    new Naive2Forecaster(period),
    new SeasonalNaiveForecaster(1),
    new DriftForecaster(),
  ];
}
