import { readFile, writeFile } from "node:fs/promises";
import { basename, extname } from "node:path";
import {
  CAPACITY_MODEL_NAMES,
  capacityMethod,
  DEFAULT_CAPACITY_MODELS,
  isCapacityModelName,
  type CapacityModelName,
} from "../../training/capacity/capacity-methods.js";
import {
  evaluateCapacity,
  type CapacityEvaluationResult,
  type CapacityMethod,
} from "../../training/capacity/evaluate-capacity.js";
import { DailyCsvError, parseDailyCsv, type DailySeries } from "../../training/datasets/daily-csv.js";
import { CliError } from "./cli-error.js";
import { parseCliArgs } from "./parse-cli-args.js";
import { ProgressBar } from "./progress-bar.js";
import { formatTable } from "./text-table.js";

export interface EvalCapacityOptions {
  readonly inputCsv: string;
  /** Horizons in days, ascending; the longest sets the forecast origins. */
  readonly horizonsDays: readonly number[];
  readonly models: readonly CapacityModelName[];
  readonly jsonPath?: string;
  /** Most rolling origins per series. */
  readonly maxOrigins?: number;
}

/** `presage eval capacity …`: parses flags, runs the rolling-origin evaluation, prints, writes JSON. */
export async function runEvalCapacityCommand(argv: readonly string[]): Promise<void> {
  const options = parseEvalCapacityArgs(argv);
  const series = await loadDailySeries(options.inputCsv);
  const longest = Math.max(...options.horizonsDays);
  const result = runCapacityEvaluation(
    series,
    options.models.map((name) => capacityMethod(name, longest)),
    options,
  );
  process.stdout.write(`${formatCapacityTable(result, options.horizonsDays, series.length)}\n`);
  for (const note of result.notes.slice(0, 10)) process.stderr.write(`note: ${note}\n`);
  if (options.jsonPath) {
    await writeFile(
      options.jsonPath,
      `${JSON.stringify(capacityJson(result, options, series.length), null, 2)}\n`,
    );
    process.stderr.write(`wrote ${options.jsonPath}\n`);
  }
}

export function parseEvalCapacityArgs(argv: readonly string[]): EvalCapacityOptions {
  const parsed = parseCliArgs(argv, {
    input: { type: "string" },
    horizons: { type: "string", default: "90,180" },
    models: { type: "string", default: DEFAULT_CAPACITY_MODELS.join(",") },
    json: { type: "string" },
    "max-origins": { type: "string" },
  });
  const problems: string[] = [];
  if (!parsed.input) problems.push("--input <csv> is required");
  const horizonsDays = parsed.horizons
    .split(",")
    .map((text) => text.trim())
    .filter((text) => text !== "")
    .map((text) => {
      const value = Number(text);
      if (!Number.isInteger(value) || value < 7)
        problems.push(`--horizons: "${text}" must be an integer ≥ 7 (days)`);
      return value;
    });
  if (horizonsDays.length === 0) problems.push("--horizons must name at least one horizon in days");
  const models = parsed.models
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "");
  if (models.length === 0) problems.push("--models must name at least one model");
  for (const name of models) {
    if (!isCapacityModelName(name)) {
      problems.push(`--models: unknown model "${name}" (known: ${CAPACITY_MODEL_NAMES.join(", ")})`);
    }
  }
  let maxOrigins: number | undefined;
  if (parsed["max-origins"] !== undefined) {
    maxOrigins = Number(parsed["max-origins"]);
    if (!Number.isInteger(maxOrigins) || maxOrigins < 1) {
      problems.push(`--max-origins (${parsed["max-origins"]}) must be an integer ≥ 1`);
    }
  }
  if (problems.length > 0) throw new CliError(problems.join("\n"));
  return {
    inputCsv: parsed.input ?? "",
    horizonsDays: [...new Set(horizonsDays)].sort((a, b) => a - b),
    models: [...new Set(models.filter(isCapacityModelName))],
    ...(parsed.json === undefined ? {} : { jsonPath: parsed.json }),
    ...(maxOrigins === undefined ? {} : { maxOrigins }),
  };
}

/** Reads a long (`series,date,value`) or Prophet (`ds,y`) daily CSV; errors name the file and line. */
export async function loadDailySeries(path: string): Promise<DailySeries[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new CliError(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    return parseDailyCsv(text, { singleSeriesId: basename(path, extname(path)) });
  } catch (error) {
    if (error instanceof DailyCsvError) throw new CliError(`${path}: ${error.message}`, { cause: error });
    throw error;
  }
}

/** Runs the evaluation with a progress bar on stderr. */
export function runCapacityEvaluation(
  series: readonly DailySeries[],
  methods: readonly CapacityMethod[],
  options: Pick<EvalCapacityOptions, "horizonsDays" | "maxOrigins">,
): CapacityEvaluationResult {
  const progress = new ProgressBar("eval capacity");
  try {
    return evaluateCapacity(series, methods, {
      horizonsDays: options.horizonsDays,
      ...(options.maxOrigins === undefined ? {} : { maxOrigins: options.maxOrigins }),
      onProgress: (done, total, label) => {
        progress.update(done, total, label);
      },
    });
  } finally {
    progress.finish();
  }
}

export function formatCapacityTable(
  result: CapacityEvaluationResult,
  horizonsDays: readonly number[],
  seriesCount: number,
): string {
  const headers = [
    "method",
    ...horizonsDays.map((h) => `within15@${h}`),
    ...horizonsDays.map((h) => `MAPE@${h}`),
    ...horizonsDays.map((h) => `cov80@${h}`),
    "ms/forecast",
    "failed",
  ];
  const rows = Object.entries(result.methods).map(([name, scores]) => [
    name,
    ...horizonsDays.map((h) => scores.within15[String(h)] ?? Number.NaN),
    ...horizonsDays.map((h) => scores.mape[String(h)] ?? Number.NaN),
    ...horizonsDays.map((h) => scores.coverage80[String(h)] ?? Number.NaN),
    scores.msPerForecast,
    String(scores.failures),
  ]);
  return `${seriesCount} series, ${result.pairs} (series, origin) pairs; 7-day means; cov80 = daily actuals inside the daily 80% interval\n${formatTable(headers, rows)}`;
}

/** The JSON `eval capacity --json` writes: `{"methods": {name: {within15, mape, coverage80, …}}}`. */
export function capacityJson(
  result: CapacityEvaluationResult,
  options: Pick<EvalCapacityOptions, "horizonsDays" | "inputCsv">,
  seriesCount: number,
): object {
  return {
    input: options.inputCsv,
    series: seriesCount,
    pairs: result.pairs,
    horizons: options.horizonsDays,
    methods: Object.fromEntries(
      Object.entries(result.methods).map(([name, scores]) => [
        name,
        {
          within15: scores.within15,
          mape: scores.mape,
          coverage80: scores.coverage80,
          pairs: scores.pairs,
          failures: scores.failures,
          msPerForecast: scores.msPerForecast,
        },
      ]),
    ),
    notes: result.notes,
  };
}
