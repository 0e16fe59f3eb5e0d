/**
 * How should `auto+lstm` combine the LSTMs with the statistical candidates? A design study on M4
 * Hourly: for every series, each candidate of `auto` is backtested on `auto`'s rolling origins and
 * fitted on the full history, and each network (`lstm`, `lstm-global`, `mstl-lstm`, and a global
 * network on MSTL-adjusted series) is trained once before the first origin and rolled forward, as
 * `auto+lstm` does (`lstm` and `mstl-lstm` also refitted on the full history, for rules that refit a
 * chosen network). With every candidate's backtest MASE and test forecast stored, combination rules
 * (which candidates join, thresholds, weights) are compared on the same fits: designs are chosen on
 * the first `--split` series and checked on the rest. The `auto` and `auto+lstm` rules reproduce
 * those models' point forecasts exactly; intervals here are plain averages of the members' (not
 * `auto`'s recalibrated ones), so coverage columns are indicative only.
 *
 *   node dist/bench/lstm-combination-bench.js [--limit 150] [--split 75] [--out bench-results/lstm-combination-bench.json]
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { cleanValues } from "../models/cleaning/clean-values.js";
import type { Forecast } from "../models/forecast.js";
import type { Forecaster } from "../models/forecaster.js";
import { initLstmBackend } from "../models/lstm/lstm-backend.js";
import {
  DeseasonalizedLstmForecaster,
  deseasonalize,
} from "../models/lstm/deseasonalized-lstm-forecaster.js";
import { GlobalLstmForecaster } from "../models/lstm/global-lstm-forecaster.js";
import { formatTable } from "../src/cli/text-table.js";
import { rollingOriginBacktest } from "../training/backtest/rolling-origin-backtest.js";
import { parseWideCsv } from "../training/datasets/wide-csv.js";
import {
  scoreForecastSets,
  type EvaluationSeries,
  type MethodScores,
} from "../training/evaluation/evaluate-forecasters.js";
import { autoCandidates, createForecaster, type ModelContext } from "../training/model-catalog.js";
import { rollForwardBacktest } from "../training/selection/roll-forward-backtest.js";
import { findRepoRoot } from "./repo-root.js";

const HORIZON = 48;
const PERIOD = 24;
const STEP_SECONDS = 3600;
/** `auto`'s rolling origins, and the held-out tail of every series in the global networks' pools. */
const FOLDS = 4;

const repoRoot = findRepoRoot(dirname(fileURLToPath(import.meta.url)));
const { values: flags } = parseArgs({
  options: {
    limit: { type: "string", default: "150" },
    split: { type: "string", default: "75" },
    out: { type: "string", default: join(repoRoot, "bench-results", "lstm-combination-bench.json") },
  },
});
const sharedData = process.env.PRESAGE_SHARED_DATA ?? resolve(repoRoot, "../shared/data");
const trainCsv = join(sharedData, "m4", "Hourly-train-H1-H150.csv");
const testCsv = join(sharedData, "m4", "Hourly-test-H1-H150.csv");
if (!existsSync(trainCsv) || !existsSync(testCsv)) {
  process.stderr.write(`lstm-combination-bench: M4 Hourly not found under ${sharedData}/m4\n`);
  process.exit(2);
}
const backend = await initLstmBackend();
process.stderr.write(`lstm backend: ${backend.backend}\n`);

const trainRows = parseWideCsv(await readFile(trainCsv, "utf8")).slice(0, Number(flags.limit));
const testById = new Map(parseWideCsv(await readFile(testCsv, "utf8")).map((row) => [row.id, row.values]));
const series: EvaluationSeries[] = trainRows.map((row) => ({
  id: row.id,
  train: row.values,
  test: (testById.get(row.id) ?? []).slice(0, HORIZON),
}));
const split = Math.min(series.length, Number(flags.split));

/** One candidate on one series: its backtest score and its forecast of the test horizon. */
interface Candidate {
  readonly name: string;
  readonly rolled: boolean;
  readonly mase: number;
  /** MASE of each backtest fold, oldest first. */
  readonly folds: readonly number[];
  readonly test: Forecast;
}

