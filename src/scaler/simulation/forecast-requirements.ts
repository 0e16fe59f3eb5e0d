import type { Forecast, PredictOptions } from "../../../models/forecast.js";
import type { FittedModel, Forecaster, ModelState } from "../../../models/forecaster.js";
import type { ModelContext } from "../../../training/model-catalog.js";
import { FloorCalibration, type FloorCalibrationOptions } from "../floor-calibration.js";
import { forecastWindowSteps, requiredReplicas } from "../required-replicas.js";
import type { LoadTrace } from "./load-trace.js";

/** How presage forecasts during a replay; every time is a whole number of trace steps or more. */
export interface ForecastRequirementsOptions {
  /** Load one pod serves per trace step. */
  readonly podCapacity: number;
  /** Quantiles to size floors for, each 0.5 ≤ q < 1. */
  readonly quantiles: readonly number[];
  /** How far ahead the floor must be in place: the pod start-up time. */
  readonly leadSeconds: number;
  /** Length of the forecast window after the lead. */
  readonly windowSeconds: number;
  /**
   * Metric pipeline delay. A step's value is known once the step has ended and, beyond one step, the
   * excess of this lag has passed: step `j` is known at `(j + 1)·step + max(0, lag − step)`.
   */
  readonly metricLagSeconds: number;
  /** The first model is fitted once this much history is known; forecasts start then. */
  readonly warmupSeconds: number;
  /** Each fit sees at most this much of the newest history. */
  readonly trainWindowSeconds: number;
  /** A new model is fitted this long after the last fit; in between the model is only `update`d. */
  readonly retrainEverySeconds: number;
  /** A gap (unmeasured steps) longer than this drops the model: its state is stale. */
  readonly maxGapSeconds: number;
  /** After such a gap, a new model is fitted once this much measured data has arrived. */
  readonly resumeAfterGapSeconds: number;
  /** The model family (production: `createForecaster("auto", context)`). */
  readonly createForecaster: (context: ModelContext) => Forecaster;
  /**
   * Floors sized on quantiles calibrated online from past forecast errors, as the scaler loop does
   * (`null`: the model's own intervals only). @defaultValue the loop's defaults
   */
  readonly calibration?: FloorCalibrationOptions | null;
}

export interface ForecastRequirementsHooks {
  /**
   * Called at each presage tick, before the model sees anything of that tick: progress, and tests that
   * check no data at or after `nowMs` reaches the model.
   */
  readonly onTick?: (nowMs: number, step: number, totalSteps: number) => void;
  /** A monotonic clock in ms (e.g. `performance.now`) to time fits and forecasts; absent: untimed. */
  readonly clockMs?: () => number;
}

/** Work done by the forecasting side of a replay. */
export interface ForecastWorkStats {
  readonly fits: number;
  readonly fitFailures: number;
  /** Total fit time (0 when untimed). */
  readonly fitSeconds: number;
  /** Ticks with a forecast. */
  readonly forecasts: number;
  readonly forecastFailures: number;
  /** Total time of everything but fits — `update`, `predict`, `requiredReplicas` (0 when untimed). */
  readonly updateAndPredictSeconds: number;
  /** Fitted model names (e.g. `auto[mstl(1440)+theta]`) with how many fits chose each. */
  readonly models: Readonly<Record<string, number>>;
  /** Ticks whose floors were sized on calibrated quantiles (the rest used the model's intervals). */
  readonly calibratedForecasts: number;
}

/** presage's floor requirements at every presage tick (the start of every trace step). */
export interface ForecastRequirements {
  readonly quantiles: readonly number[];
  /** Per quantile (as ordered in `quantiles`), per step: replicas asked for; `NaN` when no forecast. */
  readonly requiredReplicas: readonly Float64Array[];
  /** Per step: epoch ms of the end of the newest observed step behind the forecast; `NaN` when none. */
  readonly dataEndMs: Float64Array;
  /** First step with a forecast (where a fair comparison can start); `undefined` when none was made. */
  readonly firstForecastStep: number | undefined;
  /** Steps of the forecast window, from the model's newest observation. */
  readonly window: { readonly fromStep: number; readonly toStep: number };
  readonly stats: ForecastWorkStats;
  /** Fit and forecast failures, first few of each. */
  readonly notes: readonly string[];
}

