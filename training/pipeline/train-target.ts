import { cleanValues } from "../../models/cleaning/clean-values.js";
import type { Series } from "../../models/series.js";
import { rollingOriginBacktest, type BacktestResult } from "../backtest/rolling-origin-backtest.js";
import { coverage, smape } from "../metrics/accuracy-metrics.js";
import { createForecasterFor, type ModelContext } from "../model-catalog.js";
import type { BacktestSummary, ModelArtifact, PromotionDecision } from "../registry/model-artifact.js";
import type { ModelRegistry } from "../registry/model-registry.js";
import { restoreModel } from "../restore-model.js";
import { compareWithChampion } from "./champion-challenger.js";
import { TrainingError, TrainingErrorCode } from "./training-error.js";

/** What training needs to know about a target (a subset of the service config). */
export interface TrainingTarget {
  readonly name: string;
  readonly stepSeconds: number;
  /** The longest horizon the forecasts will be used at, in steps; backtests run at it. */
  readonly horizonSteps: number;
  /** Seasonal periods in seconds (hints from config, e.g. 1d and 1w). */
  readonly seasonalitySeconds: readonly number[];
  /** Catalog names of candidate models; `["auto"]` means the full automatic set. */
  readonly models: readonly string[];
}

export interface TrainTargetInput {
  readonly target: TrainingTarget;
  /** History ending now, `NaN` for missing samples, with `startMs`. */
  readonly history: Series;
  readonly registry: ModelRegistry;
  /** Written into the artifact, e.g. `presage 0.1.0 (abc1234)`. */
  readonly codeVersion: string;
  /** @defaultValue `() => new Date()` */
  readonly now?: () => Date;
  /** Stage and fraction done (0–1), for job progress and progress bars. */
  readonly onProgress?: (fraction: number, stage: string) => void;
}

export interface TrainTargetResult {
  /** The stored artifact (saved whether or not it was promoted, so the decision is auditable). */
  readonly artifact: ModelArtifact;
  readonly promoted: boolean;
  readonly reason: string;
}

/** Backtest origins per training run. */
const BACKTEST_FOLDS = 4;
/** More missing than this and the history is not trusted. */
const MAX_MISSING_FRACTION = 0.5;

/**
 * Trains one target: clean → fit candidates → rolling-origin backtest → champion/challenger → store.
 * The new model becomes current only when its backtest beats the current model on the same origins
 * (those after the current model's data); otherwise it is stored, not promoted, and the reason is
 * recorded in its artifact.
 *
 * @throws TrainingError (non-retryable) for insufficient or mostly missing history.
 */
export async function trainTarget(input: TrainTargetInput): Promise<TrainTargetResult> {
  const { target, history, registry } = input;
  const progress = input.onProgress ?? (() => undefined);
  const now = input.now ?? (() => new Date());
  if (history.startMs === undefined) {
    throw new TrainingError(TrainingErrorCode.invalidInput, `history of ${target.name} has no start time`);
  }
  if (!Number.isInteger(target.horizonSteps) || target.horizonSteps < 1) {
    throw new TrainingError(
      TrainingErrorCode.invalidInput,
      `horizonSteps (${target.horizonSteps}) must be an integer ≥ 1`,
    );
  }
  progress(0.05, "cleaning");
  const cleaned = cleanValues(history.values);
  const missing = history.values.length - history.values.filter(Number.isFinite).length;
  if (history.values.length > 0 && missing / history.values.length > MAX_MISSING_FRACTION) {
    throw new TrainingError(
      TrainingErrorCode.tooManyMissing,
      `${target.name}: ${missing} of ${history.values.length} samples are missing (more than ${MAX_MISSING_FRACTION * 100}%)`,
    );
  }
  const values = cleaned.values;
  const minPoints = target.horizonSteps * (BACKTEST_FOLDS + 2);
  if (values.length < minPoints) {
    throw new TrainingError(
      TrainingErrorCode.insufficientHistory,
      `${target.name}: ${values.length} usable samples; needs at least ${minPoints} (${BACKTEST_FOLDS + 2} × horizon ${target.horizonSteps})`,
    );
  }
  const stepMs = target.stepSeconds * 1000;
  const startMs = history.startMs + cleaned.droppedLeading * stepMs;
  const series: Series = { values, stepSeconds: target.stepSeconds, startMs };
  const context = modelContext(target);

  progress(0.1, "backtesting");
  const backtest = rollingOriginBacktest(values, createForecasterFor(target.models, context), {
    horizonSteps: target.horizonSteps,
    period: Math.max(1, context.period),
    stepSeconds: target.stepSeconds,
    folds: BACKTEST_FOLDS,
  });
  if (backtest.folds.length === 0) {
    throw new TrainingError(
      TrainingErrorCode.insufficientHistory,
      `${target.name}: no backtest origin could be fitted`,
    );
  }

  await yieldToEventLoop();
  progress(0.6, "comparing with the current model");
  const champion = await registry.current(target.name);
  const decision = decide(champion, values, startMs, stepMs, backtest, now);

  await yieldToEventLoop();
  progress(0.7, "fitting on all history");
  const fitted = createForecasterFor(target.models, context).fit(series);

  progress(0.9, "storing");
  const saved = await registry.save({
    target: target.name,
    createdAt: now().toISOString(),
    codeVersion: input.codeVersion,
    modelKind: target.models.length === 1 ? (target.models[0] ?? "auto") : "auto",
    modelName: fitted.name,
    dataRange: {
      startMs,
      endMs: startMs + (values.length - 1) * stepMs,
      stepSeconds: target.stepSeconds,
      points: values.length,
      missing,
    },
    backtest: summarize(backtest, startMs, stepMs, target.horizonSteps),
    decision,
    state: fitted.toJSON(),
  });
  if (decision.promoted) await registry.promote(target.name, saved.version);
  progress(1, decision.promoted ? "promoted" : "kept current model");
  return { artifact: saved, promoted: decision.promoted, reason: decision.reason };
}