const context: ModelContext = {
  period: PERIOD,
  horizonSteps: HORIZON,
  stepSeconds: STEP_SECONDS,
  // Training parts only: the global networks never see the test.
  peerSeries: series.map((item) => ({ values: item.train, stepSeconds: STEP_SECONDS })),
};
const periods = [24, 168];
const adjustedGlobal = new GlobalLstmForecaster(
  {
    period: 1,
    horizonSteps: HORIZON,
    chunkSteps: 24,
    chunks: 7,
    phasePeriods: periods,
    holdoutSteps: FOLDS * HORIZON,
  },
  series.map((item) => ({ values: deseasonalize(item.train, periods).adjusted, stepSeconds: STEP_SECONDS })),
);
const networks: [string, Forecaster][] = [
  ["lstm", createForecaster("lstm", context)],
  ["lstm-global", createForecaster("lstm-global", context)],
  ["mstl-lstm", createForecaster("mstl-lstm", context)],
  ["mstl-lstm-global", new DeseasonalizedLstmForecaster({ periods, adjustedModel: adjustedGlobal })],
];
const regular = autoCandidates(context);
/** Local networks also refitted on the full history, for the "refit when chosen" rules. */
const REFITTED = ["lstm", "mstl-lstm"];

const started = performance.now();
const perSeries: Candidate[][] = series.map((item, index) => {
  const values = cleanValues(item.train).values;
  const candidates: Candidate[] = [];
  regular.forEach((forecaster, i) => {
    if (values.length < forecaster.capabilities.minTrainLength + HORIZON) return;
    const backtest = rollingOriginBacktest(values, forecaster, {
      horizonSteps: HORIZON,
      period: PERIOD,
      folds: FOLDS,
    });
    if (backtest.folds.length === 0 || !Number.isFinite(backtest.mase)) return;
    try {
      const test = forecaster
        .fit({ values, stepSeconds: STEP_SECONDS })
        .predict(HORIZON, { levels: [80, 95] });
      candidates.push({
        name: `${forecaster.name}#${i}`,
        rolled: false,
        mase: backtest.mase,
        folds: backtest.folds.map((fold) => fold.mase),
        test,
      });
    } catch {
      // As in auto: a candidate that fails on the full history is skipped.
    }
  });
  for (const [name, forecaster] of networks) {
    const rolled = rollForwardBacktest(values, forecaster, {
      horizonSteps: HORIZON,
      period: PERIOD,
      folds: FOLDS,
      stepSeconds: STEP_SECONDS,
    });
    if (!rolled.fitted || rolled.backtest.folds.length === 0 || !Number.isFinite(rolled.backtest.mase))
      continue;
    const folds = rolled.backtest.folds.map((fold) => fold.mase);
    const test = rolled.fitted.predict(HORIZON, { levels: [80, 95] });
    candidates.push({ name, rolled: true, mase: rolled.backtest.mase, folds, test });
    if (REFITTED.includes(name)) {
      // The same backtest, but the forecast from a fit on the full history (a refit when chosen).
      const refit = forecaster
        .fit({ values, stepSeconds: STEP_SECONDS })
        .predict(HORIZON, { levels: [80, 95] });
      candidates.push({
        name: `${name} refitted`,
        rolled: true,
        mase: rolled.backtest.mase,
        folds,
        test: refit,
      });
    }
  }
  process.stderr.write(
    `\r${item.id} (${index + 1}/${series.length}) ${((performance.now() - started) / 1000).toFixed(0)} s   `,
  );
  return candidates;
});
process.stderr.write("\n");

/** Which candidates a rule averages, and with what weights. */
interface Rule {
  /** Networks allowed in, each only when its backtest MASE ≤ `ratio` × the best statistical one. */
  readonly networks?: readonly string[];
  readonly ratio?: number;
  /** `auto`'s own: members within this factor of the best backtest MASE, at most `combine`. */
  readonly maxScoreRatio?: number;
  readonly combine?: number;
  /** Equal weights (as `auto`), or proportional to 1/MASE or 1/MASE². */
  readonly weights?: "equal" | "inverse" | "inverse-squared";
  /** Networks join only when they beat the best statistical candidate on every fold as well. */
  readonly everyFold?: boolean;
  /** Networks added to the average whatever their backtest. */
  readonly always?: readonly string[];
  /** A single candidate by name prefix (the families alone). */
  readonly only?: string;
}

