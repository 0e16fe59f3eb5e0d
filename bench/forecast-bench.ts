/**
 * `npm run bench:forecast`: presage's forecasters on M4 Hourly H1–H150 and Weekly W1–W200, next to
 * R's `forecast` package run on the same series in the same run (when Rscript + forecast are
 * installed). Prints one table per data set with accuracy and time ratios, writes JSON.
 *
 * The LSTM models (`lstm`, `lstm-global`, `auto+lstm`) train on the backend `initLstmBackend` picks
 * (reported in the output and the JSON); `lstm-global` trains one network on the training parts of
 * all the data set's series. `ms/series` is fit + forecast time per series (for `lstm-global` the
 * shared training is spread over the series; `lstmGlobalTrainingSeconds` in the JSON has it whole).
 *
 * `--average auto+lstm-global` also scores the equal-weight average of those methods' forecasts (point
 * forecasts and interval bounds averaged per step; fit time summed).
 *
 * `--split N` also scores the first N series and the rest on their own (e.g. `--split 75` on hourly:
 * H1–H75, where designs are chosen, and H76–H150, which checks them), printed and under `splits` in
 * the JSON; every model is still fitted once, on the whole set.
 *
 * Flags: --only hourly|weekly  --limit N  --models a,b  --average a+b  --split N  --skip-r  --r-workers N  --r-methods a,b
 *        --r-timeout-seconds S (per R method and series; over it R falls back to snaive, counted)
 *        --out file.json
 */
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { FittedLstm } from "../models/lstm/fitted-lstm.js";
import { initLstmBackend } from "../models/lstm/lstm-backend.js";
import { loadEvaluationSeries } from "../src/cli/eval-forecast-command.js";
import { ProgressBar } from "../src/cli/progress-bar.js";
import { formatTable } from "../src/cli/text-table.js";
import {
  forecastAll,
  scoreForecastSets,
  type EvaluationSeries,
  type ForecastSet,
  type MethodScores,
} from "../training/evaluation/evaluate-forecasters.js";
import { createForecaster, stepSecondsForSeason, type ModelContext } from "../training/model-catalog.js";
import { runRForecastPeers } from "./r-forecast-peers.js";
import { renderScoreChartSvg, type ChartPanel } from "./score-chart-svg.js";
import { findRepoRoot } from "./repo-root.js";

interface BenchDataset {
  readonly name: string;
  readonly train: string;
  readonly test: string;
  readonly season: number;
  readonly horizon: number;
}

const DATASETS: readonly BenchDataset[] = [
  {
    name: "hourly",
    train: "m4/Hourly-train-H1-H150.csv",
    test: "m4/Hourly-test-H1-H150.csv",
    season: 24,
    horizon: 48,
  },
  {
    name: "weekly",
    train: "m4/Weekly-train-W1-W200.csv",
    test: "m4/Weekly-test-W1-W200.csv",
    season: 1,
    horizon: 13,
  },
];
const R_METHODS = ["snaive", "ets", "auto.arima", "thetaf", "stlf"];

const repoRoot = findRepoRoot(dirname(fileURLToPath(import.meta.url)));
const { values: flags } = parseArgs({
  options: {
    only: { type: "string" },
    limit: { type: "string" },
    models: { type: "string", default: "auto,ets,theta,mstl,snaive,naive2,lstm,lstm-global,auto+lstm" },
    "skip-r": { type: "boolean", default: false },
    average: { type: "string", default: "" },
    split: { type: "string" },
    "r-workers": { type: "string", default: "2" },
    "r-timeout-seconds": { type: "string", default: "60" },
    "r-methods": { type: "string", default: R_METHODS.join(",") },
    out: { type: "string", default: join(repoRoot, "bench-results", "forecast-bench.json") },
  },
});
const sharedData = process.env.PRESAGE_SHARED_DATA ?? resolve(repoRoot, "../shared/data");
if (!existsSync(sharedData)) {
  process.stderr.write(`bench:forecast: shared data not found at ${sharedData} (set PRESAGE_SHARED_DATA)\n`);
  process.exit(2);
}
const limit = flags.limit === undefined ? undefined : Number(flags.limit);
const split = flags.split === undefined ? undefined : Number(flags.split);
if (split !== undefined && !(Number.isInteger(split) && split > 0)) {
  process.stderr.write(`bench:forecast: --split (${flags.split}) must be an integer ≥ 1\n`);
  process.exit(2);
}
const models = flags.models.split(",").filter((name) => name !== "");
const panels: ChartPanel[] = [];
const lstmBackend = models.some((name) => name.includes("lstm")) ? await initLstmBackend() : undefined;
if (lstmBackend) {
  process.stderr.write(
    `lstm backend: ${lstmBackend.backend}${lstmBackend.skipped.length > 0 ? ` (skipped ${lstmBackend.skipped.join("; ")})` : ""}\n`,
  );
}
const report: Record<string, unknown> = {
  createdAt: new Date().toISOString(),
  machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version, loadAverage: loadavg() },
  ...(lstmBackend ? { lstmBackend: lstmBackend.backend } : {}),
  datasets: {},
};

