import { readFile, writeFile } from "node:fs/promises";
import { initLstmBackend } from "../../models/lstm/lstm-backend.js";
import { parseWideCsv, WideCsvError, type WideSeries } from "../../training/datasets/wide-csv.js";
import {
  evaluateForecasters,
  type EvaluationResult,
  type EvaluationSeries,
} from "../../training/evaluation/evaluate-forecasters.js";
import {
  createForecaster,
  isModelName,
  MODEL_NAMES,
  stepSecondsForSeason,
  type ModelContext,
} from "../../training/model-catalog.js";
import { CliError } from "./cli-error.js";
import { parseCliArgs } from "./parse-cli-args.js";
import { ProgressBar } from "./progress-bar.js";
import { formatTable } from "./text-table.js";

export interface EvalForecastOptions {
  readonly trainCsv: string;
  readonly testCsv: string;
  readonly season: number;
  readonly horizon: number;
  readonly models: readonly string[];
  readonly limit?: number;
  readonly jsonPath?: string;
  /** Sampling interval; when absent it is inferred from M4's (season, horizon) pairs. */
  readonly stepSeconds?: number;
}

/** `presage eval forecast …`: parses flags, runs the evaluation, prints the table, writes JSON. */
export async function runEvalForecastCommand(argv: readonly string[]): Promise<void> {
  const options = parseEvalForecastArgs(argv);
  const series = await loadEvaluationSeries(options);
  let lstmBackend: string | undefined;
  if (options.models.some((name) => name.includes("lstm"))) {
    // Training is synchronous; the backend (native, wasm or cpu) must be chosen before it starts.
    const backend = await initLstmBackend();
    lstmBackend = backend.backend;
    process.stderr.write(
      `lstm backend: ${backend.backend}${backend.skipped.length > 0 ? ` (skipped ${backend.skipped.join("; ")})` : ""}\n`,
    );
  }
  const result = evaluateModels(series, options);
  process.stdout.write(`${formatEvaluationTable(result, series.length)}\n`);
  if (lstmBackend !== undefined) process.stdout.write(`lstm backend: ${lstmBackend}\n`);
  if (options.jsonPath) {
    const json = { ...toJson(result, series.length, options), ...(lstmBackend ? { lstmBackend } : {}) };
    await writeFile(options.jsonPath, `${JSON.stringify(json, null, 2)}\n`);
    process.stderr.write(`wrote ${options.jsonPath}\n`);
  }
}

export function parseEvalForecastArgs(argv: readonly string[]): EvalForecastOptions {
  const parsed = parseCliArgs(argv, {
    train: { type: "string" },
    test: { type: "string" },
    season: { type: "string" },
    horizon: { type: "string" },
    models: { type: "string", default: "auto,ets,theta,mstl,snaive,naive2" },
    limit: { type: "string" },
    json: { type: "string" },
    "step-seconds": { type: "string" },
  });
  const problems: string[] = [];
  if (!parsed.train) problems.push("--train <train.csv> is required");
  if (!parsed.test) problems.push("--test <test.csv> is required");
  const season = positiveInteger("--season", parsed.season, problems);
  const horizon = positiveInteger("--horizon", parsed.horizon, problems);
  const limit = parsed.limit === undefined ? undefined : positiveInteger("--limit", parsed.limit, problems);
  const stepSeconds =
    parsed["step-seconds"] === undefined
      ? undefined
      : positiveInteger("--step-seconds", parsed["step-seconds"], problems);
  const models = parsed.models
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "");
  if (models.length === 0) problems.push("--models must name at least one model");
  for (const name of models) {
    if (!isModelName(name))
      problems.push(`--models: unknown model "${name}" (known: ${MODEL_NAMES.join(", ")})`);
  }
  if (problems.length > 0) throw new CliError(problems.join("\n"));
  return {
    trainCsv: parsed.train ?? "",
    testCsv: parsed.test ?? "",
    season,
    horizon,
    models,
    ...(limit === undefined ? {} : { limit }),
    ...(parsed.json === undefined ? {} : { jsonPath: parsed.json }),
    ...(stepSeconds === undefined ? {} : { stepSeconds }),
  };
}

