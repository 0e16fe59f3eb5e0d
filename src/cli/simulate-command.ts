import { readFile, writeFile } from "node:fs/promises";
import { createForecaster, isModelName, MODEL_NAMES } from "../../training/model-catalog.js";
import { parseDurationSeconds } from "../config/duration.js";
import type { LoadTrace } from "../scaler/simulation/load-trace.js";
import type { PolicyResult } from "../scaler/simulation/pod-hours-match.js";
import { renderReplayChartSvg } from "../scaler/simulation/replay-chart-svg.js";
import { SimulationError } from "../scaler/simulation/simulation-error.js";
import {
  simulateScaling,
  type SimulationOptions,
  type SimulationResult,
} from "../scaler/simulation/simulate-scaling.js";
import { MetricSourceError } from "../sources/metric-source.js";
import { parseCsvTrace } from "../sources/csv-trace.js";
import { CliError } from "./cli-error.js";
import { parseCliArgs } from "./parse-cli-args.js";
import { ProgressBar } from "./progress-bar.js";
import { formatTable } from "./text-table.js";

/** `presage simulate` as parsed from the command line. */
export interface SimulateCommandOptions {
  readonly tracePath: string;
  /** @defaultValue `requests` */
  readonly column: string;
  /** @defaultValue 60 */
  readonly stepSeconds: number;
  /** A number, or `peak/N`: the trace's highest measured value divided by N. */
  readonly podCapacity: PodCapacitySpec;
  readonly modelName: string;
  readonly simulation: Omit<SimulationOptions, "podCapacity" | "createForecaster">;
  readonly jsonPath?: string;
  readonly chartPath?: string;
}

export type PodCapacitySpec = { readonly value: number } | { readonly peakDivisor: number };

/** The JSON `--json` writes: one entry per replayed setting. */
export interface SimulationJson {
  readonly policies: readonly {
    readonly name: "reactive" | "presage" | "oracle";
    readonly targetUtilization: number;
    readonly quantile: number | null;
    readonly podHours: number;
    readonly underProvisionedMinutes: number;
    readonly underProvisionedPodMinutes: number;
    readonly unservedShare: number;
    readonly scalingActions: number;
  }[];
}

/** What a run produced, for the command and the benchmark. */
export interface SimulationRun {
  readonly trace: LoadTrace;
  readonly podCapacity: number;
  readonly result: SimulationResult;
  /** Wall-clock seconds: forecasting (fits + update/predict) and the replays. */
  readonly runtime: {
    readonly totalSeconds: number;
    readonly forecastSeconds: number;
    readonly replaySeconds: number;
  };
}

/** `presage simulate …`: replays a trace, prints tables, writes JSON and the chart. */
export async function runSimulateCommand(argv: readonly string[]): Promise<void> {
  const options = parseSimulateArgs(argv);
  const trace = await loadTrace(options.tracePath, options.column, options.stepSeconds);
  const run = runSimulation(trace, options);
  process.stdout.write(`${formatSimulationReport(run)}\n`);
  if (options.jsonPath !== undefined) {
    await writeFile(options.jsonPath, `${JSON.stringify(simulationJson(run.result), null, 2)}\n`);
    process.stderr.write(`wrote ${options.jsonPath}\n`);
  }
  if (options.chartPath !== undefined) {
    await writeFile(options.chartPath, simulationChartSvg(run));
    process.stderr.write(`wrote ${options.chartPath}\n`);
  }
}

