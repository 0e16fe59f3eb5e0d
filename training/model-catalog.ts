import { DriftForecaster } from "../models/baseline/drift.js";
import { MovingAverageForecaster } from "../models/baseline/moving-average.js";
import { Naive2Forecaster } from "../models/baseline/naive2.js";
import { SeasonalNaiveForecaster } from "../models/baseline/seasonal-naive.js";
import { EtsForecaster } from "../models/ets/ets-forecaster.js";
import { DampedTrendForecaster } from "../models/multi-seasonal/damped-trend-forecaster.js";
import { MstlForecaster } from "../models/multi-seasonal/mstl-forecaster.js";
import { ThetaForecaster } from "../models/theta/theta-forecaster.js";
import type { Forecaster } from "../models/forecaster.js";
import { GlobalLstmForecaster } from "../models/lstm/global-lstm-forecaster.js";
import { DeseasonalizedLstmForecaster } from "../models/lstm/deseasonalized-lstm-forecaster.js";
import { LstmForecaster } from "../models/lstm/lstm-forecaster.js";
import { resolveLstmOptions, type LstmForecasterOptions } from "../models/lstm/lstm-options.js";
import type { LstmTrainingProgress } from "../models/lstm/lstm-training.js";
import type { Series } from "../models/series.js";
import { AutoForecaster } from "./selection/auto-forecaster.js";

/** Model names accepted on the command line and in config. */
export const MODEL_NAMES = [
  "auto",
  "naive",
  "snaive",
  "drift",
  "moving-average",
  "naive2",
  "theta",
  "mstl",
  "ets",
  "lstm",
  "lstm-global",
  "mstl-lstm",
  "auto+lstm",
] as const;
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
  /**
   * Series the global LSTM (`lstm-global`, and its member of `auto+lstm`) trains its shared network
   * on, once per array (training parts only: never what will be scored). Without them it trains on
   * each fitted series alone.
   */
  readonly peerSeries?: readonly Series[];
  /** Called after every LSTM training epoch (the CLI draws it as a progress bar). */
  readonly onTrainingProgress?: (progress: LstmTrainingProgress) => void;
  /**
   * Network and training settings for every LSTM the catalog builds (`lstm`, `lstm-global` and the
   * members of `auto+lstm`), over the catalog's own: e.g. a small network for tests and smoke runs.
   * `period`, `horizonSteps` and `phasePeriods` always come from the context.
   * @defaultValue none (each model's defaults)
   */
  readonly lstm?: LstmTuning;
}

/** The LSTM settings a {@link ModelContext} may override. */
export type LstmTuning = Omit<
  LstmForecasterOptions,
  "period" | "horizonSteps" | "phasePeriods" | "onProgress"
>;

const DAY_SECONDS = 86_400;
const WEEK_SECONDS = 7 * DAY_SECONDS;
const YEAR_SECONDS = 365.25 * DAY_SECONDS;

/**
 * Seasonal periods worth modelling, in steps: the declared period plus the calendar cycles that fit
 * the sampling interval — daily and weekly for sub-daily data (ops metrics carry both), weekly and
 * yearly for daily data, yearly for weekly data. Cycles are rounded to whole steps; models drop those
 * the history is too short for.
 */
export function seasonalPeriods(context: ModelContext): number[] {
  const step = context.stepSeconds;
  const cycles = [DAY_SECONDS, WEEK_SECONDS, ...(step >= DAY_SECONDS ? [YEAR_SECONDS] : [])]
    .filter((cycle) => cycle > step)
    .map((cycle) => Math.round(cycle / step));
  const periods = [...(context.period > 1 ? [context.period] : []), ...cycles].filter((p) => p > 1);
  return [...new Set(periods)].sort((a, b) => a - b);
}

/**
 * The sampling interval implied by M4's (season, horizon) pairs when data carries no timestamps:
 * hourly (24, 48), daily (1, 14), weekly (1, 13), monthly (12, 18), quarterly (4, 8), yearly (1, 6).
 * Other pairs are taken as `season` steps per day when `season` > 1, else as having no calendar.
 */
