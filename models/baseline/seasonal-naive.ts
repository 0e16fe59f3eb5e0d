import { assertHorizon, ModelError, ModelErrorCode } from "../errors.js";
import { DEFAULT_LEVELS, type Forecast, type PredictOptions } from "../forecast.js";
import type { FittedModel, Forecaster, ModelState } from "../forecaster.js";
import { cleanValues } from "../cleaning/clean-values.js";
import { normalIntervals } from "../math/intervals.js";
import type { Series } from "../series.js";

export interface SeasonalNaiveState extends ModelState {
  readonly kind: "seasonal-naive";
  readonly period: number;
  /** The last `period` observations. */
  readonly lastSeason: readonly number[];
  /** Standard deviation of the in-sample `period`-step differences. */
  readonly sigma: number;
  readonly notes: readonly string[];
}

/**
 * Seasonal naive: repeats the last observed season. With `period` 1 this is the naive (random walk)
 * forecast. Intervals follow Hyndman & Athanasopoulos (FPP3 §5.5): `sigma·sqrt(k + 1)` with `k` whole
 * seasons elapsed.
 */
export class SeasonalNaiveForecaster implements Forecaster {
  readonly name: string;
  readonly capabilities;

  constructor(readonly period: number) {
    if (!Number.isInteger(period) || period < 1) {
      throw new ModelError(ModelErrorCode.invalidOption, `period (${period}) must be an integer ≥ 1`);
    }
    this.name = period === 1 ? "naive" : `snaive(${period})`;
    this.capabilities = { minTrainLength: period === 1 ? 1 : period, supportsIntervals: true } as const;
  }

  fit(series: Series): FittedModel {
    const cleaned = cleanValues(series.values);
    const values = cleaned.values;
    if (values.length === 0)
      throw new ModelError(ModelErrorCode.insufficientData, "series has no observations");
    const notes = [...cleaned.notes];
    let period = this.period;
    if (values.length < period) {
      notes.push(`history (${values.length}) shorter than period ${period}: fell back to naive`);
      period = 1;
    }
    return new FittedSeasonalNaive({
      kind: "seasonal-naive",
      version: 1,
      period,
      lastSeason: values.slice(-period),
      sigma: differenceSigma(values, period),
      notes,
    });
  }
}

export class FittedSeasonalNaive implements FittedModel {
  readonly name: string;
  readonly notes: readonly string[];

  constructor(private readonly state: SeasonalNaiveState) {
    this.name = state.period === 1 ? "naive" : `snaive(${state.period})`;
    this.notes = state.notes;
  }

  predict(horizonSteps: number, options: PredictOptions = {}): Forecast {
    assertHorizon(horizonSteps);
    const { period, lastSeason, sigma } = this.state;
    const mean: number[] = [];
    const sd: number[] = [];
    for (let h = 0; h < horizonSteps; h++) {
      mean.push(lastSeason[h % period] ?? Number.NaN);
      sd.push(sigma * Math.sqrt(Math.floor(h / period) + 1));
    }
    return {
      model: this.name,
      mean,
      intervals: normalIntervals(mean, sd, options.levels ?? DEFAULT_LEVELS),
      notes: this.notes,
    };
  }

  /** A missing new value is taken as what the model predicted for it, so the season keeps its phase. */
  update(newValues: readonly number[]): FittedModel {
    const season = [...this.state.lastSeason];
    for (const value of newValues) {
      const predicted = season[season.length - this.state.period] ?? Number.NaN;
      season.push(Number.isFinite(value) ? value : predicted);
    }
    return new FittedSeasonalNaive({ ...this.state, lastSeason: season.slice(-this.state.period) });
  }

  toJSON(): SeasonalNaiveState {
    return this.state;
  }
}

export function restoreSeasonalNaive(state: ModelState): FittedSeasonalNaive {
  const candidate = state as Partial<SeasonalNaiveState>;
  if (
    state.kind !== "seasonal-naive" ||
    typeof candidate.period !== "number" ||
    !Array.isArray(candidate.lastSeason) ||
    typeof candidate.sigma !== "number"
  ) {
    throw new ModelError(ModelErrorCode.invalidState, "not a seasonal-naive state");
  }
  return new FittedSeasonalNaive({ ...(state as SeasonalNaiveState), notes: candidate.notes ?? [] });
}

/** Root mean square of lag-`lag` differences; 0 when there are none. */
export function differenceSigma(values: readonly number[], lag: number): number {
  let sum = 0;
  let count = 0;
  for (let i = lag; i < values.length; i++) {
    const diff = (values[i] ?? 0) - (values[i - lag] ?? 0);
    sum += diff * diff;
    count++;
  }
  return count > 0 ? Math.sqrt(sum / count) : 0;
}
