import { writeFile } from "node:fs/promises";
import {
  ANOMALY_DETECTOR_NAMES,
  createAnomalyDetector,
  isAnomalyDetectorName,
} from "../../models/anomaly/anomaly-detector-catalog.js";
import {
  evaluateNabCorpus,
  nabSubsetScore,
  type NabEvaluation,
} from "../../training/anomaly/evaluate-nab-corpus.js";
import {
  loadNabCorpus,
  loadPublishedAnomalyScores,
  NabCorpusError,
  type NabCorpus,
} from "../../training/anomaly/nab-corpus.js";
import { NAB_PROFILE_NAMES } from "../../training/anomaly/nab-profile.js";
import type { NabScoredFile } from "../../training/anomaly/nab-scorer.js";
import { runAnomalyDetector } from "../../training/anomaly/run-anomaly-detector.js";
import { CliError } from "./cli-error.js";
import { parseCliArgs } from "./parse-cli-args.js";
import { ProgressBar } from "./progress-bar.js";
import { formatTable } from "./text-table.js";

/** Prefix of `--detector` values that score a detector's published per-row output instead of running one. */
const PUBLISHED_PREFIX = "published:";

export interface EvalAnomalyOptions {
  /** NAB directory: `data/<category>/*.csv` or `<category>/*.csv`, plus `labels/` and `config/`. */
  readonly nabDir: string;
  /** A catalogue detector, or `published:<name>` for `results/<name>/…` per-row outputs. */
  readonly detector: string;
  readonly jsonPath?: string;
}

/** `presage eval anomaly …`: runs a detector over a NAB corpus and scores it for NAB's three profiles. */
export async function runEvalAnomalyCommand(argv: readonly string[]): Promise<void> {
  const options = parseEvalAnomalyArgs(argv);
  const corpus = await loadCorpus(options.nabDir);
  const files = await scoreFiles(corpus, options);
  const evaluation = evaluateNabCorpus(files, corpus.profiles);
  process.stdout.write(`${formatAnomalyTable(options.detector, corpus, files, evaluation)}\n`);
  if (options.jsonPath) {
    await writeFile(
      options.jsonPath,
      `${JSON.stringify(toJson(options.detector, corpus, evaluation), null, 2)}\n`,
    );
    process.stderr.write(`wrote ${options.jsonPath}\n`);
  }
}

export function parseEvalAnomalyArgs(argv: readonly string[]): EvalAnomalyOptions {
  const parsed = parseCliArgs(argv, {
    nab: { type: "string" },
    detector: { type: "string", default: "presage" },
    json: { type: "string" },
  });
  const problems: string[] = [];
  if (!parsed.nab) problems.push("--nab <dir> is required");
  const detector = parsed.detector.trim();
  if (detector.startsWith(PUBLISHED_PREFIX)) {
    if (!/^[\w.-]+$/.test(detector.slice(PUBLISHED_PREFIX.length))) {
      problems.push(
        `--detector "${detector}": expected ${PUBLISHED_PREFIX}<name> with a plain detector name`,
      );
    }
  } else if (!isAnomalyDetectorName(detector)) {
    problems.push(
      `--detector: unknown detector "${detector}" (known: ${ANOMALY_DETECTOR_NAMES.join(", ")}, or ${PUBLISHED_PREFIX}<name>)`,
    );
  }
  if (problems.length > 0) throw new CliError(problems.join("\n"));
  return {
    nabDir: parsed.nab ?? "",
    detector,
    ...(parsed.json === undefined ? {} : { jsonPath: parsed.json }),
  };
}

async function loadCorpus(nabDir: string): Promise<NabCorpus> {
  try {
    return await loadNabCorpus(nabDir);
  } catch (error) {
    if (error instanceof NabCorpusError) throw new CliError(error.message, { cause: error });
    throw error;
  }
}