const ALL_NETWORKS = networks.map(([name]) => name);
const RULES: Record<string, Rule> = {
  naive2: { only: "naive2" },
  mstl: { only: "mstl" },
  "lstm (rolled forward)": { only: "lstm" },
  "lstm (refitted)": { only: "lstm refitted" },
  "lstm-global": { only: "lstm-global" },
  "mstl-lstm (rolled forward)": { only: "mstl-lstm" },
  "mstl-lstm (refitted)": { only: "mstl-lstm refitted" },
  "mstl-lstm-global": { only: "mstl-lstm-global" },
  auto: {},
  "auto+lstm (as shipped: ratio 1)": { networks: ["lstm", "lstm-global"] },
  "auto+lstm ratio 0.9": { networks: ["lstm", "lstm-global"], ratio: 0.9 },
  "auto+lstm ratio 1.25": { networks: ["lstm", "lstm-global"], ratio: 1.25 },
  "auto+lstm, 1/MASE weights": { networks: ["lstm", "lstm-global"], weights: "inverse" },
  "auto+lstm, wins every fold": { networks: ["lstm", "lstm-global"], everyFold: true },
  "auto+lstm, refitted when chosen": { networks: ["lstm refitted", "lstm-global"] },
  "auto + mstl-lstm refitted when chosen": { networks: ["mstl-lstm refitted"] },
  "auto + mstl-lstm": { networks: ["mstl-lstm"] },
  "auto + mstl-lstm-global": { networks: ["mstl-lstm-global"] },
  "auto + all four networks": { networks: ALL_NETWORKS },
  "auto + all four, 1/MASE² weights": { networks: ALL_NETWORKS, weights: "inverse-squared" },
  "auto + all four, best single": { networks: ALL_NETWORKS, combine: 1 },
  "auto, 1/MASE² weights": { weights: "inverse-squared" },
  "auto ⊕ lstm-global always": { always: ["lstm-global"] },
  "auto ⊕ mstl-lstm-global always": { always: ["mstl-lstm-global"] },
};

function apply(rule: Rule, candidates: readonly Candidate[]): Forecast | undefined {
  if (rule.only !== undefined) {
    const only = rule.only;
    const match = candidates.find((candidate) =>
      candidate.rolled ? candidate.name === only : candidate.name.split("#")[0] === only,
    );
    return match?.test;
  }
  const statistical = candidates.filter((candidate) => !candidate.rolled);
  const statisticalBest = Math.min(...statistical.map((candidate) => candidate.mase));
  const bestStatistical = statistical.find((candidate) => candidate.mase === statisticalBest);
  const winsEveryFold = (candidate: Candidate): boolean =>
    candidate.folds.length === bestStatistical?.folds.length &&
    candidate.folds.every((mase, i) => mase < (bestStatistical.folds[i] ?? -Infinity));
  const pool = [
    ...statistical,
    ...candidates.filter(
      (candidate) =>
        candidate.rolled &&
        (rule.networks ?? []).includes(candidate.name) &&
        candidate.mase <= (rule.ratio ?? 1) * statisticalBest &&
        (rule.everyFold !== true || winsEveryFold(candidate)),
    ),
  ].sort((a, b) => a.mase - b.mase);
  const best = pool[0]?.mase ?? Infinity;
  const chosen: Candidate[] = [];
  for (const candidate of pool) {
    if (chosen.length >= (rule.combine ?? 5)) break;
    if (candidate.mase > best * (rule.maxScoreRatio ?? 1.25) && chosen.length > 0) break;
    chosen.push(candidate);
  }
  for (const name of rule.always ?? []) {
    const extra = candidates.find((candidate) => candidate.name === name);
    if (extra && !chosen.includes(extra)) chosen.push(extra);
  }
  if (chosen.length === 0) return undefined;
  const weights = chosen.map((candidate) =>
    rule.weights === "inverse"
      ? 1 / Math.max(1e-9, candidate.mase)
      : rule.weights === "inverse-squared"
        ? 1 / Math.max(1e-9, candidate.mase) ** 2
        : 1,
  );
  return weightedAverage(
    chosen.map((candidate) => candidate.test),
    weights,
  );
}

