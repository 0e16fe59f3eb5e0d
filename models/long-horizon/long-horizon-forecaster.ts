import { cleanValues } from "../cleaning/clean-values.js";
import { assertHorizon, ModelError, ModelErrorCode } from "../errors.js";
import { DEFAULT_LEVELS, type Forecast, type PredictionInterval, type PredictOptions } from "../forecast.js";
import type { FittedModel, Forecaster, ModelState } from "../forecaster.js";
import { zForLevel } from "../math/normal-quantile.js";
import type { Series } from "../series.js";
import { calibratedHalfWidth, type IntervalCalibration } from "./interval-calibration.js";
import { lastLevelShift, shiftSize } from "./last-level-shift.js";
import {
  fitYearlyFourier,
  MIN_YEARLY_DAYS,
  yearlyFourierValue,
  type YearlyFourier,
} from "./yearly-fourier.js";

/** How the trend of the seasonally adjusted series is carried into the future. */
export const LongHorizonTrend = {
  /** No trend: the current level, held. */
  flat: "flat",
  /** The recent slope, damped so that its effect halves every `dampingHalfLifeDays`. */
  damped: "damped",
  /** The recent slope, extrapolated undamped. */
  linear: "linear",
} as const;
export type LongHorizonTrend = (typeof LongHorizonTrend)[keyof typeof LongHorizonTrend];

export interface LongHorizonOptions {
  /** @defaultValue `"damped"` */
  readonly trend?: LongHorizonTrend;
  /**
   * Fit a yearly cycle when the history holds two years.
   * @defaultValue true
   */
  readonly yearly?: boolean;
  /**
   * Fourier pairs of the yearly cycle.
   * @defaultValue 5
   */
  readonly yearlyHarmonics?: number;
  /**
   * A yearly cycle is kept only when, fitted on one year, it explains at least this share of the
   * variance of the other year(s) (see `fitYearlyFourier`).
   * @defaultValue 0.1
   */
  readonly minCrossYearR2?: number;
  /**
   * Days after which a damped slope's daily contribution has halved.
   * @defaultValue 90
   */
  readonly dampingHalfLifeDays?: number;
  /**
   * Most recent days the slope is estimated on (fewer when a level shift starts a later regime).
   * @defaultValue 365
   */
  readonly slopeWindowDays?: number;
}

/** One fitted component model: level + (damped) slope + weekly + yearly cycles, in the working scale. */
export interface LongHorizonMember {
  readonly label: string;
  /** Mean of the last 7 adjusted values (centred 3 days before the last observation). */
  readonly level: number;
  /** Slope per day of the adjusted series; 0 for a flat trend. */
  readonly slope: number;
  /** Daily damping factor: 0 flat, 1 linear, in between damped. */
  readonly phi: number;
  /** Weekly cycle by `t mod 7`, `t` = days since the series start; all zero when absent. */
  readonly weekly: readonly number[];
  readonly yearly?: YearlyFourier;
  /** The last (up to) 7 adjusted values, so `update` can move the level without refitting. */
  readonly tail: readonly number[];
}

export interface LongHorizonState extends ModelState {
  readonly kind: "long-horizon";
  readonly version: 1;
  /** `log` for strictly positive series (multiplicative cycles, relative errors), else `identity`. */
  readonly transform: "log" | "identity";
  /** Day index (since the series start) of the first forecast step. */
  readonly nextIndex: number;
  /** Members whose forecasts are averaged in the working scale. */
  readonly members: readonly LongHorizonMember[];
  /** Day-to-day noise around the weekly level (working scale). */
  readonly noiseSigma: number;
  /** Random-walk drift of the level per day (working scale). */
  readonly walkSigma: number;
  /** Interval widths from rolling-origin errors; without it, intervals come from the two sigmas. */
  readonly calibration?: IntervalCalibration;
  readonly notes: readonly string[];
}

/** Fewest days for the full model; shorter histories fall back to naive (the last value held). */
export const LONG_HORIZON_MIN_DAYS = 28;

