import type { Forecast } from "../../models/forecast.js";
import type { Forecaster } from "../../models/forecaster.js";
import { coverage, mase, msis, owa, smape } from "../metrics/accuracy-metrics.js";

/** One series split into its training part and the actuals that follow it. */
export interface EvaluationSeries {
  readonly id: string;
  readonly train: readonly number[];
  readonly test: readonly number[];
}

/** A named way to build a fresh forecaster for each series. */
export interface EvaluatedMethod {
  readonly name: string;
  readonly create: () => Forecaster;
}

/** Set-level scores of one method, as the M4 rules aggregate them. */
export interface MethodScores {
  /** Mean sMAPE over series (percent). */
  readonly smape: number;
  /** Mean MASE over series. */
  readonly mase: number;
  /** OWA against the Naive2 reference run on the same series. */
  readonly owa: number;
  /** Mean MSIS of the 95% interval. */
  readonly msis: number;
  /** Fraction of actuals inside the 80% interval, over all series and steps. */
  readonly coverage80: number;
  /** Fraction of actuals inside the 95% interval. */
  readonly coverage95: number;
  /** Mean wall time of fit + predict per series. */
  readonly fitMsPerSeries: number;
  /** Series whose fit or forecast failed; they are scored with the naive forecast. */
  readonly failures: number;
}

export interface EvaluationOptions {
  /** Seasonal period used by MASE and MSIS (24 for hourly M4, 1 for weekly). */
  readonly period: number;
  readonly horizonSteps: number;
  /** Sampling interval passed to the models. @defaultValue 3600 */
  readonly stepSeconds?: number;
  /** Called after each method finishes a series. */
  readonly onProgress?: (done: number, total: number, method: string) => void;
  /** Monotonic clock in ms. @defaultValue `performance.now` */
  readonly now?: () => number;
}

export interface EvaluationResult {
  readonly methods: Record<string, MethodScores>;
  /** Per-method remarks seen while fitting (fallbacks, repairs), with how many series each hit. */
  readonly notes: Record<string, Record<string, number>>;
}

/**
 * Scores each method on every series (fit on `train`, forecast `test.length` steps) and aggregates
 * sMAPE, MASE, MSIS and coverage. `reference` (Naive2 by the M4 rules) supplies the OWA denominator;
 * it is scored too and reported under its own name when it is also among `methods`.
 */
export function evaluateForecasters(
  series: readonly EvaluationSeries[],
  methods: readonly EvaluatedMethod[],
  reference: EvaluatedMethod,
  options: EvaluationOptions,
): EvaluationResult {
  const now = options.now ?? (() => performance.now());
  const all = methods.some((method) => method.name === reference.name) ? methods : [...methods, reference];
  const total = all.length * series.length;
  let done = 0;
  const raw = new Map<string, RawScores>();
  const notes: Record<string, Record<string, number>> = {};
  for (const method of all) {
    const scores: RawScores = {
      smape: [],
      mase: [],
      msis: [],
      inside80: 0,
      inside95: 0,
      points: 0,
      ms: 0,
      failures: 0,
    };
    const methodNotes: Record<string, number> = {};
    for (const item of series) {
      const horizon = item.test.length;
      const started = now();
      let forecast: Forecast;
      try {
        const fitted = method.create().fit({ values: item.train, stepSeconds: options.stepSeconds ?? 3600 });
        forecast = fitted.predict(horizon, { levels: [80, 95] });
        if (!forecast.mean.every(Number.isFinite)) throw new Error("non-finite point forecast");
      } catch (error) {
        scores.failures++;
        forecast = naiveForecast(item.train, horizon);
        const key = `failed: ${error instanceof Error ? error.message : String(error)}`;
        methodNotes[key] = (methodNotes[key] ?? 0) + 1;
      }
      scores.ms += now() - started;
      for (const note of forecast.notes) methodNotes[note] = (methodNotes[note] ?? 0) + 1;
      accumulate(scores, item, forecast, options.period);
      done++;
      options.onProgress?.(done, total, method.name);
    }
    raw.set(method.name, scores);
    notes[method.name] = methodNotes;
  }
  const referenceScores = raw.get(reference.name);
  if (!referenceScores) throw new Error(`reference method ${reference.name} was not scored`);
  const referenceSmape = mean(referenceScores.smape);
  const referenceMase = mean(referenceScores.mase);
  const result: Record<string, MethodScores> = {};
  for (const method of methods) {
    const scores = raw.get(method.name);
    if (!scores) continue;
    const smapeMean = mean(scores.smape);
    const maseMean = mean(scores.mase);
    result[method.name] = {
      smape: smapeMean,
      mase: maseMean,
      owa: owa(smapeMean, maseMean, referenceSmape, referenceMase),
      msis: mean(scores.msis),
      coverage80: scores.inside80 / scores.points,
      coverage95: scores.inside95 / scores.points,
      fitMsPerSeries: scores.ms / series.length,
      failures: scores.failures,
    };
  }
  return { methods: result, notes };
}

interface RawScores {
  smape: number[];
  mase: number[];
  msis: number[];
  inside80: number;
  inside95: number;
  points: number;
  ms: number;
  failures: number;
}

function accumulate(scores: RawScores, item: EvaluationSeries, forecast: Forecast, period: number): void {
  const actual = item.test;
  const mean = forecast.mean.slice(0, actual.length);
  scores.smape.push(smape(actual, mean));
  scores.mase.push(mase(actual, mean, item.train, period));
  const i80 = forecast.intervals.find((interval) => interval.level === 80);
  const i95 = forecast.intervals.find((interval) => interval.level === 95);
  if (i95)
    scores.msis.push(
      msis(actual, i95.lower.slice(0, actual.length), i95.upper.slice(0, actual.length), item.train, period),
    );
  scores.inside80 += i80
    ? coverage(actual, i80.lower.slice(0, actual.length), i80.upper.slice(0, actual.length)) * actual.length
    : 0;
  scores.inside95 += i95
    ? coverage(actual, i95.lower.slice(0, actual.length), i95.upper.slice(0, actual.length)) * actual.length
    : 0;
  scores.points += actual.length;
}

function naiveForecast(train: readonly number[], horizon: number): Forecast {
  const finite = train.filter(Number.isFinite);
  const last = finite[finite.length - 1] ?? 0;
  const mean = Array.from({ length: horizon }, () => last);
  return {
    model: "naive",
    mean,
    intervals: [80, 95].map((level) => ({ level, lower: mean, upper: mean })),
    notes: [],
  };
}

function mean(values: readonly number[]): number {
  const finite = values.filter(Number.isFinite);
  return finite.length === 0 ? Number.NaN : finite.reduce((sum, value) => sum + value, 0) / finite.length;
}