export function parseSimulateArgs(argv: readonly string[]): SimulateCommandOptions {
  const parsed = parseCliArgs(argv, {
    trace: { type: "string" },
    column: { type: "string", default: "requests" },
    step: { type: "string", default: "60" },
    "pod-capacity": { type: "string" },
    "target-utilization": { type: "string" },
    startup: { type: "string" },
    quantile: { type: "string" },
    lag: { type: "string" },
    window: { type: "string" },
    "scale-down-cooldown": { type: "string" },
    warmup: { type: "string" },
    "train-window": { type: "string" },
    "retrain-every": { type: "string" },
    "min-replicas": { type: "string" },
    "max-replicas": { type: "string" },
    model: { type: "string", default: "auto" },
    calibration: { type: "string", default: "on" },
    "noise-exponent": { type: "string" },
    sweep: { type: "boolean", default: false },
    "sweep-targets": { type: "string" },
    "sweep-quantiles": { type: "string" },
    json: { type: "string" },
    chart: { type: "string" },
    "chart-hours": { type: "string" },
  });
  const problems: string[] = [];
  if (parsed.trace === undefined || parsed.trace === "") problems.push("--trace <csv> is required");
  const podCapacity = parsePodCapacity(parsed["pod-capacity"], problems);
  const number = (flag: string, text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    const value = text.trim() === "" ? Number.NaN : Number(text);
    if (!Number.isFinite(value)) problems.push(`--${flag} "${text}" must be a number`);
    return value;
  };
  const duration = (flag: string, text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    const seconds = /^\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : parseDurationSeconds(text);
    if (seconds === undefined)
      problems.push(`--${flag} "${text}" must be a duration such as 180s, 15m, 7d or seconds`);
    return seconds;
  };
  const list = (flag: string, text: string | undefined): number[] | undefined =>
    text === undefined
      ? undefined
      : text
          .split(",")
          .filter((item) => item.trim() !== "")
          .map((item) => number(flag, item) ?? Number.NaN);
  const stepSeconds = duration("step", parsed.step) ?? 60;
  if (!isModelName(parsed.model))
    problems.push(`--model "${parsed.model}" is not one of ${MODEL_NAMES.join(", ")}`);
  const sweepTargets = list("sweep-targets", parsed["sweep-targets"]);
  const sweepQuantiles = list("sweep-quantiles", parsed["sweep-quantiles"]);
  if (!parsed.sweep && (sweepTargets !== undefined || sweepQuantiles !== undefined)) {
    problems.push("--sweep-targets and --sweep-quantiles need --sweep");
  }
  if (parsed.calibration !== "on" && parsed.calibration !== "off")
    problems.push(`--calibration "${parsed.calibration}" must be on or off`);
  const noiseExponent = number("noise-exponent", parsed["noise-exponent"]);
  if (noiseExponent !== undefined && !(noiseExponent >= 0 && noiseExponent <= 1))
    problems.push(`--noise-exponent "${parsed["noise-exponent"]}" must be from 0 to 1`);
  if (parsed.calibration === "off" && noiseExponent !== undefined)
    problems.push("--noise-exponent needs --calibration on");
  const simulation = compact({
    calibration:
      parsed.calibration === "off" ? null : noiseExponent === undefined ? undefined : { noiseExponent },
    targetUtilization: number("target-utilization", parsed["target-utilization"]),
    quantile: number("quantile", parsed.quantile),
    startupSeconds: duration("startup", parsed.startup),
    metricLagSeconds: duration("lag", parsed.lag),
    windowSeconds: duration("window", parsed.window),
    scaleDownCooldownSeconds: duration("scale-down-cooldown", parsed["scale-down-cooldown"]),
    warmupSeconds: duration("warmup", parsed.warmup),
    trainWindowSeconds: duration("train-window", parsed["train-window"]),
    retrainEverySeconds: duration("retrain-every", parsed["retrain-every"]),
    minReplicas: number("min-replicas", parsed["min-replicas"]),
    maxReplicas: number("max-replicas", parsed["max-replicas"]),
    chartHours: number("chart-hours", parsed["chart-hours"]),
    sweep: parsed.sweep
      ? compact({
          targetUtilizations: sweepTargets,
          presageTargetUtilizations: sweepTargets,
          quantiles: sweepQuantiles,
        })
      : undefined,
  });
  if (problems.length > 0) throw new CliError(problems.join("\n"));
  return {
    tracePath: parsed.trace ?? "",
    column: parsed.column,
    stepSeconds,
    podCapacity: podCapacity ?? { value: Number.NaN },
    modelName: parsed.model,
    simulation,
    ...(parsed.json === undefined ? {} : { jsonPath: parsed.json }),
    ...(parsed.chart === undefined ? {} : { chartPath: parsed.chart }),
  };
}

function parsePodCapacity(text: string | undefined, problems: string[]): PodCapacitySpec | undefined {
  if (text === undefined) {
    problems.push("--pod-capacity <load per pod per step> is required (a number, or peak/N)");
    return undefined;
  }
  const peak = /^peak\/(\d+(\.\d+)?)$/.exec(text.trim());
  if (peak !== null) {
    const divisor = Number(peak[1]);
    if (divisor > 0) return { peakDivisor: divisor };
  } else {
    const value = Number(text);
    if (text.trim() !== "" && Number.isFinite(value) && value > 0) return { value };
  }
  problems.push(`--pod-capacity "${text}" must be a number > 0 or peak/N with N > 0`);
  return undefined;
}

/** Drops `undefined` fields (options are read with `??`, and `exactOptionalPropertyTypes` is off). */
function compact<T extends object>(object: T): T {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as T;
}