/**
 * A forecaster for daily series 3–6 months ahead, built from robust pieces rather than a likelihood
 * optimised for one-step errors:
 *
 * - positive series are modelled in logs (cycles and errors relative to the level);
 * - a weekly cycle (median by weekday of the deviations from a centred 7-day mean, last year only);
 * - with two years of history (plus 90 days), a yearly cycle of Fourier terms (period 365.25) fitted
 *   on the deviations from a centred 365-day mean, after undoing the last level shift; kept only
 *   when a cycle fitted on one year explains at least `minCrossYearR2` of the other days' variance,
 *   and scaled down by how fully it repeated there (a random walk's wander fits in sample too);
 * - the level is the mean of the last week of the adjusted series; the slope is a Theil–Sen estimate
 *   on weekly means of the recent regime — after the last lasting level shift, at most
 *   `slopeWindowDays` — so a past jump is neither a trend nor a level the forecast returns to;
 * - the slope is held flat, damped or linear (`trend`).
 *
 * Intervals come from the model's noise and random-walk sigmas unless a rolling-origin calibration
 * is attached ({@link FittedLongHorizon.withCalibration}), which capacity planning always does.
 */
export class LongHorizonForecaster implements Forecaster {
  readonly name: string;
  readonly capabilities = { minTrainLength: 1, supportsIntervals: true } as const;

  constructor(private readonly options: LongHorizonOptions = {}) {
    const trend = options.trend ?? LongHorizonTrend.damped;
    if (!Object.values(LongHorizonTrend).includes(trend)) {
      throw new ModelError(
        ModelErrorCode.invalidOption,
        `trend ("${trend}") must be one of ${Object.values(LongHorizonTrend).join(", ")}`,
      );
    }
    const halfLife = options.dampingHalfLifeDays ?? 90;
    if (!(halfLife > 0)) {
      throw new ModelError(ModelErrorCode.invalidOption, `dampingHalfLifeDays (${halfLife}) must be > 0`);
    }
    this.name = `long-horizon(${trend}${options.yearly === false ? ",no-yearly" : ""})`;
  }

  fit(series: Series): FittedLongHorizon {
    const cleaned = cleanValues(series.values);
    const raw = cleaned.values;
    const n = raw.length;
    if (n === 0) throw new ModelError(ModelErrorCode.insufficientData, "series has no observations");
    const notes = [...cleaned.notes];
    const positive = raw.every((value) => value > 0);
    const transform = positive ? "log" : "identity";
    const x = positive ? raw.map(Math.log) : raw;
    // Leading missing days were dropped: day indices count from the first observation.
    const start = cleaned.droppedLeading;
    if (n < LONG_HORIZON_MIN_DAYS) {
      notes.push(`only ${n} day(s), fewer than ${LONG_HORIZON_MIN_DAYS}: fell back to naive`);
      const last = x[n - 1] ?? 0;
      return new FittedLongHorizon({
        kind: "long-horizon",
        version: 1,
        transform,
        nextIndex: start + n,
        members: [{ label: "naive", level: last, slope: 0, phi: 0, weekly: zeros(7), tail: [last] }],
        noiseSigma: 0,
        walkSigma: differenceSigma(x),
        notes,
      });
    }
    const trend = this.options.trend ?? LongHorizonTrend.damped;
    const weekly = weeklyCycle(x, start);
    const withoutWeek = x.map((value, i) => value - (weekly[(start + i) % 7] ?? 0));
    // Shifts are found before the yearly cycle is fitted: a step inside the 365-day moving average
    // leaves a year-long sawtooth that Fourier terms would otherwise mistake for seasonality.
    const shift = lastLevelShift(withoutWeek);
    const regimeStart = shift?.index ?? 0;
    let jump = shift?.jump ?? 0;
    let yearly: YearlyFourier | undefined;
    if (this.options.yearly !== false && n >= MIN_YEARLY_DAYS) {
      const harmonics = this.options.yearlyHarmonics ?? 5;
      const levelled = (size: number): number[] =>
        withoutWeek.map((value, i) => (i < regimeStart ? value + size : value));
      let fit = fitYearlyFourier(levelled(jump), harmonics);
      if (fit && shift) {
        // The shift was sized with the yearly cycle still in; size it again without, and refit.
        const cycle = fit.cycle;
        const deseasoned = withoutWeek.map((value, i) => value - yearlyFourierValue(cycle, i));
        jump = shiftSize(deseasoned, shift.index, 28);
        fit = fitYearlyFourier(levelled(jump), harmonics);
      }
      const minR2 = this.options.minCrossYearR2 ?? 0.1;
      if (fit && fit.crossYearR2 >= minR2) {
        // Only the share of the cycle that repeated across years is extrapolated. Fourier time
        // counts from day 0 of this history; shifted so t stays the series' day index.
        const share = Math.min(1, Math.max(0, fit.crossYearSlope));
        yearly = shiftYearly(scaleYearly(fit.cycle, share), start);
        notes.push(
          `yearly cycle (cross-year R² ${fit.crossYearR2.toFixed(2)}, kept at ${(100 * share).toFixed(0)}%)`,
        );
      } else if (fit) {
        notes.push(`no yearly cycle: cross-year R² ${fit.crossYearR2.toFixed(2)} < ${minR2}`);
      }
    }
    if (shift) notes.push(`level shift of ${formatJump(jump, transform)} at day ${start + shift.index}`);
    const adjusted = withoutWeek.map(
      (value, i) => value - (yearly ? yearlyFourierValue(yearly, start + i) : 0),
    );
    const tail = adjusted.slice(-7);
    const level = mean(tail);
    const window = this.options.slopeWindowDays ?? 365;
    const slopeStart = Math.max(regimeStart, n - window);
    let slope = 0;
    if (trend !== LongHorizonTrend.flat) {
      if (n - slopeStart >= 56) slope = theilSenWeeklySlope(adjusted.slice(slopeStart));
      else notes.push(`only ${n - slopeStart} day(s) since the last level shift: no trend`);
    }
    const phi =
      trend === LongHorizonTrend.linear
        ? 1
        : trend === LongHorizonTrend.flat
          ? 0
          : Math.pow(0.5, 1 / (this.options.dampingHalfLifeDays ?? 90));
    const recent = adjusted.slice(Math.max(regimeStart, n - 365));
    return new FittedLongHorizon({
      kind: "long-horizon",
      version: 1,
      transform,
      nextIndex: start + n,
      members: [
        {
          label: `${trend}${yearly ? "+yearly" : ""}`,
          level,
          slope,
          phi,
          weekly,
          ...(yearly ? { yearly } : {}),
          tail,
        },
      ],
      noiseSigma: noiseSigma(recent),
      walkSigma: walkSigma(recent),
      notes,
    });
  }
}