function weightedAverage(forecasts: readonly Forecast[], weights: readonly number[]): Forecast {
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  const mix = (pick: (forecast: Forecast) => readonly number[]): number[] =>
    Array.from({ length: HORIZON }, (_, h) =>
      forecasts.reduce((sum, forecast, i) => sum + ((weights[i] ?? 0) / total) * (pick(forecast)[h] ?? 0), 0),
    );
  const first = forecasts[0];
  return {
    model: "combination",
    mean: mix((forecast) => forecast.mean),
    intervals: (first?.intervals ?? []).map((interval) => ({
      level: interval.level,
      lower: mix(
        (forecast) => forecast.intervals.find((i) => i.level === interval.level)?.lower ?? forecast.mean,
      ),
      upper: mix(
        (forecast) => forecast.intervals.find((i) => i.level === interval.level)?.upper ?? forecast.mean,
      ),
    })),
    notes: [],
  };
}

const ranges: [string, number, number][] = [
  [`H1–H${split}`, 0, split],
  ...(split < series.length ? ([[`H${split + 1}–H${series.length}`, split, series.length]] as const) : []),
  [`H1–H${series.length}`, 0, series.length],
].map(([label, from, to]) => [String(label), Number(from), Number(to)]);
const results: Record<string, Record<string, MethodScores>> = {};
for (const [label, from, to] of ranges) {
  const part = series.slice(from, to);
  const forecastsOf = (rule: Rule): Forecast[] =>
    perSeries.slice(from, to).map((candidates, i) => {
      const forecast = apply(rule, candidates);
      if (forecast) return forecast;
      // No candidate at all (cannot happen on M4 Hourly): score it as the last value repeated.
      const last = part[i]?.train.at(-1) ?? 0;
      const flat = new Array<number>(HORIZON).fill(last);
      return { model: "none", mean: flat, intervals: [], notes: [] };
    });
  const reference = {
    name: "naive2",
    forecasts: forecastsOf(RULES.naive2 ?? {}),
    fitMsPerSeries: 0,
    failures: 0,
  };
  results[label] = scoreForecastSets(
    part,
    Object.entries(RULES).map(([name, rule]) => ({
      name,
      forecasts: forecastsOf(rule),
      fitMsPerSeries: 0,
      failures: 0,
    })),
    reference,
    PERIOD,
  ).methods;
}

process.stdout.write(
  `\nM4 Hourly, ${series.length} series, h=${HORIZON}: OWA (80% coverage) per rule; designs chosen on ${ranges[0]?.[0]}\n`,
);
process.stdout.write(
  `${formatTable(
    ["rule", ...ranges.map(([label]) => `OWA ${label}`), ...ranges.map(([label]) => `cov80 ${label}`)],
    Object.keys(RULES).map((name) => [
      name,
      ...ranges.map(([label]) => results[label]?.[name]?.owa ?? Number.NaN),
      ...ranges.map(([label]) => results[label]?.[name]?.coverage80 ?? Number.NaN),
    ]),
  )}\n`,
);
await mkdir(dirname(flags.out), { recursive: true });
await writeFile(
  flags.out,
  `${JSON.stringify(
    {
      createdAt: new Date().toISOString(),
      machine: { cpus: cpus().length, node: process.version, loadAverage: loadavg() },
      lstmBackend: backend.backend,
      series: series.length,
      split,
      seconds: (performance.now() - started) / 1000,
      rules: RULES,
      results,
    },
    null,
    2,
  )}\n`,
);
process.stderr.write(`wrote ${flags.out}\n`);
