import type { Forecast } from "../../models/forecast.js";
import type { Series } from "../../models/series.js";
import { capacityOrigins, type CapacityOriginOptions } from "./capacity-origins.js";
import { scoreCapacityWindow, CAPACITY_WINDOW_DAYS } from "./capacity-window-score.js";

/** A daily series to evaluate on. */
export interface CapacityEvaluationSeries {
  readonly id: string;
  /** One value per day; `NaN` for missing days. */
  readonly values: readonly number[];
  /** Epoch ms of `values[0]`, when known. */
  readonly startMs?: number;
}

/** What one method is asked for: a forecast of `horizonSteps` days after `train`. */
export interface CapacityTask {
  readonly seriesId: string;
  /** Index of the first forecast day in the full series (= training length). */
  readonly origin: number;
  readonly train: Series;
  readonly horizonSteps: number;
}

/** A method under evaluation: presage's forecasters, or peers whose forecasts were made elsewhere. */
export interface CapacityMethod {
  readonly name: string;
  /** Forecast with an 80% interval; throwing or non-finite output is scored as naive and counted. */
  forecast(task: CapacityTask): Forecast;
  /**
   * Time the forecast took where it was made, for peers whose forecasts were computed elsewhere
   * (R); without it the wall time of `forecast` is used.
   */
  readonly reportedMs?: (task: CapacityTask) => number | undefined;
}

/** Scores of one method at each horizon (keys are the horizons in days, as strings). */
export interface CapacityMethodScores {
  /** Share of scored (series, origin) pairs whose forecast 7-day mean is within ±15% of the actual. */
  readonly within15: Readonly<Record<string, number>>;
  /** Mean absolute percentage error of the 7-day means (percent). */
  readonly mape: Readonly<Record<string, number>>;
  /** Share of observed days in the 7-day windows inside the daily 80% interval. */
  readonly coverage80: Readonly<Record<string, number>>;
  /** Scored (series, origin) pairs per horizon. */
  readonly pairs: Readonly<Record<string, number>>;
  /** Pairs whose forecast failed and was replaced by naive (last value, no interval width). */
  readonly failures: number;
  /** Mean wall time of one forecast (fit + predict), in milliseconds. */
  readonly msPerForecast: number;
}

export interface CapacityEvaluationResult {
  readonly methods: Readonly<Record<string, CapacityMethodScores>>;
  /**
   * Per method and horizon, whether each (series, origin) pair — in `capacityPairs` order — was within
   * ±15% (`undefined` where the pair could not be scored at that horizon): what per-pair comparisons
   * such as "the best method per pair" are computed from.
   */
  readonly withinByPair: Readonly<Record<string, Readonly<Record<string, readonly (boolean | undefined)[]>>>>;
  /** Pairs evaluated per method (before per-horizon exclusions). */
  readonly pairs: number;
  /** Series that could not be evaluated and why; also pairs dropped at a horizon. */
  readonly notes: readonly string[];
}

export interface EvaluateCapacityOptions extends CapacityOriginOptions {
  /** Called after every (series, origin, method) forecast. */
  readonly onProgress?: (done: number, total: number, label: string) => void;
  /** Clock for timing; injectable so tests stay deterministic. @defaultValue `performance.now` */
  readonly nowMs?: () => number;
}

/** Every (series, origin) pair the evaluation will forecast, in a fixed order. */
export interface CapacityPair {
  readonly series: CapacityEvaluationSeries;
  readonly origin: number;
}

export function capacityPairs(
  series: readonly CapacityEvaluationSeries[],
  options: CapacityOriginOptions,
): { pairs: CapacityPair[]; notes: string[] } {
  const pairs: CapacityPair[] = [];
  const notes: string[] = [];
  for (const entry of series) {
    const origins = capacityOrigins(entry.values.length, options);
    if (origins.length === 0) {
      notes.push(
        `series "${entry.id}" (${entry.values.length} days) is too short for a ${Math.max(...options.horizonsDays)}-day horizon; skipped`,
      );
    }
    for (const origin of origins) pairs.push({ series: entry, origin });
  }
  return { pairs, notes };
}

/**
 * Rolling-origin evaluation of long-horizon daily forecasts: every method forecasts every
 * (series, origin) pair from `capacityOrigins` out to the longest horizon, and is scored at each
 * horizon on the 7-day window ending there (`scoreCapacityWindow`).
 */