export class FittedLongHorizon implements FittedModel {
  readonly name: string;
  readonly notes: readonly string[];

  constructor(private readonly state: LongHorizonState) {
    this.name = `long-horizon[${state.members.map((member) => member.label).join("+")}]`;
    this.notes = state.notes;
  }

  /** The same model with interval widths taken from `calibration`. */
  withCalibration(
    calibration: IntervalCalibration | undefined,
    notes: readonly string[] = [],
  ): FittedLongHorizon {
    const next: { -readonly [K in keyof LongHorizonState]: LongHorizonState[K] } = {
      ...this.state,
      notes: [...this.state.notes, ...notes],
    };
    if (calibration) next.calibration = calibration;
    else delete next.calibration;
    return new FittedLongHorizon(next);
  }

  /** Point forecast in the working scale (log for positive series), averaged over members. */
  workingMean(horizonSteps: number): number[] {
    const { members, nextIndex } = this.state;
    const out: number[] = [];
    for (let h = 1; h <= horizonSteps; h++) {
      const t = nextIndex + h - 1;
      let sum = 0;
      for (const member of members) sum += memberValue(member, h, t);
      out.push(sum / members.length);
    }
    return out;
  }

  /** Interval half-width in the working scale (calibrated, or from the model's sigmas). */
  halfWidth(step: number, level: number): number {
    const { calibration, noiseSigma, walkSigma } = this.state;
    if (calibration) return calibratedHalfWidth(calibration, step, level);
    return zForLevel(level) * Math.sqrt(noiseSigma * noiseSigma + walkSigma * walkSigma * step);
  }

  /** The model's own error spread at `step` (working scale): the floor under calibrated widths. */
  theorySpread(step: number): number {
    const { noiseSigma, walkSigma } = this.state;
    return Math.sqrt(noiseSigma * noiseSigma + walkSigma * walkSigma * step);
  }

  get transform(): "log" | "identity" {
    return this.state.transform;
  }

