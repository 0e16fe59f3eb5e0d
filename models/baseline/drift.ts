import { assertHorizon, ModelError, ModelErrorCode } from "../errors.js";
import { DEFAULT_LEVELS, type Forecast, type PredictOptions } from "../forecast.js";
import type { FittedModel, Forecaster, ModelState } from "../forecaster.js";
import { cleanValues } from "../cleaning/clean-values.js";
import { normalIntervals } from "../math/intervals.js";
import type { Series } from "../series.js";

export interface DriftState extends ModelState {
  readonly kind: "drift";
  readonly last: number;
  readonly slope: number;
  /** Training length, for the parameter-uncertainty term of the interval. */
  readonly length: number;
  /** Standard deviation of one-step residuals around the drift. */
  readonly sigma: number;
  readonly notes: readonly string[];
}

/** Random walk with drift: the line from the first to the last observation, extended (FPP3 §5.2). */
export class DriftForecaster implements Forecaster {
  readonly name = "drift";
  readonly capabilities = { minTrainLength: 2, supportsIntervals: true } as const;

  fit(series: Series): FittedModel {
    const cleaned = cleanValues(series.values);
    const values = cleaned.values;
    const n = values.length;
    if (n === 0) throw new ModelError(ModelErrorCode.insufficientData, "series has no observations");
    const first = values[0] ?? 0;
    const last = values[n - 1] ?? 0;
    const slope = n > 1 ? (last - first) / (n - 1) : 0;
    let sum = 0;
    for (let i = 1; i < n; i++) {
      const residual = (values[i] ?? 0) - (values[i - 1] ?? 0) - slope;
      sum += residual * residual;
    }
    const sigma = n > 2 ? Math.sqrt(sum / (n - 2)) : 0;
    const notes = [...cleaned.notes];
    if (n < 2) notes.push("one observation: drift is zero");
    return new FittedDrift({ kind: "drift", version: 1, last, slope, length: n, sigma, notes });
  }
}

export class FittedDrift implements FittedModel {
  readonly name = "drift";
  readonly notes: readonly string[];

  constructor(private readonly state: DriftState) {
    this.notes = state.notes;
  }

  predict(horizonSteps: number, options: PredictOptions = {}): Forecast {
    assertHorizon(horizonSteps);
    const { last, slope, length, sigma } = this.state;
    const mean: number[] = [];
    const sd: number[] = [];
    for (let h = 1; h <= horizonSteps; h++) {
      mean.push(last + slope * h);
      sd.push(sigma * Math.sqrt(h * (1 + h / Math.max(1, length - 1))));
    }
    return {
      model: this.name,
      mean,
      intervals: normalIntervals(mean, sd, options.levels ?? DEFAULT_LEVELS),
      notes: this.notes,
    };
  }

  update(newValues: readonly number[]): FittedModel {
    const finite = newValues.filter(Number.isFinite);
    if (finite.length === 0) return this;
    return new FittedDrift({
      ...this.state,
      last: finite[finite.length - 1] ?? this.state.last,
      length: this.state.length + newValues.length,
    });
  }

  toJSON(): DriftState {
    return this.state;
  }
}

export function restoreDrift(state: ModelState): FittedDrift {
  const candidate = state as Partial<DriftState>;
  if (state.kind !== "drift" || typeof candidate.last !== "number" || typeof candidate.slope !== "number") {
    throw new ModelError(ModelErrorCode.invalidState, "not a drift state");
  }
  return new FittedDrift({ ...(state as DriftState), notes: candidate.notes ?? [] });
}
