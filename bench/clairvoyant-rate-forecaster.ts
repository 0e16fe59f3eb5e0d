import { DEFAULT_LEVELS, type Forecast, type PredictOptions } from "../models/forecast.js";
import type { FittedModel, Forecaster, ModelState } from "../models/forecaster.js";
import { normalIntervals } from "../models/math/intervals.js";
import type { Series } from "../models/series.js";
import type { LoadTrace } from "../src/scaler/simulation/load-trace.js";

/**
 * A ceiling for the scaler bench, not a model: it forecasts the trace's own future, smoothed by a
 * centred moving average of `halfWindowSteps` on each side. It knows the rate the load will run at but
 * not the step-to-step noise around it (one value in 2·half+1 leaks), so the floors sized on it show
 * how far better forecasts could take presage on this trace. Intervals are Poisson-like (±z·√mean)
 * until the floor calibration has its day of errors.
 */
export class ClairvoyantRateForecaster implements Forecaster {
  readonly name = "clairvoyant-rate";
  readonly capabilities = { minTrainLength: 1, supportsIntervals: true } as const;
  private readonly smoothed: Float64Array;

  constructor(
    private readonly trace: LoadTrace,
    halfWindowSteps: number,
  ) {
    this.smoothed = centredMean(trace.values, halfWindowSteps);
  }

  fit(series: Series): FittedModel {
    const stepMs = this.trace.stepSeconds * 1000;
    const first = Math.round(((series.startMs ?? this.trace.startMs) - this.trace.startMs) / stepMs);
    return new FittedClairvoyantRate(this.smoothed, first + series.values.length);
  }
}

class FittedClairvoyantRate implements FittedModel {
  readonly name = "clairvoyant-rate";
  readonly notes: readonly string[] = [];

  /** `next`: trace index of the first step after the data seen. */
  constructor(
    private readonly smoothed: Float64Array,
    private readonly next: number,
  ) {}

  predict(horizonSteps: number, options: PredictOptions = {}): Forecast {
    const mean = Array.from({ length: horizonSteps }, (_, h) => {
      const value = this.smoothed[this.next + h];
      return value !== undefined && Number.isFinite(value) ? value : (this.lastKnown() ?? 0);
    });
    const sd = mean.map((value) => Math.sqrt(Math.max(value, 0)));
    const intervals = normalIntervals(mean, sd, options.levels ?? DEFAULT_LEVELS);
    return { model: this.name, mean, intervals, notes: [] };
  }

  update(newValues: readonly number[]): FittedModel {
    return new FittedClairvoyantRate(this.smoothed, this.next + newValues.length);
  }

  toJSON(): ModelState {
    return { kind: "clairvoyant-rate", version: 1, next: this.next };
  }

  private lastKnown(): number | undefined {
    for (let i = Math.min(this.next, this.smoothed.length) - 1; i >= 0; i--) {
      const value = this.smoothed[i];
      if (value !== undefined && Number.isFinite(value)) return value;
    }
    return undefined;
  }
}

/** Mean of the measured values within ±half of each step (`NaN` where none is measured). */
function centredMean(values: readonly number[], half: number): Float64Array {
  const out = new Float64Array(values.length).fill(Number.NaN);
  for (let i = 0; i < values.length; i++) {
    let sum = 0;
    let count = 0;
    for (let j = Math.max(0, i - half); j <= Math.min(values.length - 1, i + half); j++) {
      const value = values[j];
      if (value !== undefined && Number.isFinite(value)) {
        sum += value;
        count++;
      }
    }
    if (count > 0) out[i] = sum / count;
  }
  return out;
}