  predict(horizonSteps: number, options: PredictOptions = {}): Forecast {
    assertHorizon(horizonSteps);
    const levels = options.levels ?? DEFAULT_LEVELS;
    const center = this.workingMean(horizonSteps);
    const back = this.state.transform === "log" ? Math.exp : (value: number) => value;
    const intervals: PredictionInterval[] = levels.map((level) => {
      const widths = center.map((_, i) => this.halfWidth(i + 1, level));
      return {
        level,
        lower: center.map((c, i) => back(c - (widths[i] ?? 0))),
        upper: center.map((c, i) => back(c + (widths[i] ?? 0))),
      };
    });
    return { model: this.name, mean: center.map(back), intervals, notes: this.notes };
  }

  /**
   * Moves each member's level to the mean of its last 7 adjusted values; slope, cycles and interval
   * widths are kept. Missing values take the member's own forecast (zero error); under the log
   * transform a non-positive value counts as missing.
   */
  update(newValues: readonly number[]): FittedLongHorizon {
    const { members, nextIndex, transform } = this.state;
    const updated = members.map((member) => {
      const tail = [...member.tail];
      let { level } = member;
      newValues.forEach((raw, i) => {
        const t = nextIndex + i;
        const seasonal = seasonalValue(member, t);
        const valid = Number.isFinite(raw) && (transform === "identity" || raw > 0);
        const x = valid
          ? (transform === "log" ? Math.log(raw) : raw) - seasonal
          : memberTrendValue(member, 1, level);
        tail.push(x);
        if (tail.length > 7) tail.shift();
        level = mean(tail);
      });
      return { ...member, level, tail };
    });
    return new FittedLongHorizon({
      ...this.state,
      members: updated,
      nextIndex: nextIndex + newValues.length,
    });
  }

  toJSON(): LongHorizonState {
    return this.state;
  }
}

/**
 * Averages fitted long-horizon models of the same series (same transform and data) into one model
 * whose forecast is the mean of theirs in the working scale.
 */
export function combineLongHorizon(
  models: readonly FittedLongHorizon[],
  notes: readonly string[] = [],
): FittedLongHorizon {
  const states = models.map((model) => model.toJSON());
  const [first] = states;
  if (!first)
    throw new ModelError(ModelErrorCode.invalidOption, "combineLongHorizon needs at least one model");
  if (states.some((state) => state.transform !== first.transform || state.nextIndex !== first.nextIndex)) {
    throw new ModelError(
      ModelErrorCode.invalidOption,
      "combineLongHorizon: models must share transform and nextIndex (be fitted on the same series)",
    );
  }
  return new FittedLongHorizon({
    ...first,
    members: states.flatMap((state) => state.members),
    notes: [...first.notes, ...notes],
  });
}

export function restoreLongHorizon(state: ModelState): FittedLongHorizon {
  const candidate = state as Partial<LongHorizonState>;
  const valid =
    state.kind === "long-horizon" &&
    (candidate.transform === "log" || candidate.transform === "identity") &&
    typeof candidate.nextIndex === "number" &&
    Array.isArray(candidate.members) &&
    candidate.members.length > 0 &&
    (candidate.members as readonly Partial<LongHorizonMember>[]).every(
      (member) =>
        typeof member.level === "number" &&
        typeof member.slope === "number" &&
        typeof member.phi === "number" &&
        member.weekly?.length === 7 &&
        Array.isArray(member.tail),
    ) &&
    typeof candidate.noiseSigma === "number" &&
    typeof candidate.walkSigma === "number";
  if (!valid) throw new ModelError(ModelErrorCode.invalidState, "not a long-horizon state");
  return new FittedLongHorizon({ ...(state as LongHorizonState), notes: candidate.notes ?? [] });
}

/** Sum of the damped slope's contributions over steps 1…h, plus the 3 days the level lags by. */
function memberTrendValue(member: LongHorizonMember, h: number, level = member.level): number {
  if (member.slope === 0 || member.phi === 0) return level;
  const { phi, slope } = member;
  const lag = 3;
  const steps = phi === 1 ? lag + h : (phi * (1 - Math.pow(phi, lag + h))) / (1 - phi);
  return level + slope * steps;
}

function seasonalValue(member: LongHorizonMember, t: number): number {
  return (member.weekly[t % 7] ?? 0) + (member.yearly ? yearlyFourierValue(member.yearly, t) : 0);
}

function memberValue(member: LongHorizonMember, h: number, t: number): number {
  return memberTrendValue(member, h) + seasonalValue(member, t);
}

/**
 * Weekly cycle by `t mod 7`: the median, per weekday, of the deviations from a centred 7-day mean
 * over the last 52 weeks, centred to sum to zero. Zero for fewer than 3 weeks.
 */