export function evaluateCapacity(
  series: readonly CapacityEvaluationSeries[],
  methods: readonly CapacityMethod[],
  options: EvaluateCapacityOptions,
): CapacityEvaluationResult {
  const horizons = [...new Set(options.horizonsDays)].sort((a, b) => a - b);
  const longest = horizons[horizons.length - 1] ?? CAPACITY_WINDOW_DAYS;
  const { pairs, notes } = capacityPairs(series, { ...options, horizonsDays: horizons });
  const now = options.nowMs ?? (() => performance.now());
  const total = pairs.length * methods.length;
  let done = 0;
  const result: Record<string, CapacityMethodScores> = {};
  const withinByPair: Record<string, Record<string, (boolean | undefined)[]>> = {};
  for (const method of methods) {
    const hits: Record<string, (boolean | undefined)[]> = Object.fromEntries(
      horizons.map((h) => [String(h), new Array<boolean | undefined>(pairs.length).fill(undefined)]),
    );
    withinByPair[method.name] = hits;
    let pairIndex = -1;
    const within = new Map<number, number>();
    const apeSum = new Map<number, number>();
    const scored = new Map<number, number>();
    const coveredDays = new Map<number, number>();
    const observedDays = new Map<number, number>();
    let failures = 0;
    let elapsedMs = 0;
    for (const { series: entry, origin } of pairs) {
      pairIndex++;
      const train: Series = {
        values: entry.values.slice(0, origin),
        stepSeconds: 86_400,
        ...(entry.startMs === undefined ? {} : { startMs: entry.startMs }),
      };
      const actual = entry.values.slice(origin, origin + longest);
      const started = now();
      let forecast: Forecast;
      try {
        forecast = method.forecast({ seriesId: entry.id, origin, train, horizonSteps: longest });
        if (forecast.mean.length < longest || !forecast.mean.every(Number.isFinite)) {
          throw new Error("non-finite or short forecast");
        }
      } catch {
        failures++;
        forecast = naiveForecast(train.values, longest);
      }
      const wallMs = now() - started;
      elapsedMs +=
        method.reportedMs?.({ seriesId: entry.id, origin, train, horizonSteps: longest }) ?? wallMs;
      for (const horizon of horizons) {
        const score = scoreCapacityWindow(forecast, actual, horizon);
        if (!score) {
          if (method === methods[0]) {
            notes.push(`${entry.id} @ day ${origin}: too few observed days to score horizon ${horizon}`);
          }
          continue;
        }
        const pairHits = hits[String(horizon)];
        if (pairHits) pairHits[pairIndex] = score.withinTolerance;
        add(scored, horizon, 1);
        add(within, horizon, score.withinTolerance ? 1 : 0);
        add(apeSum, horizon, score.absolutePercentError);
        if (score.covered80 !== undefined) {
          add(coveredDays, horizon, score.covered80);
          add(observedDays, horizon, score.observedDays);
        }
      }
      done++;
      options.onProgress?.(done, total, method.name);
    }
    const perHorizon = (f: (h: number) => number): Record<string, number> =>
      Object.fromEntries(horizons.map((h) => [String(h), f(h)]));
    result[method.name] = {
      within15: perHorizon((h) => ratio(within.get(h), scored.get(h))),
      mape: perHorizon((h) => ratio(apeSum.get(h), scored.get(h))),
      coverage80: perHorizon((h) => ratio(coveredDays.get(h), observedDays.get(h))),
      pairs: perHorizon((h) => scored.get(h) ?? 0),
      failures,
      msPerForecast: pairs.length === 0 ? Number.NaN : elapsedMs / pairs.length,
    };
  }
  return { methods: result, withinByPair, pairs: pairs.length, notes };
}

function add(map: Map<number, number>, key: number, value: number): void {
  map.set(key, (map.get(key) ?? 0) + value);
}

function ratio(numerator: number | undefined, denominator: number | undefined): number {
  return denominator === undefined || denominator === 0 ? Number.NaN : (numerator ?? 0) / denominator;
}

/** Last observed value repeated, with a zero-width interval: what a failed forecast is scored as. */
function naiveForecast(values: readonly number[], horizonSteps: number): Forecast {
  let last = 0;
  for (let i = values.length - 1; i >= 0; i--) {
    const value = values[i] ?? Number.NaN;
    if (Number.isFinite(value)) {
      last = value;
      break;
    }
  }
  const mean = new Array<number>(horizonSteps).fill(last);
  return {
    model: "naive (fallback)",
    mean,
    intervals: [{ level: 80, lower: mean, upper: mean }],
    notes: ["forecast failed; scored as naive"],
  };
}
