import {
  trainTarget,
  type TrainingTarget,
  type TrainTargetResult,
} from "../../training/pipeline/train-target.js";
import type { ModelRegistry } from "../../training/registry/model-registry.js";
import { ConfigError, type ResolvedConfig, type ResolvedTarget } from "../config/presage-config.js";
import { createMetricSource } from "../sources/create-metric-source.js";
import type { MetricSource } from "../sources/metric-source.js";

/** One training run of a target on the history window that ends at `windowEndMs`. */
export interface TrainTargetJobInput {
  readonly target: ResolvedTarget;
  /** Epoch ms of the last sample to train on; aligned down to the target's step here. */
  readonly windowEndMs: number;
  readonly source: MetricSource;
  readonly registry: ModelRegistry;
  /** Written into the artifact (see `codeVersion()`). */
  readonly codeVersion: string;
  /** Aborts the history fetch (e.g. on shutdown). */
  readonly signal?: AbortSignal;
  /** Stage and fraction done (0–1): fetching is the first 10%, training the rest. */
  readonly onProgress?: (fraction: number, stage: string) => void;
  /** Stamps the artifact's `createdAt`. @defaultValue `() => new Date()` */
  readonly now?: () => Date;
}

/** Share of the progress bar the history fetch takes. */
const FETCH_SHARE = 0.1;

/**
 * Fetches the target's history for `[windowEnd − history, windowEnd]` (both aligned to the step) from
 * its metric source and trains on it: clean, fit candidates, backtest, champion/challenger, store.
 *
 * @throws MetricSourceError from the fetch, TrainingError from training, RegistryError from the store;
 * each says whether a retry may help.
 */
export async function trainTargetJob(input: TrainTargetJobInput): Promise<TrainTargetResult> {
  const { target } = input;
  const range = historyRange(target, input.windowEndMs);
  const progress = input.onProgress ?? (() => undefined);
  progress(0, "fetching history");
  const history = await input.source.fetchRange({
    query: target.query,
    startMs: range.startMs,
    endMs: range.endMs,
    stepSeconds: target.stepSeconds,
    ...(input.signal === undefined ? {} : { signal: input.signal }),
  });
  input.signal?.throwIfAborted();
  progress(FETCH_SHARE, "training");
  return trainTarget({
    target: trainingTargetOf(target),
    history,
    registry: input.registry,
    codeVersion: input.codeVersion,
    ...(input.now === undefined ? {} : { now: input.now }),
    ...(input.signal === undefined ? {} : { signal: input.signal }),
    onProgress: (fraction, stage) => {
      progress(FETCH_SHARE + (1 - FETCH_SHARE) * fraction, stage);
    },
  });
}

/** The history a run trains on: `historySeconds` back from the aligned window end, both ends inclusive. */
export function historyRange(
  target: ResolvedTarget,
  windowEndMs: number,
): { startMs: number; endMs: number } {
  const stepMs = target.stepSeconds * 1000;
  const endMs = Math.floor(windowEndMs / stepMs) * stepMs;
  return { startMs: endMs - Math.floor((target.historySeconds * 1000) / stepMs) * stepMs, endMs };
}

/** What training needs from a configured target: horizons become the longest horizon in steps. */
export function trainingTargetOf(target: ResolvedTarget): TrainingTarget {
  const longestHorizonSeconds = Math.max(...target.horizonsSeconds);
  return {
    name: target.name,
    stepSeconds: target.stepSeconds,
    horizonSteps: Math.max(1, Math.ceil(longestHorizonSeconds / target.stepSeconds)),
    seasonalitySeconds: target.seasonalitySeconds,
    models: target.models,
  };
}

/** Trains any configured target with the service's sources and registry (one source per target). */
export type ConfiguredTrainer = (request: {
  readonly target: ResolvedTarget;
  readonly windowEndMs: number;
  readonly signal?: AbortSignal;
  readonly onProgress: (fraction: number, stage: string) => void;
}) => Promise<TrainTargetResult>;

export interface ConfiguredTrainerOptions {
  readonly config: ResolvedConfig;
  readonly registry: ModelRegistry;
  readonly codeVersion: string;
  /** @defaultValue `createMetricSource` */
  readonly sourceFor?: (target: ResolvedTarget, config: ResolvedConfig) => MetricSource;
}

/**
 * The training composition the job processor calls: a metric source per target (created once, on
 * first use), the registry and the code version wired in.
 */
export function createConfiguredTrainer(options: ConfiguredTrainerOptions): ConfiguredTrainer {
  const sourceFor = options.sourceFor ?? ((target, config) => createMetricSource(target, config));
  const sources = new Map<string, MetricSource>();
  return (request) => {
    let source = sources.get(request.target.name);
    if (source === undefined) {
      try {
        source = sourceFor(request.target, options.config);
      } catch (error) {
        // A source that cannot be built (an unreadable bearer-token file, say) stays broken until the
        // configuration changes: not worth retrying.
        const rule = `cannot be used: ${error instanceof Error ? error.message : String(error)}`;
        const configError = new ConfigError("config", [
          { field: `targets.${request.target.name}.source`, rule },
        ]);
        configError.cause = error;
        return Promise.reject(configError);
      }
      sources.set(request.target.name, source);
    }
    return trainTargetJob({
      target: request.target,
      windowEndMs: request.windowEndMs,
      source,
      registry: options.registry,
      codeVersion: options.codeVersion,
      onProgress: request.onProgress,
      ...(request.signal === undefined ? {} : { signal: request.signal }),
    });
  };
}