for (const dataset of DATASETS.filter(
  (candidate) => flags.only === undefined || candidate.name === flags.only,
)) {
  const trainCsv = join(sharedData, dataset.train);
  const testCsv = join(sharedData, dataset.test);
  const series = await loadEvaluationSeries({
    trainCsv,
    testCsv,
    season: dataset.season,
    horizon: dataset.horizon,
    models,
    ...(limit === undefined ? {} : { limit }),
  });
  process.stderr.write(
    `\n== M4 ${dataset.name}: ${series.length} series, h=${dataset.horizon}, m=${dataset.season}\n`,
  );
  const lstmTiming: LstmTiming = { globalTrainingSeconds: undefined, localTrainingSeconds: [] };
  const ours = runOurs(series, dataset, lstmTiming);
  const peers = flags["skip-r"] ? [] : await runR(dataset, trainCsv, testCsv, series);
  const reference = ours.find((set) => set.name === "naive2");
  if (!reference) throw new Error("naive2 must be among the models: it is the OWA reference");
  const averaged = flags.average
    .split(",")
    .filter((spec) => spec !== "")
    .map((spec) => averageSets(spec, ours));
  const scored = scoreForecastSets(series, [...ours, ...averaged, ...peers], reference, dataset.season);
  const ratios = ratiosAgainstAuto(scored.methods);
  process.stdout.write(
    `\nM4 ${dataset.name} (${series.length} series, h=${dataset.horizon}, m=${dataset.season})\n`,
  );
  process.stdout.write(`${formatScores(scored.methods)}\n`);
  if (ratios.length > 0) {
    process.stdout.write(
      `\n${formatTable(
        ["peer", "OWA auto/peer", "MSIS auto/peer", "time peer/auto"],
        ratios.map((ratio) => [ratio.peer, ratio.owaRatio, ratio.msisRatio, ratio.speedup]),
      )}\n`,
    );
  }
  const splits =
    split === undefined || split >= series.length
      ? []
      : splitScores(series, [...ours, ...averaged, ...peers], reference, dataset, split);
  for (const part of splits) {
    process.stdout.write(`\nM4 ${dataset.name}, ${part.label}\n${formatScores(part.methods)}\n`);
  }
  panels.push({
    title: `M4 ${dataset.name} (${series.length} series, h=${dataset.horizon})`,
    bars: Object.entries(scored.methods).map(([name, scores]) => ({
      label: name,
      value: scores.owa,
      peer: name.startsWith("R "),
    })),
  });
  (report.datasets as Record<string, unknown>)[dataset.name] = {
    series: series.length,
    horizon: dataset.horizon,
    season: dataset.season,
    methods: scored.methods,
    ...(splits.length > 0 ? { splits } : {}),
    ratios,
    notes: scored.notes,
    ...(lstmBackend
      ? {
          lstm: {
            backend: lstmBackend.backend,
            globalTrainingSeconds: lstmTiming.globalTrainingSeconds,
            localTrainingSecondsPerSeries: summarize(lstmTiming.localTrainingSeconds),
          },
        }
      : {}),
    loadAverageAfter: loadavg(),
  };
}

