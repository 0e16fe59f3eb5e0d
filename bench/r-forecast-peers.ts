/**
 * R's `forecast` package as a measured peer: runs `bench/r/forecast-peers.R` on M4 wide CSVs and
 * returns its forecasts and timings, validated and typed. Benchmarks only — CI has no R, so every
 * entry point degrades to `undefined` with a reason instead of failing.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

import type { Forecast, PredictionInterval } from "../models/forecast.js";

/** The methods the R script knows, named as in R. */
export const RPeerMethod = {
  snaive: "snaive",
  ets: "ets",
  autoArima: "auto.arima",
  thetaf: "thetaf",
  stlf: "stlf",
} as const;
export type RPeerMethod = (typeof RPeerMethod)[keyof typeof RPeerMethod];

const KNOWN_METHODS: readonly string[] = Object.values(RPeerMethod);
const INTERVAL_LEVELS = [80, 95] as const;

export const RPeerErrorCode = {
  invalidOption: "PRESAGE_R_PEERS_INVALID_OPTION",
  scriptFailed: "PRESAGE_R_PEERS_SCRIPT_FAILED",
  invalidOutput: "PRESAGE_R_PEERS_INVALID_OUTPUT",
} as const;
export type RPeerErrorCode = (typeof RPeerErrorCode)[keyof typeof RPeerErrorCode];

