import type { FittedModel, ModelState } from "../../../models/forecaster.js";
import type { ModelArtifact } from "../../../training/registry/model-artifact.js";
import { restoreModel as defaultRestoreModel } from "../../../training/restore-model.js";
import { fillGaps } from "../../scaler/scaler-loop.js";
import type { MetricSource } from "../../sources/metric-source.js";
import type { ForecastRequest, ForecastView } from "../presage-backend.js";

/** Options of {@link ForecastCache}. */
export interface ForecastCacheOptions {
  /** Where the newest points come from to advance a model to the data end. */
  readonly source: MetricSource;
  /** Distinct (horizon, levels) forecasts kept per target for the same model and data end. @defaultValue 64 */
  readonly maxViewsPerTarget?: number;
  /** Stamps `computedAtMs`. @defaultValue `Date.now` */
  readonly nowMs?: () => number;
  /** @defaultValue `restoreModel` from training/restore-model.ts */
  readonly restoreModel?: (state: ModelState) => FittedModel;
}

interface TargetEntry {
  version: number;
  model: FittedModel;
  /** Epoch ms of the newest observation the model has been advanced with. */
  modelDataEndMs: number;
  stepSeconds: number;
  /** Views computed at (version, modelDataEndMs), by horizon and levels. */
  views: Map<string, ForecastView>;
  /** Serializes the advancing of this target's model (two requests must not feed it the same points twice). */
  lock: Promise<unknown>;
}

/** Most points fetched at once while catching a model up. */
const MAX_FETCH_STEPS = 10_000;

/**
 * Forecasts of each target's current model from its newest data, cached by (target, model version,
 * data end, horizon, levels). A cache hit is a map lookup that returns the same object (the API keeps
 * its JSON text per object). A new model version is restored once; new data advances the restored
 * model with only the points since it last saw (no refit), then the views are recomputed on demand.
 */
export class ForecastCache {
  private readonly entries = new Map<string, TargetEntry>();
  private readonly maxViews: number;
  private readonly nowMs: () => number;
  private readonly restore: (state: ModelState) => FittedModel;

  constructor(private readonly options: ForecastCacheOptions) {
    this.maxViews = options.maxViewsPerTarget ?? 64;
    this.nowMs = options.nowMs ?? Date.now;
    this.restore = options.restoreModel ?? defaultRestoreModel;
  }

  /**
   * The forecast of `artifact` (the target's current model) from the data up to `dataEndMs`;
   * `query` is the target's load query on the source.
   */
  forecast(
    artifact: ModelArtifact,
    query: string,
    dataEndMs: number,
    request: ForecastRequest,
  ): Promise<ForecastView> {
    const key = `${request.horizonSteps}|${request.levels.join(",")}`;
    const entry = this.entries.get(artifact.target);
    if (
      entry?.version === artifact.version &&
      entry.modelDataEndMs >= alignedEnd(dataEndMs, entry.stepSeconds)
    ) {
      const hit = entry.views.get(key);
      if (hit !== undefined) return Promise.resolve(hit);
    }
    return this.compute(artifact, query, dataEndMs, request, key);
  }

  /** Forgets a target (e.g. when it is removed). */
  forget(target: string): void {
    this.entries.delete(target);
  }

  private async compute(
    artifact: ModelArtifact,
    query: string,
    dataEndMs: number,
    request: ForecastRequest,
    key: string,
  ): Promise<ForecastView> {
    let entry = this.entries.get(artifact.target);
    if (entry?.version !== artifact.version) {
      entry = {
        version: artifact.version,
        model: this.restore(artifact.state),
        modelDataEndMs: artifact.dataRange.endMs,
        stepSeconds: artifact.dataRange.stepSeconds,
        views: new Map(),
        lock: Promise.resolve(),
      };
      this.entries.set(artifact.target, entry);
    }
    const current = entry;
    const run = current.lock.then(() => this.advance(current, query, dataEndMs));
    current.lock = run.catch(() => undefined);
    await run;
    const hit = current.views.get(key);
    if (hit !== undefined) return hit;
    const forecast = current.model.predict(request.horizonSteps, { levels: request.levels });
    const stepMs = current.stepSeconds * 1000;
    const view: ForecastView = {
      target: artifact.target,
      model: forecast.model,
      modelVersion: current.version,
      stepSeconds: current.stepSeconds,
      dataEndMs: current.modelDataEndMs,
      timesMs: forecast.mean.map((_, index) => current.modelDataEndMs + (index + 1) * stepMs),
      mean: forecast.mean,
      intervals: forecast.intervals.map((interval) => ({
        level: interval.level,
        lower: interval.lower,
        upper: interval.upper,
      })),
      notes: forecast.notes,
      computedAtMs: this.nowMs(),
    };
    if (current.views.size >= this.maxViews) {
      const oldest = current.views.keys().next();
      if (oldest.done !== true) current.views.delete(oldest.value);
    }
    current.views.set(key, view);
    return view;
  }

  /** Feeds the model the points after its data end up to `dataEndMs`; a change of data end drops the views. */
  private async advance(entry: TargetEntry, query: string, dataEndMs: number): Promise<void> {
    const stepMs = entry.stepSeconds * 1000;
    const latestMs = alignedEnd(dataEndMs, entry.stepSeconds);
    while (latestMs - entry.modelDataEndMs >= stepMs) {
      const startMs = entry.modelDataEndMs + stepMs;
      const endMs = Math.min(latestMs, startMs + (MAX_FETCH_STEPS - 1) * stepMs);
      const series = await this.options.source.fetchRange({
        query,
        startMs,
        endMs,
        stepSeconds: entry.stepSeconds,
      });
      const skip = Math.max(0, Math.round((startMs - (series.startMs ?? startMs)) / stepMs));
      const values = fillGaps(series.values.slice(skip));
      if (values.length === 0) return;
      entry.model = entry.model.update(values);
      entry.modelDataEndMs += values.length * stepMs;
      entry.views.clear();
      // A range ending in a gap is picked up again next time.
      if (values.length < series.values.length - skip) return;
    }
  }
}

function alignedEnd(epochMs: number, stepSeconds: number): number {
  const stepMs = stepSeconds * 1000;
  return Math.floor(epochMs / stepMs) * stepMs;
}