export function stepSecondsForSeason(season: number, horizonSteps: number): number {
  const m4: Record<string, number> = {
    "24/48": 3600,
    "1/14": DAY_SECONDS,
    "1/13": WEEK_SECONDS,
    "12/18": YEAR_SECONDS / 12,
    "4/8": YEAR_SECONDS / 4,
    "1/6": YEAR_SECONDS,
  };
  return m4[`${season}/${horizonSteps}`] ?? (season > 1 ? DAY_SECONDS / season : YEAR_SECONDS);
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
    case "moving-average":
      return new MovingAverageForecaster({ horizonSteps: Math.max(1, context.horizonSteps) });
    case "ets":
      return new EtsForecaster({ period: Math.max(1, context.period) });
    case "naive2":
      return new Naive2Forecaster(Math.max(1, context.period));
    case "theta":
      return new ThetaForecaster({ period: Math.max(1, context.period) });
    case "mstl": {
      const periods = seasonalPeriods(context);
      return periods.length > 0 ? new MstlForecaster({ periods }) : new ThetaForecaster({ period: 1 });
    }
    case "auto":
      return autoForecaster(autoCandidates(context), context);
    case "lstm":
      return new LstmForecaster(lstmOptions(context));
    case "lstm-global":
      return globalLstm(context);
    case "mstl-lstm":
      return deseasonalizedLstm(context);
    case "auto+lstm":
      return new AutoForecaster({
        candidates: autoCandidates(context),
        rollForwardCandidates: lstmCandidates(context),
        fallback: new SeasonalNaiveForecaster(1),
        horizonSteps: context.horizonSteps,
        period: Math.max(1, context.period),
        folds: AUTO_FOLDS,
      });
  }
}

/**
 * The networks `auto+lstm` adds to `auto`'s candidates. For data with a season (`period` > 1), the MSTL + LSTM hybrid
 * (cycles out first, as the M4 winner did): on M4 Hourly it is the one network that improves `auto`
 * on both halves (OWA 0.862 → 0.856 on H1–H75, where designs are chosen, 0.445 → 0.443 on
 * H76–H150), while the plain networks, alone or with it, make `auto` worse (0.583–0.586;
 * `bench/lstm-combination-bench.ts`). Without a season, the plain local and global networks, which
 * improve `auto` on M4 Weekly (0.707 → 0.673).
 */
function lstmCandidates(context: ModelContext): Forecaster[] {
  if (context.period > 1) return [deseasonalizedLstm(context)];
  return [
    new LstmForecaster(lstmOptions(context)),
    ...(context.peerSeries && context.peerSeries.length > 1 ? [globalLstm(context)] : []),
  ];
}

/** Rolling origins of the automatic selections (`auto`'s own default). */
const AUTO_FOLDS = 4;

/**
 * Options of an LSTM member: `defaults` (the model's own, when they differ from `LstmForecaster`'s),
 * then the context's `lstm` overrides, then what the context decides (period, horizon, calendar).
 */
function lstmOptions(context: ModelContext, defaults: LstmTuning = {}): LstmForecasterOptions {
  return {
    ...defaults,
    ...context.lstm,
    period: Math.max(1, context.period),
    horizonSteps: context.horizonSteps,
    phasePeriods: seasonalPeriods(context),
    ...(context.onTrainingProgress ? { onProgress: context.onTrainingProgress } : {}),
  };
}

/**
 * MSTL takes out every calendar cycle, the LSTM forecasts what is left (see
 * `DeseasonalizedLstmForecaster`). The network keeps the lookback and chunking of the plain `lstm`,
 * but its skip starts as naive rather than seasonal naive: the adjusted series has no season left.
 * Without a calendar cycle there is nothing to take out and this is the plain `lstm`.
 */