const outPath = flags.out;
await mkdir(dirname(outPath), { recursive: true });
await writeFile(outPath, `${JSON.stringify(report, null, 2)}\n`);
const chartPath = outPath.replace(/\.json$/, "") + "-owa.svg";
await writeFile(chartPath, renderScoreChartSvg(panels, "OWA"));
process.stderr.write(`\nwrote ${outPath} and ${chartPath}\n`);

interface LstmTiming {
  globalTrainingSeconds: number | undefined;
  localTrainingSeconds: number[];
}

function runOurs(
  series: readonly EvaluationSeries[],
  dataset: BenchDataset,
  lstmTiming: LstmTiming,
): ForecastSet[] {
  const stepSeconds = stepSecondsForSeason(dataset.season, dataset.horizon);
  const progress = new ProgressBar(`presage ${dataset.name}`);
  const total = models.length * series.length;
  let done = 0;
  let label = "";
  const context: ModelContext = {
    period: dataset.season,
    horizonSteps: dataset.horizon,
    stepSeconds,
    // Training parts only: the global LSTM never sees what is scored.
    peerSeries: series.map((item) => ({ values: item.train, stepSeconds })),
    onTrainingProgress: (epoch) => {
      progress.update(
        done,
        total,
        `${label} · epoch ${epoch.epoch}/${epoch.maxEpochs} loss ${epoch.trainLoss.toFixed(4)}/${epoch.validationLoss.toFixed(4)}`,
      );
    },
  };
  try {
    return models.map((name) => {
      label = name;
      const create = (): ReturnType<typeof createForecaster> => {
        const forecaster = createForecaster(name, context);
        if (name !== "lstm-global" && name !== "lstm") return forecaster;
        // Time the LSTM's own training: the global network's once, local networks per series.
        return {
          name: forecaster.name,
          capabilities: forecaster.capabilities,
          fit: (input) => {
            const started = performance.now();
            const fitted = forecaster.fit(input);
            const seconds = (performance.now() - started) / 1000;
            if (name === "lstm" && fitted instanceof FittedLstm)
              lstmTiming.localTrainingSeconds.push(seconds);
            if (name === "lstm-global" && lstmTiming.globalTrainingSeconds === undefined)
              lstmTiming.globalTrainingSeconds = seconds;
            return fitted;
          },
        };
      };
      const set = forecastAll(series, { name, create }, { stepSeconds: context.stepSeconds }, () => {
        done++;
        progress.update(done, total, name);
      });
      process.stderr.write(
        `${progress.enabled ? "\r\x1b[2K" : ""}presage ${name}: ${set.fitMsPerSeries.toFixed(1)} ms/series\n`,
      );
      return set;
    });
  } finally {
    progress.finish();
  }
}

async function runR(
  dataset: BenchDataset,
  trainCsv: string,
  testCsv: string,
  series: readonly EvaluationSeries[],
): Promise<ForecastSet[]> {
  const results = await runRForecastPeers({
    trainCsv,
    testCsv,
    season: dataset.season,
    horizon: dataset.horizon,
    methods: flags["r-methods"].split(",").filter((name) => name !== ""),
    workers: Number(flags["r-workers"]),
    timeoutSeconds: Number(flags["r-timeout-seconds"]),
    ...(limit === undefined ? {} : { limit }),
    onProgress: (line) => process.stderr.write(`${line}\n`),
    onUnavailable: (reason) => process.stderr.write(`R peers skipped: ${reason}\n`),
  });
  if (!results) return [];
  return [...results.methods.entries()].map(([method, byId]) => {
    const forecasts = series.map((item) => {
      const forecast = byId.get(item.id);
      if (!forecast) throw new Error(`R ${method} has no forecast for ${item.id}`);
      return forecast;
    });
    const notes: Record<string, number> = {};
    for (const forecast of forecasts) for (const note of forecast.notes) notes[note] = (notes[note] ?? 0) + 1;
    return {
      name: `R ${method}`,
      forecasts,
      fitMsPerSeries: forecasts.reduce((sum, forecast) => sum + forecast.fitMs, 0) / forecasts.length,
      failures: forecasts.filter((forecast) => forecast.fallback !== undefined).length,
      notes,
    };
  });
}