export async function loadEvaluationSeries(options: EvalForecastOptions): Promise<EvaluationSeries[]> {
  const [train, test] = await Promise.all([readWide(options.trainCsv), readWide(options.testCsv)]);
  const testById = new Map(test.map((row) => [row.id, row]));
  const selected = options.limit === undefined ? train : train.slice(0, options.limit);
  return selected.map((row) => {
    const actual = testById.get(row.id);
    if (!actual)
      throw new CliError(`series "${row.id}" is in ${options.trainCsv} but not in ${options.testCsv}`);
    if (actual.values.length < options.horizon) {
      throw new CliError(
        `series "${row.id}": test has ${actual.values.length} values, fewer than --horizon ${options.horizon}`,
      );
    }
    const test = actual.values.slice(0, options.horizon);
    if (!test.every(Number.isFinite))
      throw new CliError(`series "${row.id}": test values contain missing cells`);
    return { id: row.id, train: row.values, test };
  });
}

export function evaluateModels(
  series: readonly EvaluationSeries[],
  options: EvalForecastOptions,
): EvaluationResult {
  const progress = new ProgressBar("eval forecast");
  const position = { done: 0, total: 0 };
  const stepSeconds = options.stepSeconds ?? stepSecondsForSeason(options.season, options.horizon);
  const context: ModelContext = {
    period: options.season,
    horizonSteps: options.horizon,
    stepSeconds,
    // The global LSTM trains once on every series' training part (never on the test part).
    peerSeries: series.map((item) => ({ values: item.train, stepSeconds })),
    onTrainingProgress: (epoch) => {
      progress.update(
        position.done,
        position.total,
        `lstm training · epoch ${epoch.epoch}/${epoch.maxEpochs} loss ${epoch.trainLoss.toFixed(4)}/${epoch.validationLoss.toFixed(4)}`,
      );
    },
  };
  try {
    return evaluateForecasters(
      series,
      options.models.map((name) => ({ name, create: () => createForecaster(name, context) })),
      { name: "naive2", create: () => createForecaster("naive2", context) },
      {
        period: options.season,
        horizonSteps: options.horizon,
        stepSeconds: context.stepSeconds,
        onProgress: (done, total, method) => {
          Object.assign(position, { done, total });
          progress.update(done, total, method);
        },
      },
    );
  } finally {
    progress.finish();
  }
}

export function formatEvaluationTable(result: EvaluationResult, seriesCount: number): string {
  const rows = Object.entries(result.methods).map(([name, scores]) => [
    name,
    scores.smape,
    scores.mase,
    scores.owa,
    scores.msis,
    scores.coverage80,
    scores.coverage95,
    scores.fitMsPerSeries,
    scores.failures,
  ]);
  return `${seriesCount} series\n${formatTable(
    ["method", "sMAPE", "MASE", "OWA", "MSIS", "cov80", "cov95", "fit ms/series", "failed"],
    rows,
  )}`;
}

function toJson(result: EvaluationResult, seriesCount: number, options: EvalForecastOptions): object {
  return {
    series: seriesCount,
    season: options.season,
    horizon: options.horizon,
    methods: Object.fromEntries(
      Object.entries(result.methods).map(([name, scores]) => [
        name,
        {
          smape: scores.smape,
          mase: scores.mase,
          owa: scores.owa,
          msis: scores.msis,
          coverage80: scores.coverage80,
          coverage95: scores.coverage95,
          fitMsPerSeries: scores.fitMsPerSeries,
          failures: scores.failures,
        },
      ]),
    ),
    notes: result.notes,
  };
}

async function readWide(path: string): Promise<WideSeries[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new CliError(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    return parseWideCsv(text);
  } catch (error) {
    if (error instanceof WideCsvError) throw new CliError(`${path}: ${error.message}`);
    throw error;
  }
}

function positiveInteger(flag: string, raw: string | undefined, problems: string[]): number {
  if (raw === undefined) {
    problems.push(`${flag} is required`);
    return 0;
  }
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) problems.push(`${flag} (${raw}) must be an integer ≥ 1`);
  return value;
}
