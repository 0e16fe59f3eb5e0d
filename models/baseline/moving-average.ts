import { assertHorizon, ModelError, ModelErrorCode } from "../errors.js";
import { DEFAULT_LEVELS, type Forecast, type PredictOptions } from "../forecast.js";
import type { FittedModel, Forecaster, ModelState } from "../forecaster.js";
import { cleanValues } from "../cleaning/clean-values.js";
import { normalIntervals } from "../math/intervals.js";
import type { Series } from "../series.js";

export interface MovingAverageOptions {
  /**
   * Horizon the forecasts will be used at: the window is chosen for the mean squared error over
   * steps 1…horizonSteps ahead, from every origin of the training series.
   */
  readonly horizonSteps: number;
  /**
   * Window lengths to choose from.
   * @defaultValue powers of two from 1 to 1024 with their 1.5× midpoints (1, 2, 3, 4, 6, 8, 12, …)
   */
  readonly windows?: readonly number[];
}

export interface MovingAverageState extends ModelState {
  readonly kind: "moving-average";
  /** The newest `window` observations, oldest first. */
  readonly recent: readonly number[];
  readonly window: number;
  /** Root mean squared error of the in-sample forecasts per step ahead (index 0 = one step). */
  readonly rmse: readonly number[];
  readonly notes: readonly string[];
}

const DEFAULT_WINDOWS = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024];
/** Fewest in-sample origins a window must be scored on to be a candidate. */
const MIN_ORIGINS = 10;

/**
 * The mean of the last `w` observations, carried forward flat — a local level with no trend and no
 * season. `w` is chosen by the in-sample error at the horizon the forecasts serve, not at one step:
 * for noisy counts (requests per minute) a few-minutes-ahead level is best estimated by averaging
 * away the noise, which one-step fits (SES by likelihood) do not favour. Flat forecasts also keep
 * floors sized on them from chasing noise. Intervals are normal with the measured error per step.
 */
export class MovingAverageForecaster implements Forecaster {
  readonly name = "moving-average";
  readonly capabilities = { minTrainLength: 2, supportsIntervals: true } as const;
  private readonly horizonSteps: number;
  private readonly windows: readonly number[];

  /** @throws ModelError `invalidOption` for a horizon or window that is not a positive integer. */
  constructor(options: MovingAverageOptions) {
    const positive = (value: number): boolean => Number.isInteger(value) && value >= 1;
    if (!positive(options.horizonSteps)) {
      throw new ModelError(ModelErrorCode.invalidOption, "horizonSteps must be a positive integer");
    }
    const windows = options.windows ?? DEFAULT_WINDOWS;
    if (windows.length === 0 || !windows.every(positive)) {
      throw new ModelError(ModelErrorCode.invalidOption, "windows must be positive integers");
    }
    this.horizonSteps = options.horizonSteps;
    this.windows = [...new Set(windows)].sort((a, b) => a - b);
  }

  fit(series: Series): FittedModel {
    const cleaned = cleanValues(series.values);
    const values = cleaned.values;
    const n = values.length;
    if (n === 0) throw new ModelError(ModelErrorCode.insufficientData, "series has no observations");
    const prefix = new Float64Array(n + 1);
    for (let i = 0; i < n; i++) prefix[i + 1] = (prefix[i] ?? 0) + (values[i] ?? 0);
    let best: { window: number; mse: number; rmse: number[] } | undefined;
    for (const window of this.windows) {
      const scored = scoreWindow(values, prefix, window, this.horizonSteps);
      if (scored === undefined) continue;
      if (best === undefined || scored.mse < best.mse) best = { window, ...scored };
    }
    const notes = [...cleaned.notes];
    if (best === undefined) {
      notes.push("too short to choose a window: mean of all observations");
      const window = n;
      const mean = (prefix[n] ?? 0) / n;
      const sd = Math.sqrt(values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / Math.max(1, n - 1));
      best = { window, mse: sd * sd, rmse: Array.from({ length: this.horizonSteps }, () => sd) };
    }
    return new FittedMovingAverage({
      kind: "moving-average",
      version: 1,
      recent: values.slice(n - best.window),
      window: best.window,
      rmse: best.rmse,
      notes,
    });
  }
}

/** In-sample mean squared error of a window over steps 1…horizon, and its root per step. */
function scoreWindow(
  values: readonly number[],
  prefix: Float64Array,
  window: number,
  horizon: number,
): { mse: number; rmse: number[] } | undefined {
  const n = values.length;
  const origins = n - window - horizon + 1;
  if (origins < MIN_ORIGINS) return undefined;
  const squared = new Float64Array(horizon);
  for (let end = window; end + horizon <= n; end++) {
    const level = ((prefix[end] ?? 0) - (prefix[end - window] ?? 0)) / window;
    for (let h = 0; h < horizon; h++) squared[h] = (squared[h] ?? 0) + ((values[end + h] ?? 0) - level) ** 2;
  }
  const rmse = Array.from(squared, (sum) => Math.sqrt(sum / origins));
  const mse = squared.reduce((sum, value) => sum + value, 0) / (origins * horizon);
  return { mse, rmse };
}

export class FittedMovingAverage implements FittedModel {
  readonly name: string;
  readonly notes: readonly string[];

  constructor(private readonly state: MovingAverageState) {
    this.name = `moving-average(${state.window})`;
    this.notes = state.notes;
  }

  predict(horizonSteps: number, options: PredictOptions = {}): Forecast {
    assertHorizon(horizonSteps);
    const { recent, rmse } = this.state;
    const level = recent.reduce((sum, value) => sum + value, 0) / Math.max(1, recent.length);
    const mean = Array.from({ length: horizonSteps }, () => level);
    const last = rmse[rmse.length - 1] ?? 0;
    // Beyond the fitted horizon the error keeps growing as a random walk's would from the last step.
    const sd = mean.map((_, h) =>
      h < rmse.length ? (rmse[h] ?? 0) : last * Math.sqrt((h + 1) / Math.max(1, rmse.length)),
    );
    return {
      model: this.name,
      mean,
      intervals: normalIntervals(mean, sd, options.levels ?? DEFAULT_LEVELS),
      notes: this.notes,
    };
  }

  /** Missing new values leave the window as it is (the level is not dragged towards a fill-in). */
  update(newValues: readonly number[]): FittedModel {
    const finite = newValues.filter(Number.isFinite);
    if (finite.length === 0) return this;
    const recent = [...this.state.recent, ...finite].slice(-this.state.window);
    return new FittedMovingAverage({ ...this.state, recent });
  }

  toJSON(): MovingAverageState {
    return this.state;
  }
}

export function restoreMovingAverage(state: ModelState): FittedMovingAverage {
  const candidate = state as Partial<MovingAverageState>;
  const numbers = (value: unknown): value is number[] =>
    Array.isArray(value) && value.every((x) => typeof x === "number" && Number.isFinite(x));
  if (
    state.kind !== "moving-average" ||
    !numbers(candidate.recent) ||
    candidate.recent.length === 0 ||
    !numbers(candidate.rmse) ||
    typeof candidate.window !== "number"
  ) {
    throw new ModelError(ModelErrorCode.invalidState, "not a moving-average state");
  }
  return new FittedMovingAverage({ ...(state as MovingAverageState), notes: candidate.notes ?? [] });
}