export class RPeerError extends Error {
  override readonly name = "RPeerError";
  constructor(
    readonly code: RPeerErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** One R method's forecast for one series; shaped like presage's own {@link Forecast}. */
export interface RPeerForecast extends Forecast {
  /** The method that was asked for (`model` names the one that actually produced the forecast). */
  readonly method: RPeerMethod;
  /** Wall time of fit + forecast in R (`proc.time()` elapsed), including any fallback. */
  readonly fitMs: number;
  /** Set when R used another method: `ets` for a non-applicable `stlf`, `snaive` after a failure. */
  readonly fallback?: RPeerMethod;
}

/** Everything one run of the R script produced. */
export interface RPeerResults {
  readonly rVersion: string;
  readonly forecastVersion: string;
  readonly season: number;
  readonly horizonSteps: number;
  readonly workers: number;
  /** `false` for a partial file: the script rewrites its output after every chunk of series. */
  readonly complete: boolean;
  readonly elapsedMs: number;
  /** Series in the order they were processed (the training file's order). */
  readonly seriesIds: readonly string[];
  /** Method → series id → forecast. Every method holds every id of `seriesIds`. */
  readonly methods: ReadonlyMap<RPeerMethod, ReadonlyMap<string, RPeerForecast>>;
}

export interface RPeerAvailability {
  readonly available: boolean;
  /** Why the peers cannot run (missing `Rscript`, `forecast` or `jsonlite`). */
  readonly reason?: string;
  /** The installed `forecast` package version. */
  readonly version?: string;
}

export interface RForecastPeersOptions {
  /** M4 wide training CSV (`"V1","V2",...`, id first, ragged rows). */
  readonly trainCsv: string;
  /** M4 wide test CSV; only its row lengths are used, to check `horizon`. */
  readonly testCsv: string;
  /** Seasonal period `m` given to `ts(y, frequency = m)`. */
  readonly season: number;
  /** Forecast horizon `h` in steps; must equal every test row's length. */
  readonly horizon: number;
  readonly methods: readonly string[];
  /**
   * Only the first `limit` series of the training file.
   * @defaultValue all series
   */
  readonly limit?: number;
  /**
   * Parallel R worker processes (`parallel::mclapply`).
   * @defaultValue `2`
   */
  readonly workers?: number;
  /**
   * Wall-time budget per method and series; a method that exceeds it falls back to snaive with a note
   * (counted as a fallback in reports).
   * @defaultValue no limit
   */
  readonly timeoutSeconds?: number;
  /** Receives each progress line the script writes to stderr. */
  readonly onProgress?: (line: string) => void;
  /** Receives the reason when R cannot run and the result is `undefined`. */
  readonly onUnavailable?: (reason: string) => void;
  /**
   * Where the script writes its JSON; kept after the run.
   * @defaultValue a temporary file, removed after reading
   */
  readonly outFile?: string;
  /**
   * The `Rscript` executable.
   * @defaultValue `"Rscript"` (looked up on `PATH`)
   */
  readonly rscript?: string;
  /**
   * Path of `forecast-peers.R`.
   * @defaultValue `bench/r/forecast-peers.R`, found from this module in source or in `dist/`
   */
  readonly scriptPath?: string;
}

const AVAILABILITY_PROBE = [
  "suppressPackageStartupMessages({ library(forecast); library(jsonlite) })",
  'cat(as.character(packageVersion("forecast")))',
].join("; ");

/** Whether `Rscript` with the `forecast` and `jsonlite` packages can run here. Never throws. */
export async function rPeersAvailable(rscript = "Rscript"): Promise<RPeerAvailability> {
  const probe = await runProcess(rscript, ["-e", AVAILABILITY_PROBE]);
  if (probe.spawnError !== undefined) {
    return { available: false, reason: `cannot run \`${rscript}\`: ${probe.spawnError.message}` };
  }
  if (probe.exitCode !== 0) {
    const detail = lastLines(probe.stderr, 3) || `exit code ${String(probe.exitCode)}`;
    return { available: false, reason: `R packages forecast/jsonlite are not usable: ${detail}` };
  }
  return { available: true, version: probe.stdout.trim() };
}

/**
 * Runs the R peers and returns their validated results, or `undefined` when R or its packages
 * are missing (the reason goes to `onUnavailable`). Throws {@link RPeerError} for bad options,
 * a failing script or output that does not match the expected shape.
 */
export async function runRForecastPeers(options: RForecastPeersOptions): Promise<RPeerResults | undefined> {
  const resolved = resolveOptions(options);
  const availability = await rPeersAvailable(resolved.rscript);
  if (!availability.available) {
    options.onUnavailable?.(availability.reason ?? "R is not available");
    return undefined;
  }

  const tempDir =
    options.outFile === undefined ? await mkdtemp(join(tmpdir(), "presage-r-peers-")) : undefined;
  const outFile = options.outFile ?? join(tempDir ?? tmpdir(), "r-peers.json");
  try {
    const args = [
      resolved.scriptPath,
      "--train",
      options.trainCsv,
      "--test",
      options.testCsv,
      "--season",
      String(options.season),
      "--horizon",
      String(options.horizon),
      "--methods",
      resolved.methods.join(","),
      "--workers",
      String(resolved.workers),
      "--out",
      outFile,
      ...(options.limit === undefined ? [] : ["--limit", String(options.limit)]),
      ...(options.timeoutSeconds === undefined ? [] : ["--timeout-seconds", String(options.timeoutSeconds)]),
    ];
    const run = await runProcess(resolved.rscript, args, options.onProgress);
    if (run.spawnError !== undefined || run.exitCode !== 0) {
      const detail =
        run.spawnError?.message ?? (lastLines(run.stderr, 5) || `exit code ${String(run.exitCode)}`);
      throw new RPeerError(RPeerErrorCode.scriptFailed, `forecast-peers.R failed: ${detail}`, {
        cause: run.spawnError,
      });
    }
    let json: unknown;
    try {
      json = JSON.parse(await readFile(outFile, "utf8"));
    } catch (error) {
      throw new RPeerError(RPeerErrorCode.invalidOutput, `cannot read R peers output \`${outFile}\``, {
        cause: error,
      });
    }
    return parseRPeerResults(json);
  } finally {
    if (tempDir !== undefined) await rm(tempDir, { recursive: true, force: true });
  }
}

interface ResolvedOptions {
  readonly methods: readonly RPeerMethod[];
  readonly workers: number;
  readonly rscript: string;
  readonly scriptPath: string;
}

function resolveOptions(options: RForecastPeersOptions): ResolvedOptions {
  const problems: string[] = [];
  const positiveInteger = (field: string, value: number | undefined): void => {
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
      problems.push(`\`${field}\` (${String(value)}) must be an integer ≥ 1`);
    }
  };
  positiveInteger("season", options.season);
  positiveInteger("horizon", options.horizon);
  positiveInteger("limit", options.limit);
  positiveInteger("workers", options.workers);
  if (options.methods.length === 0) problems.push("`methods` must name at least one method");
  const unknown = options.methods.filter((method) => !isMethod(method));
  if (unknown.length > 0) {
    problems.push(`\`methods\` has unknown ${unknown.join(", ")}; known: ${KNOWN_METHODS.join(", ")}`);
  }
  const scriptPath = options.scriptPath ?? findScript();
  if (scriptPath === undefined) problems.push("`scriptPath`: bench/r/forecast-peers.R was not found");
  if (problems.length > 0 || scriptPath === undefined) {
    throw new RPeerError(RPeerErrorCode.invalidOption, problems.join("; "));
  }
  return {
    methods: [...new Set(options.methods.filter(isMethod))],
    workers: options.workers ?? 2,
    rscript: options.rscript ?? "Rscript",
    scriptPath,
  };
}

// tsc does not copy the R script, so from dist/bench/ look back into the source tree.
function findScript(): string | undefined {
  const candidates = ["./r/forecast-peers.R", "../../bench/r/forecast-peers.R"].map((relative) =>
    fileURLToPath(new URL(relative, import.meta.url)),
  );
  return candidates.find((candidate) => existsSync(candidate));
}

function isMethod(value: unknown): value is RPeerMethod {
  return typeof value === "string" && KNOWN_METHODS.includes(value);
}

/**
 * Validates the JSON written by `forecast-peers.R` and converts it to {@link RPeerResults}.
 * Interval levels whose bounds R could not compute (written as `null`) are left out of
 * `intervals`; the series' note says so.
 * @throws {@link RPeerError} with code `invalidOutput`, naming the first offending field.
 */
export function parseRPeerResults(json: unknown): RPeerResults {
  const root = expectObject(json, "$");
  const horizonSteps = expectPositiveInteger(root.horizon, "$.horizon");
  const seriesIds = expectArray(root.seriesIds, "$.seriesIds").map((id, index) =>
    expectString(id, `$.seriesIds[${index}]`),
  );
  const methodsJson = expectObject(root.methods, "$.methods");
  const methods = new Map<RPeerMethod, ReadonlyMap<string, RPeerForecast>>();
  for (const [name, methodJson] of Object.entries(methodsJson)) {
    const methodPath = `$.methods["${name}"]`;
    if (!isMethod(name)) fail(`${methodPath} is not a known method (${KNOWN_METHODS.join(", ")})`);
    const seriesJson = expectObject(expectObject(methodJson, methodPath).series, `${methodPath}.series`);
    const series = new Map<string, RPeerForecast>();
    for (const id of seriesIds) {
      const path = `${methodPath}.series["${id}"]`;
      series.set(id, parseForecast(name, seriesJson[id], path, horizonSteps));
    }
    const extra = Object.keys(seriesJson).find((id) => !series.has(id));
    if (extra !== undefined) fail(`${methodPath}.series["${extra}"] is not listed in $.seriesIds`);
    methods.set(name, series);
  }
  if (methods.size === 0) fail("$.methods must hold at least one method");
  const complete = root.complete;
  if (typeof complete !== "boolean") fail(`$.complete must be a boolean, got ${describe(complete)}`);
  return {
    rVersion: expectString(root.rVersion, "$.rVersion"),
    forecastVersion: expectString(root.forecastVersion, "$.forecastVersion"),
    season: expectPositiveInteger(root.season, "$.season"),
    horizonSteps,
    workers: expectPositiveInteger(root.workers, "$.workers"),
    complete,
    elapsedMs: expectNonNegative(root.elapsedMs, "$.elapsedMs"),
    seriesIds,
    methods,
  };
}

function parseForecast(
  method: RPeerMethod,
  json: unknown,
  path: string,
  horizonSteps: number,
): RPeerForecast {
  const entry = expectObject(json, path);
  const mean = expectNumbers(entry.mean, `${path}.mean`, horizonSteps, false);
  const intervals: PredictionInterval[] = [];
  for (const level of INTERVAL_LEVELS) {
    const lower = expectNumbers(entry[`lower${level}`], `${path}.lower${level}`, horizonSteps, true);
    const upper = expectNumbers(entry[`upper${level}`], `${path}.upper${level}`, horizonSteps, true);
    if (isComplete(lower) && isComplete(upper)) intervals.push({ level, lower, upper });
  }
  const note = entry.note;
  if (note !== undefined && note !== null && typeof note !== "string") {
    fail(`${path}.note must be a string or null, got ${describe(note)}`);
  }
  const fallback = entry.fallback;
  if (fallback !== undefined && fallback !== null && !isMethod(fallback)) {
    fail(`${path}.fallback must be a known method or null, got ${describe(fallback)}`);
  }
  const used = isMethod(fallback) ? fallback : method;
  return {
    model: `r:${used}`,
    method,
    mean,
    intervals,
    notes: typeof note === "string" && note !== "" ? [note] : [],
    fitMs: expectNonNegative(entry.fitMs, `${path}.fitMs`),
    ...(isMethod(fallback) ? { fallback } : {}),
  };
}

function isComplete(values: readonly (number | null)[]): values is number[] {
  return values.every((value) => value !== null);
}

function expectNumbers(value: unknown, path: string, length: number, allowNull: false): number[];
function expectNumbers(value: unknown, path: string, length: number, allowNull: true): (number | null)[];
function expectNumbers(value: unknown, path: string, length: number, allowNull: boolean): (number | null)[] {
  const array = expectArray(value, path);
  if (array.length !== length) fail(`${path} must have ${length} values (the horizon), got ${array.length}`);
  return array.map((item, index) => {
    if (item === null && allowNull) return null;
    if (typeof item !== "number" || !Number.isFinite(item)) {
      fail(`${path}[${index}] must be a finite number, got ${describe(item)}`);
    }
    return item;
  });
}

function expectObject(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    fail(`${path} must be an object, got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

function expectArray(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) fail(`${path} must be an array, got ${describe(value)}`);
  return value;
}

function expectString(value: unknown, path: string): string {
  if (typeof value !== "string") fail(`${path} must be a string, got ${describe(value)}`);
  return value;
}

function expectPositiveInteger(value: unknown, path: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    fail(`${path} must be an integer ≥ 1, got ${describe(value)}`);
  }
  return value;
}

function expectNonNegative(value: unknown, path: string): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    fail(`${path} must be a finite number ≥ 0, got ${describe(value)}`);
  }
  return value;
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

function fail(message: string): never {
  throw new RPeerError(RPeerErrorCode.invalidOutput, `R peers output: ${message}`);
}

interface ProcessResult {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly spawnError?: Error;
}

// No shell: arguments go to Rscript verbatim, so paths with spaces or quotes are safe.
function runProcess(
  command: string,
  args: readonly string[],
  onStderrLine?: (line: string) => void,
): Promise<ProcessResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    const stderrLines: string[] = [];
    let spawnError: Error | undefined;
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      stdout += chunk;
    });
    const stderr = createInterface({ input: child.stderr, crlfDelay: Infinity });
    stderr.on("line", (line) => {
      // Keep a bounded tail for error messages; a long run logs hundreds of progress lines.
      stderrLines.push(line);
      if (stderrLines.length > 200) stderrLines.shift();
      onStderrLine?.(line);
    });
    child.on("error", (error) => {
      spawnError = error;
    });
    child.on("close", (exitCode) => {
      resolve({ exitCode, stdout, stderr: stderrLines.join("\n"), ...(spawnError ? { spawnError } : {}) });
    });
  });
}

function lastLines(text: string, count: number): string {
  return text.trim().split("\n").slice(-count).join(" | ");
}
