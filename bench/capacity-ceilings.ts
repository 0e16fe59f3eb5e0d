/**
 * Reference ceilings for the capacity benchmark: scores no forecaster can have, because they use the
 * future. They tell how much of the ±15% target is reachable at all on a data set — not methods to
 * compare against, and never reported among them.
 */
import type { Forecast } from "../models/forecast.js";
import type {
  CapacityEvaluationResult,
  CapacityMethod,
  CapacityMethodScores,
} from "../training/capacity/evaluate-capacity.js";

/** Name prefix of the ceilings, so reports keep them apart from the methods. */
export const CEILING_PREFIX = "ceiling:";

/**
 * `ceiling:future-drift`: the last 7-day mean of the training window, carried forward at the drift of
 * the *whole* series (first to last 7-day mean, in logs for positive series) — a random walk with
 * drift that knows its long-run drift, including the part still to come. No interval.
 */
export function futureDriftCeiling(fullSeries: ReadonlyMap<string, readonly number[]>): CapacityMethod {
  return {
    name: `${CEILING_PREFIX}future-drift`,
    forecast: (task): Forecast => {
      const full = (fullSeries.get(task.seriesId) ?? []).filter(Number.isFinite);
      const train = task.train.values.filter(Number.isFinite);
      if (full.length < 14 || train.length < 7) throw new Error("too short for the drift ceiling");
      const positive = full.every((value) => value > 0);
      const toWorking = positive ? Math.log : (value: number): number => value;
      const back = positive ? Math.exp : (value: number): number => value;
      const meanOf = (values: readonly number[]): number =>
        values.reduce((sum, value) => sum + toWorking(value), 0) / values.length;
      const drift = (meanOf(full.slice(-7)) - meanOf(full.slice(0, 7))) / (full.length - 7);
      const level = meanOf(train.slice(-7));
      // The level is centred 4 days before the first forecast step (index 0).
      const mean = Array.from({ length: task.horizonSteps }, (_, step) => back(level + drift * (step + 4)));
      return { model: "future-drift", mean, intervals: [], notes: [] };
    },
  };
}

/**
 * `ceiling:best-per-pair`: a pair counts as within ±15% when any of `methods` was — the score of a
 * selector that always picked the right method for each (series, origin) pair.
 */
export function bestPerPairScores(
  result: CapacityEvaluationResult,
  methods: readonly string[],
  horizons: readonly number[],
): CapacityMethodScores {
  const within: Record<string, number> = {};
  const pairs: Record<string, number> = {};
  for (const horizon of horizons) {
    const key = String(horizon);
    const rows = methods.map((name) => result.withinByPair[name]?.[key] ?? []);
    let hits = 0;
    let scored = 0;
    for (let pair = 0; pair < result.pairs; pair++) {
      const outcomes = rows.map((row) => row[pair]).filter((hit) => hit !== undefined);
      if (outcomes.length === 0) continue;
      scored++;
      if (outcomes.some(Boolean)) hits++;
    }
    within[key] = scored === 0 ? Number.NaN : hits / scored;
    pairs[key] = scored;
  }
  const none = Object.fromEntries(horizons.map((h) => [String(h), Number.NaN]));
  return { within15: within, mape: none, coverage80: none, pairs, failures: 0, msPerForecast: Number.NaN };
}