/**
 * Reads one column of a trace CSV (the `../shared/data/traces` layout: `timestamp`, value columns,
 * optional `status`; rows with an empty value or a non-`ok` status are gaps) onto a regular grid of
 * `stepSeconds` from its first row; missing rows are gaps too.
 * @throws CliError when the file cannot be read, the column is absent, or a row is off the grid.
 */
export async function loadTrace(path: string, column: string, stepSeconds: number): Promise<LoadTrace> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new CliError(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  let csv;
  try {
    csv = parseCsvTrace(text, path);
  } catch (error) {
    if (error instanceof MetricSourceError) throw new CliError(error.message, { cause: error });
    throw error;
  }
  const values = csv.columns.get(column);
  if (values === undefined) {
    throw new CliError(`${path}: no column "${column}" (columns: ${[...csv.columns.keys()].join(", ")})`);
  }
  const startMs = csv.timestampsMs[0];
  if (startMs === undefined) throw new CliError(`${path}: no data rows`);
  const stepMs = stepSeconds * 1000;
  const lastMs = csv.timestampsMs[csv.timestampsMs.length - 1] ?? startMs;
  const grid = new Array<number>(Math.round((lastMs - startMs) / stepMs) + 1).fill(Number.NaN);
  csv.timestampsMs.forEach((timeMs, row) => {
    const offset = (timeMs - startMs) / stepMs;
    if (!Number.isInteger(offset) || offset < 0) {
      throw new CliError(
        `${path}:${row + 2}: ${new Date(timeMs).toISOString()} is not on the ${stepSeconds} s grid from ${new Date(startMs).toISOString()} (--step)`,
      );
    }
    grid[offset] = values[row] ?? Number.NaN;
  });
  return { values: grid, stepSeconds, startMs };
}

/** Runs the replay with a progress bar on stderr and wall-clock timing. */
export function runSimulation(
  trace: LoadTrace,
  options: Pick<SimulateCommandOptions, "podCapacity" | "modelName" | "simulation">,
): SimulationRun {
  const peak = trace.values.reduce((max, value) => (value > max ? value : max), Number.NEGATIVE_INFINITY);
  const podCapacity =
    "value" in options.podCapacity ? options.podCapacity.value : peak / options.podCapacity.peakDivisor;
  const progress = new ProgressBar("simulate");
  const startedMs = performance.now();
  let replayStartedMs: number | undefined;
  let result: SimulationResult;
  try {
    result = simulateScaling(
      trace,
      {
        ...options.simulation,
        podCapacity,
        createForecaster: (context) => createForecaster(options.modelName, context),
      },
      {
        clockMs: () => performance.now(),
        onProgress: (phase, done, total) => {
          if (phase === "replay") replayStartedMs ??= performance.now();
          progress.update(done, total, phase);
        },
      },
    );
  } catch (error) {
    if (error instanceof SimulationError) throw new CliError(error.message, { cause: error });
    throw error;
  } finally {
    progress.finish();
  }
  const endedMs = performance.now();
  const replayFrom = replayStartedMs ?? endedMs;
  return {
    trace,
    podCapacity,
    result,
    runtime: {
      totalSeconds: (endedMs - startedMs) / 1000,
      forecastSeconds: (replayFrom - startedMs) / 1000,
      replaySeconds: (endedMs - replayFrom) / 1000,
    },
  };
}

/** The `--json` document: exactly `{"policies": [...]}`. */
export function simulationJson(result: SimulationResult): SimulationJson {
  return {
    policies: result.policies.map((policy) => ({
      name: policy.name,
      targetUtilization: policy.targetUtilization,
      quantile: policy.quantile,
      podHours: policy.podHours,
      underProvisionedMinutes: policy.underProvisionedMinutes,
      underProvisionedPodMinutes: policy.underProvisionedPodMinutes,
      unservedShare: policy.unservedShare,
      scalingActions: policy.scalingActions,
    })),
  };
}

