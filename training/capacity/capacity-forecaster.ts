import { cleanValues } from "../../models/cleaning/clean-values.js";
import { ModelError, ModelErrorCode } from "../../models/errors.js";
import type { Forecaster } from "../../models/forecaster.js";
import { buildIntervalCalibration } from "../../models/long-horizon/interval-calibration.js";
import {
  combineLongHorizon,
  FittedLongHorizon,
  LongHorizonForecaster,
  LongHorizonTrend,
} from "../../models/long-horizon/long-horizon-forecaster.js";
import type { Series } from "../../models/series.js";

/** Options of {@link createCapacityForecaster}. */
export interface CapacityForecasterOptions {
  /** Longest horizon the forecaster will be asked for, in days. @defaultValue 180 */
  readonly horizonDays?: number;
  /**
   * Rolling origins of the internal backtest that chooses the members and calibrates the intervals.
   * @defaultValue 8
   */
  readonly folds?: number;
  /**
   * Days between the internal backtest's origins.
   * @defaultValue 30
   */
  readonly foldStrideDays?: number;
  /**
   * Fewest days of history before an internal backtest origin.
   * @defaultValue 365 (less for short series: half of what precedes the last origin, at least 56)
   */
  readonly minFoldTrainDays?: number;
  /**
   * Trend variants backtested; the best few are averaged.
   * @defaultValue `["damped"]`
   */
  readonly trends?: readonly LongHorizonTrend[];
  /**
   * Yearly settings tried for each trend (`[false, true]` lets the backtest decide).
   * @defaultValue `[false, true]`: the backtest decides, and a tie (no fold long enough for a yearly
   * cycle) keeps the simpler model
   */
  readonly yearlyChoices?: readonly boolean[];
  /**
   * A variant joins the combination when its backtest error is within this factor of the best.
   * @defaultValue 1.25
   */
  readonly maxScoreRatio?: number;
  /**
   * Most variants averaged; 1 selects the best. Selection beat averaging on ../shared/data/daily,
   * where the variants differ mainly in whether a yearly cycle is used at all.
   * @defaultValue 1
   */
  readonly combine?: number;
}

/** A fitted variant with its internal backtest errors (working scale, `[origin][step]`). */
interface ScoredVariant {
  readonly forecaster: LongHorizonForecaster;
  readonly score: number;
  readonly errors: readonly (readonly number[])[];
}

/**
 * The forecaster capacity planning uses on daily series (one value per day) for horizons of 3–6
 * months. {@link LongHorizonForecaster} variants — by default the damped trend without and with a
 * yearly cycle — are backtested on rolling origins (every `foldStrideDays`, the last one
 * `horizonDays` before the end) and scored on the error of their 7-day means every 30 days out to the
 * horizon; the best (ties keep the simpler variant) is refitted on all data. Interval widths come
 * from the chosen variant's own backtest errors at each horizon, never narrower than the model's
 * theory and widened for how few independent origins the overlapping backtest windows amount to at
 * long horizons; with too little history to backtest, the damped trend with theory intervals is used
 * and a note says so.
 */
export function createCapacityForecaster(options: CapacityForecasterOptions = {}): Forecaster {
  return new CapacityForecaster(options);
}

export class CapacityForecaster implements Forecaster {
  readonly name = "capacity";
  readonly capabilities = { minTrainLength: 1, supportsIntervals: true } as const;
  private readonly horizonDays: number;

  constructor(private readonly options: CapacityForecasterOptions = {}) {
    this.horizonDays = options.horizonDays ?? 180;
    for (const [field, value] of [
      ["horizonDays", this.horizonDays],
      ["folds", options.folds ?? 8],
      ["foldStrideDays", options.foldStrideDays ?? 30],
      ["combine", options.combine ?? 1],
    ] as const) {
      if (!Number.isInteger(value) || value < 1) {
        throw new ModelError(ModelErrorCode.invalidOption, `${field} (${value}) must be an integer ≥ 1`);
      }
    }
  }

