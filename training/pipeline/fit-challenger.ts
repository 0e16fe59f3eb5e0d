import type { ModelState } from "../../models/forecaster.js";
import type { Series } from "../../models/series.js";
import { rollingOriginBacktest, type BacktestResult } from "../backtest/rolling-origin-backtest.js";
import { coverage, smape } from "../metrics/accuracy-metrics.js";
import { createForecasterFor, type ModelContext } from "../model-catalog.js";
import type { BacktestSummary, ModelArtifact, PromotionDecision } from "../registry/model-artifact.js";
import { restoreModel } from "../restore-model.js";
import { compareWithChampion } from "./champion-challenger.js";
import { TrainingError, TrainingErrorCode } from "./training-error.js";

/** Backtest origins per training run. */
export const BACKTEST_FOLDS = 4;

/**
 * The CPU-bound part of a training run, as plain data (structured-cloneable, so it can run in a
 * worker thread): the cleaned series, the candidates and the current model to beat.
 */
export interface ChallengerFitJob {
  /** The target's name, for messages. */
  readonly targetName: string;
  readonly series: Series & { readonly startMs: number };
  readonly models: readonly string[];
  /** Plain data only: no progress callback or peer series (they cannot cross to a worker thread). */
  readonly context: Omit<ModelContext, "onTrainingProgress" | "peerSeries">;
  readonly horizonSteps: number;
  /** The current (champion) model, when there is one. */
  readonly champion?: ModelArtifact;
  /** When the decision is made (ISO 8601). */
  readonly decidedAt: string;
}

/** What a challenger fit yields: everything the artifact needs besides where and when it is stored. */
export interface ChallengerFit {
  readonly modelName: string;
  /** The fitted model's state (`toJSON()`), restorable with `restoreModel`. */
  readonly state: ModelState;
  readonly backtest: BacktestSummary;
  readonly decision: PromotionDecision;
}

/** Runs a {@link ChallengerFitJob} somewhere (this thread or a worker thread). */
export type ChallengerFitRunner = (
  job: ChallengerFitJob,
  options: {
    readonly onProgress?: (fraction: number, stage: string) => void;
    readonly signal?: AbortSignal;
  },
) => Promise<ChallengerFit>;

/**
 * Rolling-origin backtest of the candidates, champion/challenger decision on the same origins, and
 * the fit on all history. Synchronous CPU work; `onProgress` gets fractions of this part (0–1).
 *
 * @throws TrainingError (non-retryable) when no backtest origin could be fitted.
 */
export function fitChallenger(
  job: ChallengerFitJob,
  onProgress: (fraction: number, stage: string) => void = () => undefined,
): ChallengerFit {
  const { series, context, horizonSteps } = job;
  const stepMs = series.stepSeconds * 1000;
  onProgress(0, "backtesting");
  const backtest = rollingOriginBacktest(series.values, createForecasterFor(job.models, context), {
    horizonSteps,
    period: Math.max(1, context.period),
    stepSeconds: series.stepSeconds,
    startMs: series.startMs,
    folds: BACKTEST_FOLDS,
  });
  if (backtest.folds.length === 0) {
    throw new TrainingError(
      TrainingErrorCode.insufficientHistory,
      `${job.targetName}: no backtest origin could be fitted`,
    );
  }
  onProgress(0.6, "comparing with the current model");
  const decision = decide(job.champion, series.values, series.startMs, stepMs, backtest, job.decidedAt);
  onProgress(0.7, "fitting on all history");
  const fitted = createForecasterFor(job.models, context).fit(series);
  return {
    modelName: fitted.name,
    state: fitted.toJSON(),
    backtest: summarize(backtest, series.startMs, stepMs, horizonSteps),
    decision,
  };
}

/** Runs the fit on this thread, blocking it (tests from source, and where no worker thread can start). */
export const fitOnThisThread: ChallengerFitRunner = (job, options) =>
  new Promise((resolve) => {
    // A throw in here (an abort, a TrainingError) rejects the promise.
    options.signal?.throwIfAborted();
    resolve(fitChallenger(job, options.onProgress));
  });

function decide(
  champion: ModelArtifact | undefined,
  values: readonly number[],
  startMs: number,
  stepMs: number,
  backtest: BacktestResult,
  decidedAt: string,
): PromotionDecision {
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