/** Anomaly scores per file: the detector run on each series, or the published per-row output. */
export async function scoreFiles(corpus: NabCorpus, options: EvalAnomalyOptions): Promise<NabScoredFile[]> {
  const progress = new ProgressBar("eval anomaly");
  const files: NabScoredFile[] = [];
  try {
    for (const [index, file] of corpus.files.entries()) {
      progress.update(index, corpus.files.length, file.name);
      let anomalyScores: Float64Array;
      if (options.detector.startsWith(PUBLISHED_PREFIX)) {
        const name = options.detector.slice(PUBLISHED_PREFIX.length);
        const published = await loadPublishedAnomalyScores(corpus.root, name, file.name);
        if (published?.length !== file.series.values.length) {
          throw new CliError(
            `--detector ${options.detector}: results/${name}/${file.name.replace("/", `/${name}_`)} is missing or has ${published?.length ?? 0} rows, not ${file.series.values.length}`,
          );
        }
        anomalyScores = published;
      } else {
        const name = options.detector;
        if (!isAnomalyDetectorName(name)) throw new CliError(`unknown detector "${name}"`);
        anomalyScores = runAnomalyDetector(file.series, (context) => createAnomalyDetector(name, context));
      }
      files.push({ name: file.name, anomalyScores, windows: file.windows });
    }
    progress.update(corpus.files.length, corpus.files.length);
  } finally {
    progress.finish();
  }
  return files;
}

const PROFILE_HEADERS = ["standard", "low FP", "low FN"];

/** One row per category and one for all files: normalised NAB scores per profile, windows detected. */
export function formatAnomalyTable(
  detector: string,
  corpus: NabCorpus,
  files: readonly NabScoredFile[],
  evaluation: NabEvaluation,
): string {
  const categories = [...new Set(corpus.files.map((file) => file.category))];
  const row = (label: string, subset: readonly NabScoredFile[], overall?: NabEvaluation) => {
    const windows = subset.reduce(
      (sum, file) => sum + (evaluation.standard.files[file.name]?.windows ?? 0),
      0,
    );
    return [
      label,
      String(subset.length),
      // A category without windows has no normalised score (perfect = null); its cost shows as FP rows.
      ...NAB_PROFILE_NAMES.map((profile) =>
        windows === 0
          ? Number.NaN
          : overall
            ? overall[profile].normalized
            : nabSubsetScore(evaluation, profile, subset, corpus.profiles[profile]),
      ),
      detectedWindows(evaluation, subset),
      String(
        subset.reduce((sum, file) => sum + (evaluation.standard.files[file.name]?.falsePositiveRows ?? 0), 0),
      ),
    ];
  };
  const rows = categories.map((category) =>
    row(
      category,
      files.filter((file) => file.name.startsWith(`${category}/`)),
    ),
  );
  rows.push(row("all", files, evaluation));
  const thresholds = NAB_PROFILE_NAMES.map(
    (profile) => `${profile} ${evaluation[profile].threshold.toPrecision(6)}`,
  ).join(", ");
  return `NAB scores of ${detector} on ${files.length} files (${corpus.layout} layout; 0 = null, 100 = perfect;
windows found and FP rows at the standard profile's threshold)
${formatTable(["category", "files", ...PROFILE_HEADERS, "windows found", "FP rows"], rows)}
thresholds (optimised over these files): ${thresholds}`;
}

function detectedWindows(evaluation: NabEvaluation, files: readonly NabScoredFile[]): string {
  let found = 0;
  let total = 0;
  for (const file of files) {
    const score = evaluation.standard.files[file.name];
    found += score?.detectedWindows ?? 0;
    total += score?.windows ?? 0;
  }
  return `${found}/${total}`;
}

function toJson(detector: string, corpus: NabCorpus, evaluation: NabEvaluation): object {
  const profileEntries = <T>(pick: (profile: (typeof NAB_PROFILE_NAMES)[number]) => T) =>
    Object.fromEntries(NAB_PROFILE_NAMES.map((profile) => [profile, pick(profile)]));
  return {
    detector,
    layout: corpus.layout,
    scores: profileEntries((profile) => evaluation[profile].normalized),
    raw: profileEntries((profile) => evaluation[profile].raw),
    thresholds: profileEntries((profile) => evaluation[profile].threshold),
    anchors: profileEntries((profile) => ({
      perfect: evaluation[profile].perfect,
      null: evaluation[profile].null,
    })),
    files: Object.fromEntries(
      corpus.files.map((file) => [
        file.name,
        profileEntries((profile) => {
          const score = evaluation[profile].files[file.name]!;
          return {
            score: score.score,
            windows: score.windows,
            detectedWindows: score.detectedWindows,
            truePositiveRows: score.truePositiveRows,
            falsePositiveRows: score.falsePositiveRows,
            falseNegativeRows: score.falseNegativeRows,
            trueNegativeRows: score.trueNegativeRows,
          };
        }),
      ]),
    ),
  };
}
