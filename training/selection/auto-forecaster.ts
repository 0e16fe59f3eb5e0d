import { cleanValues } from "../../models/cleaning/clean-values.js";
import { assertHorizon, ModelError, ModelErrorCode } from "../../models/errors.js";
import {
  DEFAULT_LEVELS,
  type Forecast,
  type PredictionInterval,
  type PredictOptions,
} from "../../models/forecast.js";
import type { FittedModel, Forecaster, ModelState } from "../../models/forecaster.js";
import { quantileSorted } from "../../models/math/intervals.js";
import { zForLevel } from "../../models/math/normal-quantile.js";
import type { Series } from "../../models/series.js";
import { rollingOriginBacktest, type BacktestResult } from "../backtest/rolling-origin-backtest.js";
import { rollForwardBacktest } from "./roll-forward-backtest.js";

export interface AutoForecasterOptions {
  /** Models to choose from, in order of preference for ties. */
  readonly candidates: readonly Forecaster[];
  /**
   * Costly candidates (neural networks) backtested by fitting once before the first origin and
   * rolling forward with `update()` (see `rollForwardBacktest`); when chosen, that model advanced to
   * the end is used instead of a refit. They compete and combine with `candidates` on the same
   * folds and MASE.
   * @defaultValue none
   */
  readonly rollForwardCandidates?: readonly Forecaster[];
  /**
   * A roll-forward candidate joins the combination only when its backtest MASE is within this factor
   * of the best of `candidates`: at 1 it must beat every regular candidate, so a costly model is used
   * only where it wins. (On M4 Hourly H1–H150 letting LSTMs in at `maxScoreRatio`, like the regular
   * candidates, raised OWA from 0.568 to 0.606.)
   * @defaultValue 1
   */
  readonly rollForwardMaxScoreRatio?: number;
  /** Used when every candidate fails or the history is too short to backtest. */
  readonly fallback: Forecaster;
  /** Backtest horizon: the horizon the forecasts will be used at. */
  readonly horizonSteps: number;
  /** Seasonal period for MASE scaling in the backtest. */
  readonly period: number;
  /**
   * Rolling origins per candidate.
   * @defaultValue 4
   */
  readonly folds?: number;
  /**
   * Most candidates to average. 1 selects the single best.
   * @defaultValue 5
   */
  readonly combine?: number;
  /**
   * A candidate joins the combination only when its backtest MASE is within this factor of the best:
   * models that backtest about equally well are averaged, clearly worse ones are left out.
   * @defaultValue 1.25
   */
  readonly maxScoreRatio?: number;
  /**
   * Fewest backtest residuals needed to calibrate interval widths empirically; with fewer, the
   * members' own intervals are averaged.
   * @defaultValue 40
   */
  readonly minCalibrationPoints?: number;
}

/** Backtest score of one candidate, kept for reports. */
export interface CandidateScore {
  readonly name: string;
  readonly mase: number;
  readonly chosen: boolean;
}

export interface AutoState extends ModelState {
  readonly kind: "auto";
  readonly members: readonly ModelState[];
  /** Sorted |error| / model standard deviation from the backtest of the combination. */
  readonly calibration: readonly number[];
  readonly scores: readonly CandidateScore[];
  readonly notes: readonly string[];
}

const Z80 = zForLevel(80);

/**
 * Automatic selection and combination: backtests every candidate on rolling origins, averages the
 * point forecasts of the few that backtest about as well as the best (by MASE; combinations of a few
 * good models did very well in M4), and
 * calibrates interval widths on the combination's own backtest errors, so coverage is measured
 * rather than assumed.
 */
export class AutoForecaster implements Forecaster {
  readonly name = "auto";
  readonly capabilities;

  constructor(private readonly options: AutoForecasterOptions) {
    this.capabilities = {
      minTrainLength: options.fallback.capabilities.minTrainLength,
      supportsIntervals: true,
    } as const;
  }

