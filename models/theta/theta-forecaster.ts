import { assertHorizon, ModelError, ModelErrorCode } from "../errors.js";
import { DEFAULT_LEVELS, type Forecast, type PredictOptions } from "../forecast.js";
import type { FittedModel, Forecaster, ModelState } from "../forecaster.js";
import { cleanValues } from "../cleaning/clean-values.js";
import { multiplicativeAdjustment } from "../decomposition/multiplicative-adjustment.js";
import { rotateCycle } from "../decomposition/rotate-cycle.js";
import type { SeasonalityTestOptions } from "../decomposition/seasonality-test.js";
import { normalIntervals } from "../math/intervals.js";
import { normalQuantile } from "../math/normal-quantile.js";
import type { Series } from "../series.js";
import { fitSes } from "./fit-ses.js";

/** Settings of {@link ThetaForecaster}. */
export interface ThetaOptions {
  /**
   * Seasonal period in steps for the seasonality test and multiplicative adjustment; 1 for none.
   * @defaultValue `1`
   */
  readonly period?: number;
  /**
   * Seasonality test settings.
   * @defaultValue R `thetaf`'s: `{ criticalValue: qnorm(0.95), minLength: 2 · period + 1 }`
   */
  readonly seasonalityTest?: SeasonalityTestOptions;
}

export interface ThetaState extends ModelState {
  readonly kind: "theta";
  readonly period: number;
  /** Seasonal indices for the next `period` steps (all 1 when not seasonal). */
  readonly cycleIndices: readonly number[];
  readonly alpha: number;
  /** SES level of the seasonally adjusted series after the last observation. */
  readonly level: number;
  /** Half the least-squares slope of the adjusted series on time, per step. */
  readonly drift: number;
  /** Observations the level has seen (the `n` in the drift correction). */
  readonly length: number;
  /** Standard deviation of the SES one-step errors (`sqrt(SSE / (n − 2))`). */
  readonly sigma: number;
  readonly notes: readonly string[];
}

/**
 * The classic Theta method (Assimakopoulos & Nikolopoulos 2000) exactly as R's `forecast::thetaf`,
 * i.e. SES with drift (Hyndman & Billah 2003): seasonality test, multiplicative classical adjustment
 * when seasonal, SES fitted by least squares on the adjusted series, plus half the slope `b` of the
 * linear trend: `ŷ(h) = ℓ_n + b/2 · (h − 1 + (1 − (1 − α)^n) / α)`, reseasonalized. Intervals are
 * thetaf's `ŷ(h) ± z · σ · sqrt((h − 1) α² + 1)`, σ on the adjusted scale.
 */
export class ThetaForecaster implements Forecaster {
  readonly name = "theta";
  readonly capabilities = { minTrainLength: 3, supportsIntervals: true } as const;
  readonly period: number;
  private readonly testOptions: SeasonalityTestOptions;

  constructor(options: ThetaOptions = {}) {
    const period = options.period ?? 1;
    if (!Number.isInteger(period) || period < 1) {
      throw new ModelError(ModelErrorCode.invalidOption, `period (${period}) must be an integer ≥ 1`);
    }
    this.period = period;
    this.testOptions = options.seasonalityTest ?? {
      criticalValue: normalQuantile(0.95),
      minLength: 2 * period + 1,
    };
  }

  fit(series: Series): FittedTheta {
    const cleaned = cleanValues(series.values);
    const values = cleaned.values;
    const n = values.length;
    if (n === 0) throw new ModelError(ModelErrorCode.insufficientData, "series has no observations");
    const adjustment = multiplicativeAdjustment(values, this.period, this.testOptions);
    const x = adjustment.adjusted;
    const ses = fitSes(x);
    const notes = [...cleaned.notes, ...adjustment.notes];
    if (n < 3) notes.push(`only ${n} observation(s): SES parameters are not identifiable`);
    return new FittedTheta({
      kind: "theta",
      version: 1,
      period: this.period,
      cycleIndices: adjustment.cycleIndices,
      alpha: ses.alpha,
      level: ses.level,
      drift: leastSquaresSlope(x) / 2,
      length: n,
      sigma: n > 2 ? Math.sqrt(ses.sse / (n - 2)) : 0,
      notes,
    });
  }
}

export class FittedTheta implements FittedModel {
  readonly name = "theta";
  readonly notes: readonly string[];

  constructor(private readonly state: ThetaState) {
    this.notes = state.notes;
  }

  predict(horizonSteps: number, options: PredictOptions = {}): Forecast {
    assertHorizon(horizonSteps);
    const { period, cycleIndices, alpha, level, drift, length, sigma } = this.state;
    const correction = (1 - (1 - alpha) ** length) / alpha;
    const mean: number[] = [];
    const sd: number[] = [];
    for (let h = 1; h <= horizonSteps; h++) {
      const index = cycleIndices[(h - 1) % period] ?? 1;
      mean.push((level + drift * (h - 1 + correction)) * index);
      sd.push(sigma * Math.sqrt((h - 1) * alpha * alpha + 1));
    }
    return {
      model: this.name,
      mean,
      intervals: normalIntervals(mean, sd, options.levels ?? DEFAULT_LEVELS),
      notes: this.notes,
    };
  }

  /**
   * Advances the SES level through the new observations (each divided by its seasonal index) and
   * rolls the seasonal cycle forward; α, the drift and the indices stay as fitted. Missing values
   * advance time but not the level.
   */
  update(newValues: readonly number[]): FittedTheta {
    const { period, cycleIndices, alpha } = this.state;
    let level = this.state.level;
    let length = this.state.length;
    newValues.forEach((value, k) => {
      if (!Number.isFinite(value)) return;
      const adjusted = value / (cycleIndices[k % period] ?? 1);
      level += alpha * (adjusted - level);
      length++;
    });
    return new FittedTheta({
      ...this.state,
      level,
      length,
      cycleIndices: rotateCycle(cycleIndices, newValues.length),
    });
  }

  toJSON(): ThetaState {
    return this.state;
  }
}

export function restoreTheta(state: ModelState): FittedTheta {
  const candidate = state as Partial<ThetaState>;
  const numbers = [
    candidate.period,
    candidate.alpha,
    candidate.level,
    candidate.drift,
    candidate.length,
    candidate.sigma,
  ];
  if (
    state.kind !== "theta" ||
    numbers.some((value) => typeof value !== "number") ||
    !Array.isArray(candidate.cycleIndices) ||
    candidate.cycleIndices.length !== candidate.period
  ) {
    throw new ModelError(ModelErrorCode.invalidState, "not a theta state");
  }
  return new FittedTheta({ ...(state as ThetaState), notes: candidate.notes ?? [] });
}

/** Slope of the least-squares line of `values` on time 0, 1, …; 0 for fewer than two points. */
export function leastSquaresSlope(values: readonly number[]): number {
  const n = values.length;
  if (n < 2) return 0;
  const meanT = (n - 1) / 2;
  let meanY = 0;
  for (const y of values) meanY += y;
  meanY /= n;
  let sxy = 0;
  let sxx = 0;
  values.forEach((y, t) => {
    sxy += (t - meanT) * (y - meanY);
    sxx += (t - meanT) * (t - meanT);
  });
  return sxy / sxx;
}
