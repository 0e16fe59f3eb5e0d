import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { NabCsvError, parseNabCsv, type NabSeries } from "./nab-csv.js";
import {
  NAB_DEFAULT_PROFILES,
  NabProfileError,
  parseNabProfiles,
  type NabCostMatrix,
  type NabProfileName,
} from "./nab-profile.js";
import type { NabWindow } from "./nab-scorer.js";
import { NabWindowError, windowsToRowIndices } from "./nab-windows.js";

/** One data file of a NAB corpus with its labelled windows in row-index space. */
export interface NabCorpusFile {
  /** `category/file.csv`, the key of `combined_windows.json`. */
  readonly name: string;
  readonly category: string;
  readonly series: NabSeries;
  readonly windows: readonly NabWindow[];
}

/**
 * Where the data CSVs sit: `data/<category>/*.csv` as in the NAB repository, or `<category>/*.csv` at
 * the top level next to `labels/` and `config/` (the layout of ../shared/data/nab).
 */
export type NabLayout = "data-folder" | "top-level";

export interface NabCorpus {
  readonly root: string;
  readonly layout: NabLayout;
  readonly files: readonly NabCorpusFile[];
  readonly profiles: Readonly<Record<NabProfileName, NabCostMatrix>>;
  /** Whether `profiles` came from `config/profiles.json` (else NAB's shipped defaults). */
  readonly profilesFromFile: boolean;
}

/** A corpus directory that cannot be read as NAB's layout; the message names the path and the rule. */
export class NabCorpusError extends Error {
  override readonly name = "NabCorpusError";
}

/** Folders at the top level that hold no data in the top-level layout. */
const NON_DATA_FOLDERS = new Set(["labels", "config", "results", "scripts", "nab", "tests", "data"]);

/**
 * Loads every data CSV under `root` (either layout), its windows from `labels/combined_windows.json`
 * and the cost matrices from `config/profiles.json` (NAB's defaults when that file is absent). Files are
 * sorted by name so results do not depend on directory order. A data file without an entry in the
 * windows file is an error: scoring it would silently count it as anomaly-free.
 */
export async function loadNabCorpus(root: string): Promise<NabCorpus> {
  const layout: NabLayout = (await isDirectory(join(root, "data"))) ? "data-folder" : "top-level";
  const dataRoot = layout === "data-folder" ? join(root, "data") : root;
  const windowsPath = join(root, "labels", "combined_windows.json");
  const windowsJson = await readJson(windowsPath);
  if (typeof windowsJson !== "object" || windowsJson === null || Array.isArray(windowsJson)) {
    throw new NabCorpusError(`${windowsPath} must be an object mapping "category/file.csv" to windows`);
  }
  const allWindows = windowsJson as Record<string, unknown>;
  const profilesPath = join(root, "config", "profiles.json");
  const profilesFromFile = await isFile(profilesPath);
  let profiles: Record<NabProfileName, NabCostMatrix> = { ...NAB_DEFAULT_PROFILES };
  if (profilesFromFile) {
    try {
      profiles = parseNabProfiles(await readJson(profilesPath));
    } catch (error) {
      if (error instanceof NabProfileError) throw new NabCorpusError(`${profilesPath}: ${error.message}`);
      throw error;
    }
  }
  const names: string[] = [];
  for (const category of (await readdir(dataRoot, { withFileTypes: true })).sort(byName)) {
    if (!category.isDirectory() || NON_DATA_FOLDERS.has(category.name) || category.name.startsWith("."))
      continue;
    for (const entry of (await readdir(join(dataRoot, category.name), { withFileTypes: true })).sort(
      byName,
    )) {
      if (entry.isFile() && entry.name.endsWith(".csv")) names.push(`${category.name}/${entry.name}`);
    }
  }
  if (names.length === 0) {
    throw new NabCorpusError(
      `${root}: no data files found; expected data/<category>/*.csv or <category>/*.csv next to labels/`,
    );
  }
  const files: NabCorpusFile[] = [];
  for (const name of names) {
    const labelled = allWindows[name];
    if (!Array.isArray(labelled) || !labelled.every(isTimestampPair)) {
      throw new NabCorpusError(
        `${windowsPath}: "${name}" must list its windows as [start, end] timestamp pairs (found ${JSON.stringify(labelled)})`,
      );
    }
    const path = join(dataRoot, name);
    try {
      const series = parseNabCsv(await readFile(path, "utf8"));
      const windows = windowsToRowIndices(name, series.timestampsMs, labelled);
      files.push({ name, category: name.split("/")[0]!, series, windows });
    } catch (error) {
      if (error instanceof NabCsvError || error instanceof NabWindowError) {
        throw new NabCorpusError(`${path}: ${error.message}`, { cause: error });
      }
      throw error;
    }
  }
  return { root, layout, files, profiles, profilesFromFile };
}

/**
 * The published per-row `anomaly_score` of a NAB detector for one file:
 * `results/<detector>/<category>/<detector>_<file>.csv`; `undefined` when that file is not shipped.
 */
export async function loadPublishedAnomalyScores(
  root: string,
  detector: string,
  fileName: string,
): Promise<Float64Array | undefined> {
  const [category, base] = fileName.split("/");
  const path = join(root, "results", detector, category ?? "", `${detector}_${base ?? ""}`);
  if (!(await isFile(path))) return undefined;
  try {
    return parseNabCsv(await readFile(path, "utf8"), "anomaly_score").values;
  } catch (error) {
    if (error instanceof NabCsvError) throw new NabCorpusError(`${path}: ${error.message}`, { cause: error });
    throw error;
  }
}

/** One row of a published `results/<detector>/<detector>_<profile>_scores.csv`. */
export interface PublishedFileScore {
  readonly threshold: number;
  readonly score: number;
}

/** Published per-file raw scores (at the corpus threshold) keyed by `category/file.csv`; Totals omitted. */
export async function loadPublishedFileScores(
  root: string,
  detector: string,
  profile: NabProfileName,
): Promise<Map<string, PublishedFileScore> | undefined> {
  const path = join(root, "results", detector, `${detector}_${profile}_scores.csv`);
  if (!(await isFile(path))) return undefined;
  const lines = (await readFile(path, "utf8")).split(/\r?\n/).filter((line) => line.trim() !== "");
  const header = (lines[0] ?? "").split(",");
  const at = (column: string): number => header.indexOf(column);
  const [fileAt, thresholdAt, scoreAt] = [at("File"), at("Threshold"), at("Score")];
  if (fileAt < 0 || thresholdAt < 0 || scoreAt < 0) {
    throw new NabCorpusError(`${path}: header must name the columns File, Threshold and Score`);
  }
  const scores = new Map<string, PublishedFileScore>();
  for (const line of lines.slice(1)) {
    const cells = line.split(",");
    const file = cells[fileAt] ?? "";
    if (file === "" || cells[0] === "Totals") continue;
    scores.set(file, { threshold: Number(cells[thresholdAt]), score: Number(cells[scoreAt]) });
  }
  return scores;
}

function isTimestampPair(value: unknown): value is readonly [string, string] {
  return Array.isArray(value) && value.length === 2 && value.every((cell) => typeof cell === "string");
}

function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new NabCorpusError(
      `cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
      },
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new NabCorpusError(
      `${path} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
      },
    );
  }
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (info) => info.isDirectory(),
    () => false,
  );
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (info) => info.isFile(),
    () => false,
  );
}
