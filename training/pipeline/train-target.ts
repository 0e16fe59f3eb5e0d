import { cleanValues } from "../../models/cleaning/clean-values.js";
import type { Series } from "../../models/series.js";
import type { ModelContext } from "../model-catalog.js";
import type { ModelArtifact } from "../registry/model-artifact.js";
import type { ModelRegistry } from "../registry/model-registry.js";
import { BACKTEST_FOLDS, type ChallengerFitRunner } from "./fit-challenger.js";
import { defaultChallengerFitRunner } from "./challenger-fit-threads.js";
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
  /** Stops the run; a fit in a worker thread is terminated at once. */
  readonly signal?: AbortSignal;
  /**
   * Where the backtest and fit run. @defaultValue a worker thread of its own when the compiled worker
   * entry exists (built code), else this thread
   */
  readonly fit?: ChallengerFitRunner;
}

export interface TrainTargetResult {
  /** The stored artifact (saved whether or not it was promoted, so the decision is auditable). */
  readonly artifact: ModelArtifact;
  readonly promoted: boolean;
  readonly reason: string;
}

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
  const series: Series & { startMs: number } = { values, stepSeconds: target.stepSeconds, startMs };

  const champion = await registry.current(target.name);
  progress(0.1, "backtesting");
  const fit = input.fit ?? defaultChallengerFitRunner();
  const fitted = await fit(
    {
      targetName: target.name,
      series,
      models: target.models,
      context: modelContext(target),
      horizonSteps: target.horizonSteps,
      ...(champion === undefined ? {} : { champion }),
      decidedAt: now().toISOString(),
    },
    {
      onProgress: (fraction, stage) => {
        progress(0.1 + 0.8 * fraction, stage);
      },
      ...(input.signal === undefined ? {} : { signal: input.signal }),
    },
  );
  const { decision } = fitted;

  // A run stopped meanwhile (shutdown, cancelled job) stores nothing: its runner already gave it up.
  input.signal?.throwIfAborted();
  progress(0.9, "storing");
  const saved = await registry.save({
    target: target.name,
    createdAt: now().toISOString(),
    codeVersion: input.codeVersion,
    modelKind: target.models.length === 1 ? (target.models[0] ?? "auto") : "auto",
    modelName: fitted.modelName,
    dataRange: {
      startMs,
      endMs: startMs + (values.length - 1) * stepMs,
      stepSeconds: target.stepSeconds,
      points: values.length,
      missing,
    },
    backtest: fitted.backtest,
    decision,
    state: fitted.state,
  });
  if (decision.promoted) await registry.promote(target.name, saved.version);
  progress(1, decision.promoted ? "promoted" : "kept current model");
  return { artifact: saved, promoted: decision.promoted, reason: decision.reason };
}

/** The catalog context for a target: the shortest seasonality hint as the primary period. */
export function modelContext(target: TrainingTarget): ModelContext {
  const periods = target.seasonalitySeconds
    .map((seconds) => Math.round(seconds / target.stepSeconds))
    .filter((period) => period > 1)
    .sort((a, b) => a - b);
  return { period: periods[0] ?? 1, horizonSteps: target.horizonSteps, stepSeconds: target.stepSeconds };
}