/**
 * Fitting is synchronous CPU work; between stages, let timers run (job lock renewal, signal handlers)
 * so a long training does not look like a stalled job.
 */
async function yieldToEventLoop(): Promise<void> {
  await new Promise<void>((resolve) => {
    setImmediate(resolve);
  });
}

function decide(
  champion: ModelArtifact | undefined,
  values: readonly number[],
  startMs: number,
  stepMs: number,
  backtest: BacktestResult,
  now: () => Date,
): PromotionDecision {
  const decidedAt = now().toISOString();
  const challengerMase = backtest.mase;
  if (!champion) {
    return { promoted: true, reason: "no current model", challengerMase, decidedAt };
  }
  const championVersion = champion.version;
  const championEndIndex = Math.round((champion.dataRange.endMs - startMs) / stepMs);
  if (championEndIndex < -1) {
    return {
      promoted: true,
      reason: `current v${championVersion} was trained on data that ends before this history starts; replaced`,
      championVersion,
      challengerMase,
      decidedAt,
    };
  }
  let comparison;
  try {
    comparison = compareWithChampion(restoreModel(champion.state), championEndIndex, values, backtest.folds);
  } catch (error) {
    return {
      promoted: true,
      reason: `current v${championVersion} could not be restored or advanced (${error instanceof Error ? error.message : String(error)}); replaced`,
      championVersion,
      challengerMase,
      decidedAt,
    };
  }
  if (!comparison) {
    return {
      promoted: false,
      reason: `not enough data since current v${championVersion} to compare on the same window; kept v${championVersion}`,
      championVersion,
      challengerMase,
      decidedAt,
    };
  }
  const { championMase } = comparison;
  const window = `${comparison.origins.length} origin${comparison.origins.length === 1 ? "" : "s"}`;
  const scores = `challenger MASE ${comparison.challengerMase.toFixed(3)} vs current v${championVersion} ${championMase.toFixed(3)} on ${window}`;
  const promoted = comparison.challengerMase < championMase;
  return {
    promoted,
    reason: promoted ? `${scores}: promoted` : `${scores}: kept v${championVersion}`,
    championVersion,
    championMase,
    challengerMase: comparison.challengerMase,
    decidedAt,
  };
}

function summarize(
  backtest: BacktestResult,
  startMs: number,
  stepMs: number,
  horizonSteps: number,
): BacktestSummary {
  const actual = backtest.folds.flatMap((fold) => fold.actual);
  const forecast = backtest.folds.flatMap((fold) => fold.forecast.mean);
  const band = (level: number, side: "lower" | "upper"): number[] =>
    backtest.folds.flatMap(
      (fold) =>
        fold.forecast.intervals.find((interval) => interval.level === level)?.[side] ?? fold.forecast.mean,
    );
  return {
    horizonSteps,
    originsMs: backtest.folds.map((fold) => startMs + fold.origin * stepMs),
    mase: backtest.mase,
    smape: smape(actual, forecast),
    coverage80: coverage(actual, band(80, "lower"), band(80, "upper")),
    coverage95: coverage(actual, band(95, "lower"), band(95, "upper")),
  };
}

/** The catalog context for a target: the shortest seasonality hint as the primary period. */
export function modelContext(target: TrainingTarget): ModelContext {
  const periods = target.seasonalitySeconds
    .map((seconds) => Math.round(seconds / target.stepSeconds))
    .filter((period) => period > 1)
    .sort((a, b) => a - b);
  return { period: periods[0] ?? 1, horizonSteps: target.horizonSteps, stepSeconds: target.stepSeconds };
}