function formatScores(methods: Record<string, MethodScores>): string {
  return formatTable(
    ["method", "sMAPE", "MASE", "OWA", "MSIS", "cov80", "cov95", "ms/series", "fallbacks"],
    Object.entries(methods).map(([name, s]) => [
      name,
      s.smape,
      s.mase,
      s.owa,
      s.msis,
      s.coverage80,
      s.coverage95,
      s.fitMsPerSeries,
      s.failures,
    ]),
  );
}

/** Scores of the first `at` series and of the rest, each against its own Naive2 (OWA is per set). */
function splitScores(
  series: readonly EvaluationSeries[],
  sets: readonly ForecastSet[],
  reference: ForecastSet,
  dataset: BenchDataset,
  at: number,
): { label: string; series: number; methods: Record<string, MethodScores> }[] {
  const prefix = dataset.name.charAt(0).toUpperCase();
  return [
    [0, at],
    [at, series.length],
  ].map(([from = 0, to = 0]) => {
    const slice = (set: ForecastSet): ForecastSet => ({ ...set, forecasts: set.forecasts.slice(from, to) });
    const part = series.slice(from, to);
    const label = `${prefix}${from + 1}–${prefix}${to} of the set (${part.length} series)`;
    return {
      label,
      series: part.length,
      methods: scoreForecastSets(part, sets.map(slice), slice(reference), dataset.season).methods,
    };
  });
}

interface PeerRatio {
  readonly peer: string;
  /** auto's OWA over the peer's: below 1 means auto is more accurate. */
  readonly owaRatio: number;
  readonly msisRatio: number;
  /** The peer's time per series over auto's: above 1 means auto is faster. */
  readonly speedup: number;
}

function ratiosAgainstAuto(methods: Record<string, MethodScores>): PeerRatio[] {
  const auto = methods.auto;
  if (!auto) return [];
  return Object.entries(methods)
    .filter(([name]) => name.startsWith("R "))
    .map(([name, peer]) => ({
      peer: name,
      owaRatio: auto.owa / peer.owa,
      msisRatio: auto.msis / peer.msis,
      speedup: peer.fitMsPerSeries / auto.fitMsPerSeries,
    }));
}

/** The equal-weight average of the forecast sets named in `spec` (`a+b`), as one more method. */
function averageSets(spec: string, sets: readonly ForecastSet[]): ForecastSet {
  const members = spec.split("+").map((name) => {
    const set = sets.find((candidate) => candidate.name === name);
    if (!set) throw new Error(`--average ${spec}: ${name} is not among --models`);
    return set;
  });
  const first = members[0];
  if (!first || members.length < 2) throw new Error(`--average ${spec}: name at least two methods`);
  const mean = (rows: readonly (readonly number[])[]): number[] =>
    (rows[0] ?? []).map((_, h) => rows.reduce((sum, row) => sum + (row[h] ?? 0), 0) / rows.length);
  const forecasts = first.forecasts.map((forecast, i) => {
    const parts = members.map((member) => member.forecasts[i] ?? forecast);
    return {
      model: `average(${parts.map((part) => part.model).join(",")})`,
      mean: mean(parts.map((part) => part.mean)),
      intervals: forecast.intervals.map((interval) => {
        const matching = parts.map(
          (part) => part.intervals.find((candidate) => candidate.level === interval.level) ?? interval,
        );
        return {
          level: interval.level,
          lower: mean(matching.map((candidate) => candidate.lower)),
          upper: mean(matching.map((candidate) => candidate.upper)),
        };
      }),
      notes: [],
    };
  });
  return {
    name: spec.replaceAll("+", "⊕"),
    forecasts,
    fitMsPerSeries: members.reduce((sum, member) => sum + member.fitMsPerSeries, 0),
    failures: members.reduce((sum, member) => sum + member.failures, 0),
  };
}

function summarize(seconds: readonly number[]): { median: number; max: number; count: number } | undefined {
  if (seconds.length === 0) return undefined;
  const sorted = [...seconds].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
  return { median, max: sorted[sorted.length - 1] ?? 0, count: sorted.length };
}