  fit(series: Series): FittedModel {
    const cleaned = cleanValues(series.values);
    const values = cleaned.values;
    // Leading gaps are dropped: the cleaned series starts that many steps later.
    const startMs =
      series.startMs === undefined
        ? undefined
        : series.startMs + cleaned.droppedLeading * series.stepSeconds * 1000;
    const clean: Series = { ...series, values, ...(startMs === undefined ? {} : { startMs }) };
    const notes = [...cleaned.notes];
    const { horizonSteps, period } = this.options;
    const results: { forecaster: Forecaster; backtest: BacktestResult }[] = [];
    for (const forecaster of this.options.candidates) {
      if (values.length < forecaster.capabilities.minTrainLength + horizonSteps) continue;
      const backtest = rollingOriginBacktest(values, forecaster, {
        horizonSteps,
        period,
        folds: this.options.folds ?? 4,
        stepSeconds: series.stepSeconds,
        ...(startMs === undefined ? {} : { startMs }),
      });
      if (backtest.folds.length > 0 && Number.isFinite(backtest.mase)) results.push({ forecaster, backtest });
    }
    const rolledForward = new Map<Forecaster, FittedModel>();
    for (const forecaster of this.options.rollForwardCandidates ?? []) {
      const rolled = rollForwardBacktest(values, forecaster, {
        horizonSteps,
        period,
        folds: this.options.folds ?? 4,
        stepSeconds: series.stepSeconds,
        ...(startMs === undefined ? {} : { startMs }),
      });
      if (rolled.fitted && rolled.backtest.folds.length > 0 && Number.isFinite(rolled.backtest.mase)) {
        results.push({ forecaster, backtest: rolled.backtest });
        rolledForward.set(forecaster, rolled.fitted);
      }
    }
    const ranked = [...results].sort((a, b) => a.backtest.mase - b.backtest.mase);
    const bestScore = ranked[0]?.backtest.mase ?? Infinity;
    const maxScore = bestScore * (this.options.maxScoreRatio ?? 1.25);
    const chosen: { forecaster: Forecaster; backtest: BacktestResult; fitted: FittedModel }[] = [];
    const regularBest = Math.min(
      ...results
        .filter((result) => !rolledForward.has(result.forecaster))
        .map((result) => result.backtest.mase),
    );
    const maxRolledScore = regularBest * (this.options.rollForwardMaxScoreRatio ?? 1);
    for (const candidate of ranked) {
      if (chosen.length >= (this.options.combine ?? 5)) break;
      if (candidate.backtest.mase > maxScore && chosen.length > 0) break;
      if (rolledForward.has(candidate.forecaster) && candidate.backtest.mase > maxRolledScore) continue;
      try {
        const fitted = rolledForward.get(candidate.forecaster) ?? candidate.forecaster.fit(clean);
        chosen.push({ ...candidate, fitted });
      } catch {
        notes.push(`${candidate.forecaster.name} failed on the full history; skipped`);
      }
    }
    if (chosen.length === 0) {
      notes.push(
        `no candidate could be backtested on ${values.length} points: fell back to ${this.options.fallback.name}`,
      );
      const fitted = this.options.fallback.fit(clean);
      return new FittedAuto(
        { kind: "auto", version: 1, members: [fitted.toJSON()], calibration: [], scores: [], notes },
        [fitted],
      );
    }
    const chosenForecasters = new Set(chosen.map((member) => member.forecaster));
    const scores = ranked.map((candidate) => ({
      name: candidateLabel(candidate.forecaster, candidate.backtest),
      mase: candidate.backtest.mase,
      chosen: chosenForecasters.has(candidate.forecaster),
    }));
    const calibration = calibrate(chosen.map((member) => member.backtest));
    const minPoints = this.options.minCalibrationPoints ?? 40;
    const state: AutoState = {
      kind: "auto",
      version: 1,
      members: chosen.map((member) => member.fitted.toJSON()),
      calibration: calibration.length >= minPoints ? calibration : [],
      scores,
      notes,
    };
    return new FittedAuto(
      state,
      chosen.map((member) => member.fitted),
    );
  }
}

export class FittedAuto implements FittedModel {
  readonly name: string;
  readonly notes: readonly string[];

  constructor(
    private readonly state: AutoState,
    private readonly members: readonly FittedModel[],
  ) {
    this.name = `auto[${members.map((member) => member.name).join("+")}]`;
    this.notes = state.notes;
  }

  /** Backtest scores of every candidate, best first. */
  get scores(): readonly CandidateScore[] {
    return this.state.scores;
  }