function deseasonalizedLstm(context: ModelContext): Forecaster {
  const periods = seasonalPeriods(context);
  const seasonal = lstmOptions(context);
  if (periods.length === 0) return new LstmForecaster(seasonal);
  const { chunkSteps, chunks } = resolveLstmOptions(seasonal);
  return new DeseasonalizedLstmForecaster({
    periods,
    adjustedModel: new LstmForecaster({ ...seasonal, period: 1, chunkSteps, chunks }),
  });
}

/** `LstmForecaster`'s defaults, for a "global" network that only ever sees one series. */
const LOCAL_TRAINING = {
  batchSize: 64,
  learningRate: 0.008,
  maxEpochs: 30,
  patience: 5,
  windowsPerEpoch: 1200,
  trainableSkip: false,
} as const;

const globalLstms = new WeakMap<readonly Series[], Map<string, GlobalLstmForecaster>>();

/**
 * One global LSTM per peer set and horizon, so that the network is trained once however many series
 * are fitted with it. Its pool leaves out the last `AUTO_FOLDS × horizonSteps` steps of every peer:
 * `auto+lstm` backtests over exactly those, and they must be out of sample for the shared weights.
 */
function globalLstm(context: ModelContext): GlobalLstmForecaster {
  const peers = context.peerSeries;
  // Without peers the "pool" is the fitted series alone: train it with the local model's settings.
  if (!peers || peers.length === 0) {
    return new GlobalLstmForecaster(lstmOptions(context, LOCAL_TRAINING));
  }
  const options = { ...lstmOptions(context), holdoutSteps: AUTO_FOLDS * context.horizonSteps };
  let byHorizon = globalLstms.get(peers);
  if (!byHorizon) {
    byHorizon = new Map();
    globalLstms.set(peers, byHorizon);
  }
  const key = `${context.period}/${context.horizonSteps}/${context.stepSeconds}/${JSON.stringify(context.lstm ?? {})}`;
  let forecaster = byHorizon.get(key);
  if (!forecaster) {
    forecaster = new GlobalLstmForecaster(options, peers);
    byHorizon.set(key, forecaster);
  }
  return forecaster;
}

/**
 * The forecaster for a list of model names from config: `["auto"]` is the full automatic set, a
 * single name is that model, several names are the candidates automatic selection chooses among.
 */
export function createForecasterFor(names: readonly string[], context: ModelContext): Forecaster {
  const [first] = names;
  if (first === undefined) throw new RangeError("at least one model name is needed");
  if (names.length === 1) return createForecaster(first, context);
  return autoForecaster(
    names.map((name) => createForecaster(name, context)),
    context,
  );
}

function autoForecaster(candidates: Forecaster[], context: ModelContext): AutoForecaster {
  return new AutoForecaster({
    candidates,
    fallback: new SeasonalNaiveForecaster(1),
    horizonSteps: context.horizonSteps,
    period: Math.max(1, context.period),
  });
}

/**
 * What `auto` chooses from: seasonal naive per calendar cycle, MSTL over all cycles, ETS, Theta and
 * Naive2 at the declared period, and the simple trend/level models. Backtests decide; models that
 * cannot serve a series (too short for a cycle) are skipped or fall back on their own.
 */
const MAX_ETS_PERIOD_IN_AUTO = 24;

export function autoCandidates(context: ModelContext): Forecaster[] {
  const periods = seasonalPeriods(context);
  const period = Math.max(1, context.period);
  return [
    ...periods.map((p) => new SeasonalNaiveForecaster(p)),
    ...(periods.length > 0 ? [new MstlForecaster({ periods })] : []),
    // Seasonal ETS refines m initial states (cost grows ~m²); beyond a day of hourly steps the MSTL
    // candidate carries the seasonality instead (R's ets refuses m > 24 outright).
    ...(period <= MAX_ETS_PERIOD_IN_AUTO ? [new EtsForecaster({ period })] : []),
    new ThetaForecaster({ period }),
    ...(period > 1 ? [new Naive2Forecaster(period)] : []),
    new SeasonalNaiveForecaster(1),
    new MovingAverageForecaster({ horizonSteps: Math.max(1, context.horizonSteps) }),
    new DriftForecaster(),
    new DampedTrendForecaster(),
  ];
}