/** The policy table; with a sweep, the comparison at equal pod-hours; then the forecasting work. */
export function formatSimulationReport(run: SimulationRun): string {
  const { result, trace } = run;
  const options = result.options;
  const stepMs = trace.stepSeconds * 1000;
  const iso = (step: number): string => new Date(trace.startMs + step * stepMs).toISOString().slice(0, 16);
  const lines: string[] = [
    `trace: ${trace.values.length} steps of ${trace.stepSeconds} s from ${iso(0)}Z; pod capacity ${round(run.podCapacity)} per step; ` +
      `start-up ${options.startupSeconds} s, metric lag ${options.metricLagSeconds} s, HPA sync ${options.syncPeriodSeconds} s`,
    `evaluated: ${iso(result.evaluation.fromStep)}Z to ${iso(result.evaluation.toStep + 1)}Z (after the ${options.warmupSeconds / 86_400} d warm-up), ` +
      `${Math.round(result.evaluation.measuredMinutes)} measured minutes`,
    "",
  ];
  const sweep = result.matches !== undefined;
  const shown = sweep ? result.policies.filter((policy) => policy.name !== "presage") : result.policies;
  lines.push(policyTable(shown));
  if (result.matches !== undefined) {
    const tolerance = options.sweep?.matchTolerance ?? 0;
    lines.push(
      "",
      `At equal pod-hours: each reactive setting against the efficient presage setting closest in pod-hours (matched within ${tolerance * 100}%):`,
      formatTable(
        [
          "reactive target",
          "pod-hours",
          "short pod-min",
          "presage target",
          "q",
          "pod-hours",
          "Δ pod-hours",
          "short pod-min",
          "ratio",
          "reduction",
        ],
        result.matches.map((match) => [
          String(match.reactive.targetUtilization),
          match.reactive.podHours,
          match.reactive.underProvisionedPodMinutes,
          String(match.presage?.targetUtilization ?? "—"),
          String(match.presage?.quantile ?? "—"),
          match.presage?.podHours ?? Number.NaN,
          `${(match.podHoursDifference * 100).toFixed(2)}%${match.matched ? "" : " (no match)"}`,
          match.presage?.underProvisionedPodMinutes ?? Number.NaN,
          match.underProvisionedRatio,
          match.matched ? `${((1 - match.underProvisionedRatio) * 100).toFixed(1)}%` : "—",
        ]),
      ),
      "",
      `presage settings replayed: ${result.policies.filter((policy) => policy.name === "presage").length} (see --json)`,
    );
  }
  const stats = result.forecast.stats;
  const perForecastMs =
    stats.forecasts > 0 ? (stats.updateAndPredictSeconds * 1000) / stats.forecasts : Number.NaN;
  lines.push(
    "",
    `forecasting: ${stats.fits} fits (${stats.fitSeconds.toFixed(1)} s), ${stats.forecasts} forecasts (update + predict ${stats.updateAndPredictSeconds.toFixed(1)} s, ${perForecastMs.toFixed(3)} ms each)` +
      `${stats.fitFailures + stats.forecastFailures > 0 ? `, ${stats.fitFailures} fit and ${stats.forecastFailures} forecast failures` : ""}; ` +
      `window steps ${result.forecast.window.fromStep}–${result.forecast.window.toStep}`,
    `runtime: ${run.runtime.totalSeconds.toFixed(1)} s (forecasting ${run.runtime.forecastSeconds.toFixed(1)} s, replays ${run.runtime.replaySeconds.toFixed(1)} s)`,
    ...result.forecast.notes.map((note) => `note: ${note}`),
  );
  return lines.join("\n");
}

function policyTable(policies: readonly PolicyResult[]): string {
  return formatTable(
    ["policy", "target", "q", "pod-hours", "short min", "short pod-min", "unserved", "actions"],
    policies.map((policy) => [
      policy.name,
      String(policy.targetUtilization),
      policy.quantile === null ? "—" : String(policy.quantile),
      policy.podHours,
      policy.underProvisionedMinutes,
      policy.underProvisionedPodMinutes,
      `${(policy.unservedShare * 100).toFixed(3)}%`,
      String(policy.scalingActions),
    ]),
  );
}

/** The chart of the charted settings over the window around the evaluated peak. */
export function simulationChartSvg(run: SimulationRun): string {
  const { result, trace } = run;
  const window = result.chartWindow;
  const day = new Date(trace.startMs + window.fromStep * trace.stepSeconds * 1000).toISOString().slice(0, 10);
  return renderReplayChartSvg({
    title: `Load vs Ready capacity around the evaluated peak (${day}, UTC); start-up ${result.options.startupSeconds} s`,
    trace,
    podCapacity: run.podCapacity,
    syncPeriodSeconds: result.options.syncPeriodSeconds,
    fromStep: window.fromStep,
    toStep: window.toStep,
    tracks: result.tracks.map((track) => ({ label: trackLabel(track.policy), readyPods: track.readyPods })),
    loadLabel: `load per ${trace.stepSeconds} s step`,
  });
}

function trackLabel(policy: PolicyResult): string {
  switch (policy.name) {
    case "reactive":
      return `HPA ${policy.targetUtilization}`;
    case "presage":
      return `presage q${policy.quantile ?? ""} + HPA ${policy.targetUtilization}`;
    case "oracle":
      return "oracle";
  }
}

function round(value: number): string {
  return String(Number(value.toPrecision(4)));
}