function weeklyCycle(x: readonly number[], start: number): number[] {
  const n = x.length;
  if (n < 21) return zeros(7);
  const byPhase: number[][] = Array.from({ length: 7 }, () => []);
  for (let i = Math.max(3, n - 364); i < n - 3; i++) {
    let sum = 0;
    for (let k = i - 3; k <= i + 3; k++) sum += x[k] ?? 0;
    byPhase[(start + i) % 7]?.push((x[i] ?? 0) - sum / 7);
  }
  const cycle = byPhase.map(median);
  const center = mean(cycle);
  return cycle.map((value) => value - center);
}

/** Theil–Sen slope per day of whole-week means (median of all pairwise slopes). */
function theilSenWeeklySlope(values: readonly number[]): number {
  const weeks = Math.floor(values.length / 7);
  const offset = values.length - weeks * 7;
  const means: number[] = [];
  for (let w = 0; w < weeks; w++) means.push(mean(values.slice(offset + w * 7, offset + w * 7 + 7)));
  const slopes: number[] = [];
  for (let i = 0; i < weeks; i++) {
    for (let j = i + 1; j < weeks; j++) slopes.push(((means[j] ?? 0) - (means[i] ?? 0)) / (7 * (j - i)));
  }
  return median(slopes);
}

/** Standard deviation of the days around their own week's mean. */
function noiseSigma(values: readonly number[]): number {
  const weeks = Math.floor(values.length / 7);
  if (weeks === 0) return 0;
  const offset = values.length - weeks * 7;
  let sum = 0;
  for (let w = 0; w < weeks; w++) {
    const week = values.slice(offset + w * 7, offset + w * 7 + 7);
    const m = mean(week);
    for (const value of week) sum += (value - m) * (value - m);
  }
  return Math.sqrt(sum / (weeks * 6));
}

/** Per-day random-walk sigma implied by the changes between consecutive weekly means. */
function walkSigma(values: readonly number[]): number {
  const weeks = Math.floor(values.length / 7);
  if (weeks < 3) return differenceSigma(values);
  const offset = values.length - weeks * 7;
  const means: number[] = [];
  for (let w = 0; w < weeks; w++) means.push(mean(values.slice(offset + w * 7, offset + w * 7 + 7)));
  const changes = means.slice(1).map((m, i) => m - (means[i] ?? m));
  const center = mean(changes);
  const variance =
    changes.reduce((sum, c) => sum + (c - center) * (c - center), 0) / Math.max(1, changes.length - 1);
  return Math.sqrt(variance / 7);
}

function differenceSigma(values: readonly number[]): number {
  if (values.length < 2) return 0;
  let sum = 0;
  for (let i = 1; i < values.length; i++) sum += ((values[i] ?? 0) - (values[i - 1] ?? 0)) ** 2;
  return Math.sqrt(sum / (values.length - 1));
}

function shiftYearly(cycle: YearlyFourier, start: number): YearlyFourier {
  if (start === 0) return cycle;
  // fitYearlyFourier counted days from the first kept observation; re-express in series day indices
  // by rotating each harmonic's phase: f(t − start) in terms of t.
  const coefficients: number[] = [];
  for (let k = 1; k <= cycle.harmonics; k++) {
    const a = cycle.coefficients[2 * k - 2] ?? 0;
    const b = cycle.coefficients[2 * k - 1] ?? 0;
    const angle = (2 * Math.PI * k * start) / 365.25;
    const [c, s] = [Math.cos(angle), Math.sin(angle)];
    // a sin(θ − δ) + b cos(θ − δ) = (a c + b s) sin θ + (b c − a s) cos θ
    coefficients.push(a * c + b * s, b * c - a * s);
  }
  return { harmonics: cycle.harmonics, coefficients };
}

function scaleYearly(cycle: YearlyFourier, factor: number): YearlyFourier {
  return { harmonics: cycle.harmonics, coefficients: cycle.coefficients.map((c) => c * factor) };
}

function formatJump(jump: number, transform: "log" | "identity"): string {
  return transform === "log" ? `${(100 * (Math.exp(jump) - 1)).toFixed(0)}%` : jump.toPrecision(3);
}

function zeros(length: number): number[] {
  return new Array<number>(length).fill(0);
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
}

function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}
