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

/** Forecasts of one method for every series, however they were produced (here, or by a peer like R). */
export interface ForecastSet {
  readonly name: string;
  /** One forecast per series, in the order of the series. */
  readonly forecasts: readonly Forecast[];
  readonly fitMsPerSeries: number;
  readonly failures: number;
  readonly notes?: Record<string, number>;
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
  const all = methods.some((method) => method.name === reference.name) ? methods : [...methods, reference];
  const total = all.length * series.length;
  let done = 0;
  const sets = all.map((method) =>
    forecastAll(series, method, options, () => {
      done++;
      options.onProgress?.(done, total, method.name);
    }),
  );
  const referenceSet = sets.find((set) => set.name === reference.name);
  if (!referenceSet) throw new Error(`reference method ${reference.name} was not run`);
  return scoreForecastSets(
    series,
    sets.filter((set) => methods.some((method) => method.name === set.name)),
    referenceSet,
    options.period,
  );
}

/** Fits `method` on every series and forecasts its test horizon; a failure is scored as the naive forecast. */
export function forecastAll(
  series: readonly EvaluationSeries[],
  method: EvaluatedMethod,
  options: Pick<EvaluationOptions, "stepSeconds" | "now">,
  onSeriesDone?: () => void,
): ForecastSet {
  const now = options.now ?? (() => performance.now());
  const forecasts: Forecast[] = [];
  const notes: Record<string, number> = {};
  let failures = 0;
  let totalMs = 0;
  for (const item of series) {
    const horizon = item.test.length;
    const started = now();
    let forecast: Forecast;
    try {
      const fitted = method.create().fit({ values: item.train, stepSeconds: options.stepSeconds ?? 3600 });
      forecast = fitted.predict(horizon, { levels: [80, 95] });
      if (!forecast.mean.every(Number.isFinite)) throw new Error("non-finite point forecast");
    } catch (error) {
      failures++;
      forecast = naiveForecast(item.train, horizon);
      const key = `failed: ${error instanceof Error ? error.message : String(error)}`;
      notes[key] = (notes[key] ?? 0) + 1;
    }
    totalMs += now() - started;
    for (const note of forecast.notes) notes[note] = (notes[note] ?? 0) + 1;
    forecasts.push(forecast);
    onSeriesDone?.();
  }
  return {
    name: method.name,
    forecasts,
    fitMsPerSeries: totalMs / Math.max(1, series.length),
    failures,
    notes,
  };
}

/** Scores forecast sets against the actuals; OWA is relative to `reference` (Naive2 by the M4 rules). */
export function scoreForecastSets(
  series: readonly EvaluationSeries[],
  sets: readonly ForecastSet[],
  reference: ForecastSet,
  period: number,
): EvaluationResult {
  const referenceRaw = scoreSet(series, reference, period);
  const referenceSmape = mean(referenceRaw.smape);
  const referenceMase = mean(referenceRaw.mase);
  const methods: Record<string, MethodScores> = {};
  const notes: Record<string, Record<string, number>> = {};
  for (const set of sets) {
    const raw = set === reference ? referenceRaw : scoreSet(series, set, period);
    const smapeMean = mean(raw.smape);
    const maseMean = mean(raw.mase);
    methods[set.name] = {
      smape: smapeMean,
      mase: maseMean,
      owa: owa(smapeMean, maseMean, referenceSmape, referenceMase),
      msis: mean(raw.msis),
      coverage80: raw.inside80 / raw.points,
      coverage95: raw.inside95 / raw.points,
      fitMsPerSeries: set.fitMsPerSeries,
      failures: set.failures,
    };
    notes[set.name] = set.notes ?? {};
  }
  return { methods, notes };
}

function scoreSet(series: readonly EvaluationSeries[], set: ForecastSet, period: number): RawScores {
  if (set.forecasts.length !== series.length) {
    throw new RangeError(`${set.name}: ${set.forecasts.length} forecasts for ${series.length} series`);
  }
  const scores: RawScores = { smape: [], mase: [], msis: [], inside80: 0, inside95: 0, points: 0 };
  series.forEach((item, index) => {
    const forecast = set.forecasts[index];
    if (forecast) accumulate(scores, item, forecast, period);
  });
  return scores;
}

interface RawScores {
  smape: number[];
  mase: number[];
  msis: number[];
  inside80: number;
  inside95: number;
  points: number;
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