  fit(series: Series): FittedLongHorizon {
    const cleaned = cleanValues(series.values);
    const values = cleaned.values;
    const n = values.length;
    if (n === 0) throw new ModelError(ModelErrorCode.insufficientData, "series has no observations");
    const clean: Series = { ...series, values };
    const variants = variantsFor(
      this.options.trends ?? [LongHorizonTrend.damped],
      this.options.yearlyChoices ?? [false, true],
    );
    const horizon = this.horizonDays;
    const stride = this.options.foldStrideDays ?? 30;
    const minTrain =
      this.options.minFoldTrainDays ?? Math.min(365, Math.max(56, Math.floor((n - horizon) / 2)));
    const origins: number[] = [];
    for (let k = 0; k < (this.options.folds ?? 8); k++) {
      const origin = n - horizon - k * stride;
      if (origin < minTrain) break;
      origins.push(origin);
    }
    const positive = values.every((value) => value > 0);
    const toWorking = positive ? Math.log : (value: number) => value;
    const scored: ScoredVariant[] = variants.map((forecaster) => {
      const errors = origins.map((origin) => {
        const forecast = forecaster.fit({ values: values.slice(0, origin), stepSeconds: series.stepSeconds });
        const predicted = forecast.predict(horizon, { levels: [] }).mean;
        return predicted.map((p, h) => toWorking(values[origin + h] ?? Number.NaN) - toWorking(p));
      });
      return { forecaster, errors, score: windowScore(errors, horizon) };
    });
    const notes: string[] = [];
    const ranked = scored
      .filter((variant) => Number.isFinite(variant.score))
      .sort((a, b) => a.score - b.score);
    const best = ranked[0]?.score ?? Number.NaN;
    const limit = best * (this.options.maxScoreRatio ?? 1.25);
    const chosen = ranked
      .filter((variant, index) => index === 0 || variant.score <= limit)
      .slice(0, this.options.combine ?? 1);
    const members =
      chosen.length > 0
        ? chosen
        : [{ forecaster: new LongHorizonForecaster(), errors: [], score: Number.NaN }];
    if (chosen.length === 0) {
      notes.push(
        `history of ${n} days too short to backtest ${horizon}-day forecasts: damped trend, theory intervals`,
      );
    } else {
      notes.push(
        `backtest on ${origins.length} origins: ${ranked.map((v) => `${v.forecaster.name} ${v.score.toFixed(4)}`).join(", ")}`,
      );
    }
    const fitted = combineLongHorizon(
      members.map((member) => member.forecaster.fit(clean)),
      notes,
    );
    // The origins are `stride` days apart but forecast `horizon` days: their long-horizon errors
    // overlap, and the calibration counts them as the fewer independent origins they amount to.
    const calibration = buildIntervalCalibration(
      combinedErrors(members.map((member) => member.errors)),
      (step) => fitted.theorySpread(step),
      { originStrideSteps: stride },
    );
    return fitted.withCalibration(
      calibration,
      calibration ? [] : ["too few backtest origins to calibrate intervals: model-theory intervals"],
    );
  }
}

/**
 * Backtest errors of the average of several members, per origin and step: the combined forecast is
 * the members' mean in the working scale, so its error is the mean of theirs.
 */
function combinedErrors(byMember: readonly (readonly (readonly number[])[])[]): number[][] {
  const [first = []] = byMember;
  return first.map((row, origin) =>
    row.map((_, step) => {
      let sum = 0;
      for (const errors of byMember) sum += errors[origin]?.[step] ?? Number.NaN;
      return sum / byMember.length;
    }),
  );
}

function variantsFor(
  trends: readonly LongHorizonTrend[],
  yearlyChoices: readonly boolean[],
): LongHorizonForecaster[] {
  return yearlyChoices.flatMap((yearly) =>
    trends.map((trend) => new LongHorizonForecaster({ trend, yearly })),
  );
}

/**
 * Mean absolute error of 7-day-mean forecasts (working scale) at every 30th day and at the horizon,
 * over all origins: the quantity capacity planning is judged on.
 */
function windowScore(errors: readonly (readonly number[])[], horizon: number): number {
  const ends = [...new Set([...range(30, horizon, 30), horizon])].filter((end) => end >= 7);
  let sum = 0;
  let count = 0;
  for (const row of errors) {
    for (const end of ends) {
      const window = row.slice(end - 7, end).filter(Number.isFinite);
      if (window.length < 4) continue;
      sum += Math.abs(window.reduce((total, e) => total + e, 0) / window.length);
      count++;
    }
  }
  return count === 0 ? Number.NaN : sum / count;
}

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let value = from; value <= to; value += step) out.push(value);
  return out;
}