/** The training pipeline refuses histories with more missing samples than this; so does the replay. */
const MAX_MISSING_FRACTION = 0.5;
const MAX_NOTES = 20;

/**
 * Replays presage's forecasting as it runs in production, with no look-ahead: at the start of each
 * trace step the model knows only the steps that have ended (and passed the metric lag). It is fitted
 * on the warm-up history, advanced with `update` by each newly known step (no refit), refitted every
 * `retrainEverySeconds` on the newest `trainWindowSeconds`, dropped after a long gap and refitted once
 * fresh data has arrived. At each tick where the newest known step is measured, `requiredReplicas`
 * turns the forecast into the replicas for each quantile over `[now + lead, now + lead + window]`.
 * Forecasts do not depend on the HPA, so one pass serves every HPA setting of a sweep.
 */
export function forecastRequirements(
  trace: LoadTrace,
  options: ForecastRequirementsOptions,
  hooks: ForecastRequirementsHooks = {},
): ForecastRequirements {
  const { values, stepSeconds, startMs } = trace;
  const stepMs = stepSeconds * 1000;
  const steps = (seconds: number): number => Math.max(1, Math.ceil(seconds / stepSeconds - 1e-9));
  const delaySteps = Math.ceil(Math.max(0, options.metricLagSeconds - stepSeconds) / stepSeconds - 1e-9);
  const warmupSteps = steps(options.warmupSeconds);
  const trainSteps = Math.max(warmupSteps, steps(options.trainWindowSeconds));
  const retrainSteps = steps(options.retrainEverySeconds);
  const maxGapSteps = steps(options.maxGapSeconds);
  const resumeSteps = steps(options.resumeAfterGapSeconds);
  const retryAfterFailureSteps = steps(3600);
  const window = forecastWindowSteps({
    dataEndMs: 0,
    nowMs: delaySteps * stepMs,
    stepSeconds,
    leadMs: options.leadSeconds * 1000,
    windowMs: options.windowSeconds * 1000,
  });
  const forecaster = options.createForecaster({
    period: stepSeconds < 86_400 ? Math.max(1, Math.round(86_400 / stepSeconds)) : 1,
    horizonSteps: window.toStep,
    stepSeconds,
  });
  const levels = options.quantiles.filter((q) => q !== 0.5).map(levelForQuantile);
  const required = options.quantiles.map(() => new Float64Array(values.length).fill(Number.NaN));
  const dataEndMs = new Float64Array(values.length).fill(Number.NaN);
  const clock = hooks.clockMs;
  const notes: string[] = [];
  const note = (text: string): void => {
    if (notes.length < MAX_NOTES) notes.push(text);
  };
  const models: Record<string, number> = {};
  let fits = 0;
  let fitFailures = 0;
  let fitMs = 0;
  let forecasts = 0;
  let forecastFailures = 0;
  let forecastMs = 0;
  let firstForecastStep: number | undefined;
  let calibratedForecasts = 0;
  const calibration =
    options.calibration === null ? undefined : new FloorCalibration(options.calibration ?? {});

  let model: FittedModel | undefined;
  let fedThrough = -1;
  let lastFitAttempt = Number.NEGATIVE_INFINITY;
  let nextAttempt = 0;
  let gapRun = 0;
  let awaitingResume = false;
  let measuredSinceGap = 0;

  for (let step = 0; step < values.length; step++) {
    const nowMs = startMs + step * stepMs;
    hooks.onTick?.(nowMs, step, values.length);
    const newest = step - 1 - delaySteps;
    if (newest < 0) continue;
    const fresh = values.slice(fedThrough + 1, newest + 1);
    fresh.forEach((value, offset) =>
      calibration?.observe(startMs + (fedThrough + 2 + offset) * stepMs, value),
    );
    fedThrough = newest;
    for (const value of fresh) {
      if (Number.isFinite(value)) {
        gapRun = 0;
        measuredSinceGap++;
      } else if (++gapRun > maxGapSteps && !awaitingResume) {
        awaitingResume = true;
        measuredSinceGap = 0;
        if (model !== undefined) note(`step ${step}: a gap longer than ${maxGapSteps} steps: model dropped`);
        model = undefined;
      }
    }
    const started = clock?.() ?? 0;
    if (model !== undefined && fresh.length > 0) model = model.update(fresh);

    const known = newest + 1;
    const due =
      step >= nextAttempt &&
      (model === undefined
        ? known >= warmupSteps && (!awaitingResume || measuredSinceGap >= resumeSteps)
        : newest - lastFitAttempt >= retrainSteps);
    if (due) {
      lastFitAttempt = newest;
      const from = Math.max(0, known - trainSteps);
      const history = values.slice(from, known);
      const missing = history.filter((value) => !Number.isFinite(value)).length;
      if (missing / history.length > MAX_MISSING_FRACTION) {
        nextAttempt = step + retryAfterFailureSteps;
      } else {
        const fitStarted = clock?.() ?? 0;
        try {
          model = forecaster.fit({ values: history, stepSeconds, startMs: startMs + from * stepMs });
          fits++;
          models[model.name] = (models[model.name] ?? 0) + 1;
          awaitingResume = false;
        } catch (error) {
          fitFailures++;
          nextAttempt = step + retryAfterFailureSteps;
          note(`step ${step}: fit failed: ${error instanceof Error ? error.message : String(error)}`);
        }
        fitMs += (clock?.() ?? 0) - fitStarted;
      }
    }

    if (model !== undefined && Number.isFinite(values[newest])) {
      const shared = new SharedForecast(model, levels);
      try {
        const asked = options.quantiles.map((quantile) =>
          requiredReplicas(shared, {
            fromStep: window.fromStep,
            toStep: window.toStep,
            podCapacity: options.podCapacity,
            quantile,
            ...(calibration === undefined ? {} : { calibration }),
          }),
        );
        asked.forEach(({ replicas }, index) => {
          const series = required[index];
          if (series !== undefined) series[step] = replicas;
        });
        const endMs = startMs + (newest + 1) * stepMs;
        dataEndMs[step] = endMs;
        const first = asked[0];
        if (first !== undefined) {
          if (first.calibrated) calibratedForecasts++;
          calibration?.recordForecast(endMs, stepMs, first.pointForecast, window.fromStep, window.toStep);
        }
        forecasts++;
        firstForecastStep ??= step;
      } catch (error) {
        forecastFailures++;
        note(`step ${step}: forecast failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    forecastMs += (clock?.() ?? 0) - started;
  }
  return {
    quantiles: [...options.quantiles],
    requiredReplicas: required,
    dataEndMs,
    firstForecastStep,
    window,
    stats: {
      fits,
      fitFailures,
      fitSeconds: fitMs / 1000,
      forecasts,
      forecastFailures,
      updateAndPredictSeconds: Math.max(0, forecastMs - fitMs) / 1000,
      models,
      calibratedForecasts,
    },
    notes,
  };
}

/** The interval level `requiredReplicas` reads for quantile q (same rounding). */
function levelForQuantile(quantile: number): number {
  return Math.round((2 * quantile - 1) * 100 * 1e6) / 1e6;
}

/**
 * One `predict` per tick for all quantiles: `requiredReplicas` asks for one level at a time, and this
 * answers every call of the tick from a single forecast holding all the levels (a model's interval
 * at one level does not depend on which other levels are asked for).
 */
class SharedForecast implements FittedModel {
  private readonly cache = new Map<number, Forecast>();

  constructor(
    private readonly model: FittedModel,
    private readonly levels: readonly number[],
  ) {}

  get name(): string {
    return this.model.name;
  }

  get notes(): readonly string[] {
    return this.model.notes;
  }

  predict(horizonSteps: number, options?: PredictOptions): Forecast {
    const asked = options?.levels ?? [];
    if (!asked.every((level) => this.levels.includes(level)))
      return this.model.predict(horizonSteps, options);
    let forecast = this.cache.get(horizonSteps);
    if (forecast === undefined) {
      forecast = this.model.predict(horizonSteps, { levels: this.levels });
      this.cache.set(horizonSteps, forecast);
    }
    return forecast;
  }

  update(newValues: readonly number[]): FittedModel {
    return this.model.update(newValues);
  }

  toJSON(): ModelState {
    return this.model.toJSON();
  }
}
