import { assertHorizon, ModelError, ModelErrorCode } from "../errors.js";
import { DEFAULT_LEVELS, type Forecast, type PredictOptions } from "../forecast.js";
import type { FittedModel, Forecaster, ModelState } from "../forecaster.js";
import { cleanValues } from "../cleaning/clean-values.js";
import { multiplicativeAdjustment } from "../decomposition/multiplicative-adjustment.js";
import { rotateCycle } from "../decomposition/rotate-cycle.js";
import { zForLevel } from "../math/normal-quantile.js";
import type { Series } from "../series.js";
import { differenceSigma } from "./seasonal-naive.js";

export interface Naive2State extends ModelState {
  readonly kind: "naive2";
  readonly period: number;
  /** Last seasonally adjusted observation: the flat adjusted forecast. */
  readonly lastAdjusted: number;
  /** Seasonal indices for the next `period` steps (all 1 when not seasonal). */
  readonly cycleIndices: readonly number[];
  /** Root mean square of one-step differences of the adjusted series. */
  readonly sigma: number;
  readonly notes: readonly string[];
}

/**
 * Naive2, the M4 benchmark (`Benchmarks and Evaluation.R`): M4 seasonality test; when seasonal,
 * divide by the classical multiplicative seasonal indices, repeat the last adjusted value and
 * multiply by the last `period` indices repeated; otherwise the naive forecast. Intervals are the
 * naive ones on the adjusted series (`σ·sqrt(h)`), reseasonalized.
 */
export class Naive2Forecaster implements Forecaster {
  readonly name = "naive2";
  readonly capabilities = { minTrainLength: 1, supportsIntervals: true } as const;

  constructor(readonly period: number) {
    if (!Number.isInteger(period) || period < 1) {
      throw new ModelError(ModelErrorCode.invalidOption, `period (${period}) must be an integer ≥ 1`);
    }
  }

  fit(series: Series): FittedNaive2 {
    const cleaned = cleanValues(series.values);
    const values = cleaned.values;
    const n = values.length;
    if (n === 0) throw new ModelError(ModelErrorCode.insufficientData, "series has no observations");
    const adjustment = multiplicativeAdjustment(values, this.period);
    return new FittedNaive2({
      kind: "naive2",
      version: 1,
      period: this.period,
      lastAdjusted: adjustment.adjusted[n - 1] ?? Number.NaN,
      cycleIndices: adjustment.cycleIndices,
      sigma: differenceSigma(adjustment.adjusted, 1),
      notes: [...cleaned.notes, ...adjustment.notes],
    });
  }
}

export class FittedNaive2 implements FittedModel {
  readonly name = "naive2";
  readonly notes: readonly string[];

  constructor(private readonly state: Naive2State) {
    this.notes = state.notes;
  }

  predict(horizonSteps: number, options: PredictOptions = {}): Forecast {
    assertHorizon(horizonSteps);
    const { period, lastAdjusted, cycleIndices, sigma } = this.state;
    const indices: number[] = [];
    for (let h = 1; h <= horizonSteps; h++) indices.push(cycleIndices[(h - 1) % period] ?? 1);
    const levels = options.levels ?? DEFAULT_LEVELS;
    return {
      model: this.name,
      mean: indices.map((index) => lastAdjusted * index),
      intervals: levels.map((level) => {
        const z = zForLevel(level);
        return {
          level,
          lower: indices.map((index, i) => (lastAdjusted - z * sigma * Math.sqrt(i + 1)) * index),
          upper: indices.map((index, i) => (lastAdjusted + z * sigma * Math.sqrt(i + 1)) * index),
        };
      }),
      notes: this.notes,
    };
  }

  /** The last finite new value, divided by its seasonal index, becomes the level; the cycle rolls on. */
  update(newValues: readonly number[]): FittedNaive2 {
    const { period, cycleIndices } = this.state;
    let lastAdjusted = this.state.lastAdjusted;
    newValues.forEach((value, k) => {
      if (Number.isFinite(value)) lastAdjusted = value / (cycleIndices[k % period] ?? 1);
    });
    return new FittedNaive2({
      ...this.state,
      lastAdjusted,
      cycleIndices: rotateCycle(cycleIndices, newValues.length),
    });
  }

  toJSON(): Naive2State {
    return this.state;
  }
}

export function restoreNaive2(state: ModelState): FittedNaive2 {
  const candidate = state as Partial<Naive2State>;
  if (
    state.kind !== "naive2" ||
    typeof candidate.period !== "number" ||
    typeof candidate.lastAdjusted !== "number" ||
    typeof candidate.sigma !== "number" ||
    !Array.isArray(candidate.cycleIndices) ||
    candidate.cycleIndices.length !== candidate.period
  ) {
    throw new ModelError(ModelErrorCode.invalidState, "not a naive2 state");
  }
  return new FittedNaive2({ ...(state as Naive2State), notes: candidate.notes ?? [] });
}