  predict(horizonSteps: number, options: PredictOptions = {}): Forecast {
    assertHorizon(horizonSteps);
    const levels = options.levels ?? DEFAULT_LEVELS;
    // The 80% interval gives each member's standard deviation; ask for it once, not twice.
    const memberLevels = [...new Set([80, ...levels])];
    const forecasts = this.members.map((member) => member.predict(horizonSteps, { levels: memberLevels }));
    const mean = averageColumns(forecasts.map((forecast) => forecast.mean));
    const sd = averageColumns(forecasts.map(standardDeviation));
    const intervals: PredictionInterval[] = levels.map((level) => {
      if (this.state.calibration.length > 0) {
        const multiplier = quantileSorted(this.state.calibration, level / 100);
        return {
          level,
          lower: mean.map((m, h) => m - multiplier * (sd[h] ?? 0)),
          upper: mean.map((m, h) => m + multiplier * (sd[h] ?? 0)),
        };
      }
      const matching = forecasts.map((forecast) =>
        forecast.intervals.find((interval) => interval.level === level),
      );
      return {
        level,
        lower: averageColumns(matching.map((interval) => interval?.lower ?? mean)),
        upper: averageColumns(matching.map((interval) => interval?.upper ?? mean)),
      };
    });
    const memberNotes = forecasts.flatMap((forecast) =>
      forecast.notes.map((note) => `${forecast.model}: ${note}`),
    );
    return { model: this.name, mean, intervals, notes: [...this.notes, ...memberNotes] };
  }

  update(newValues: readonly number[]): FittedModel {
    const members = this.members.map((member) => member.update(newValues));
    return new FittedAuto({ ...this.state, members: members.map((member) => member.toJSON()) }, members);
  }

  toJSON(): AutoState {
    return this.state;
  }
}

/** Rebuilds a fitted auto model; `restoreMember` restores each member's own family. */
export function restoreAuto(
  state: ModelState,
  restoreMember: (member: ModelState) => FittedModel,
): FittedAuto {
  const candidate = state as Partial<AutoState>;
  if (state.kind !== "auto" || !Array.isArray(candidate.members) || !Array.isArray(candidate.calibration)) {
    throw new ModelError(ModelErrorCode.invalidState, "not an auto state");
  }
  const full = state as AutoState;
  return new FittedAuto({ ...full, notes: full.notes }, full.members.map(restoreMember));
}

/**
 * Normalised absolute backtest errors |y − ŷ| / sd of every chosen member, where sd is the member's
 * 80%-interval half-width over z₈₀: the shape of the uncertainty comes from the models, its size from
 * what actually happened. Members' own errors are used rather than the combination's because the
 * combination was chosen for doing well on these very folds; its errors there are optimistic (on M4
 * Hourly H1–H150 they gave 77%/92% coverage for nominal 80%/95%, members' errors 83%/95%).
 */
function calibrate(backtests: readonly BacktestResult[]): number[] {
  const ratios: number[] = [];
  for (const backtest of backtests) {
    for (const fold of backtest.folds) {
      const sd = standardDeviation(fold.forecast);
      fold.actual.forEach((actual, h) => {
        const spread = sd[h] ?? 0;
        const predicted = fold.forecast.mean[h] ?? Number.NaN;
        if (spread > 0 && Number.isFinite(actual)) ratios.push(Math.abs(actual - predicted) / spread);
      });
    }
  }
  return ratios.filter(Number.isFinite).sort((a, b) => a - b);
}

/** The fitted model's own name from the last backtest fold (e.g. `ETS(M,Ad,N)`), else the family name. */
function candidateLabel(forecaster: Forecaster, backtest: BacktestResult): string {
  return backtest.folds[backtest.folds.length - 1]?.forecast.model ?? forecaster.name;
}

function standardDeviation(forecast: Forecast): number[] {
  const interval = forecast.intervals.find((candidate) => candidate.level === 80);
  if (!interval) return forecast.mean.map(() => 0);
  return interval.upper.map((upper, h) => Math.max(0, (upper - (interval.lower[h] ?? upper)) / (2 * Z80)));
}

function averageColumns(rows: readonly (readonly number[])[]): number[] {
  const width = rows[0]?.length ?? 0;
  const out = new Array<number>(width).fill(0);
  for (const row of rows)
    for (let i = 0; i < width; i++) out[i] = (out[i] ?? 0) + (row[i] ?? 0) / rows.length;
  return out;
}
