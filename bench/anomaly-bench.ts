/**
 * `npm run bench:anomaly`: streaming anomaly detection on the shared NAB subset (../shared/data/nab).
 *
 * 1. Throughput: points per second on one core for each catalogue detector (all files, repeated until
 *    at least `--seconds` of work).
 * 2. NAB table on the same files. Every detector's threshold is optimised over these files only
 *    (SCOREBOARD.md §3.9), so the numbers are comparable with each other, not with the 58-file
 *    scoreboard. numenta and windowedGaussian are scored from their published per-row outputs. For
 *    CAD OSE, KNN CAD and Random Cut Forest only per-file scores at their published corpus-wide
 *    thresholds are shipped; they appear in a second table that sums those per-file scores over the same
 *    files (numenta and windowedGaussian are listed there too, scored the same way, for reference).
 *
 * Flags: --seconds S (throughput budget per detector, default 3)  --out file.json
 */
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { cpus } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ANOMALY_DETECTOR_NAMES, createAnomalyDetector } from "../models/anomaly/anomaly-detector-catalog.js";
import { formatTable } from "../src/cli/text-table.js";
import {
  evaluateNabCorpus,
  nabSubsetScore,
  type NabEvaluation,
} from "../training/anomaly/evaluate-nab-corpus.js";
import {
  loadNabCorpus,
  loadPublishedAnomalyScores,
  loadPublishedFileScores,
} from "../training/anomaly/nab-corpus.js";
import { NAB_PROFILE_NAMES, type NabProfileName } from "../training/anomaly/nab-profile.js";
import { nabAnchors, normalizeNabScore, type NabScoredFile } from "../training/anomaly/nab-scorer.js";
import { runAnomalyDetector } from "../training/anomaly/run-anomaly-detector.js";
import { findRepoRoot } from "./repo-root.js";

/** Published detectors with per-row outputs in the shared subset. */
const PER_ROW_PUBLISHED = ["numenta", "windowedGaussian"] as const;
/** Published detectors compared at their corpus thresholds (per-file scores only). */
const PER_FILE_PUBLISHED = [
  "numenta",
  "contextOSE",
  "knncad",
  "randomCutForest",
  "windowedGaussian",
] as const;
const LABELS: Readonly<Record<string, string>> = {
  numenta: "numenta (HTM)",
  contextOSE: "CAD OSE",
  knncad: "KNN CAD",
  randomCutForest: "Random Cut Forest",
  windowedGaussian: "windowedGaussian",
};

const repoRoot = findRepoRoot(dirname(fileURLToPath(import.meta.url)));
const { values: flags } = parseArgs({
  options: {
    seconds: { type: "string", default: "3" },
    out: { type: "string", default: join(repoRoot, "bench-results", "anomaly-bench.json") },
  },
});
const sharedData = process.env.PRESAGE_SHARED_DATA ?? resolve(repoRoot, "../shared/data");
const nabDir = join(sharedData, "nab");
if (!existsSync(join(nabDir, "labels", "combined_windows.json"))) {
  process.stderr.write(
    `bench:anomaly: NAB data not found at ${nabDir} (../shared absent? set PRESAGE_SHARED_DATA)\n`,
  );
  process.exit(2);
}
const budgetSeconds = Math.max(0.2, Number(flags.seconds) || 3);

const corpus = await loadNabCorpus(nabDir);
const pointCount = corpus.files.reduce((sum, file) => sum + file.series.values.length, 0);

// 1. Throughput, one core (this process is single-threaded).
const throughput: Record<string, { pointsPerSecond: number; points: number; seconds: number }> = {};
for (const name of ANOMALY_DETECTOR_NAMES) {
  const startedMs = performance.now();
  let points = 0;
  let checksum = 0;
  do {
    for (const file of corpus.files) {
      const scores = runAnomalyDetector(file.series, (context) => createAnomalyDetector(name, context));
      checksum += scores[scores.length - 1] ?? 0;
      points += scores.length;
    }
  } while (performance.now() - startedMs < budgetSeconds * 1000);
  const seconds = (performance.now() - startedMs) / 1000;
  throughput[name] = { pointsPerSecond: points / seconds, points, seconds };
  if (!Number.isFinite(checksum)) throw new Error(`${name} produced a non-finite score`);
}

// 2. NAB on the same files.
const evaluations: Record<string, { files: NabScoredFile[]; evaluation: NabEvaluation }> = {};
for (const name of ANOMALY_DETECTOR_NAMES) {
  const files = corpus.files.map((file) => ({
    name: file.name,
    windows: file.windows,
    anomalyScores: runAnomalyDetector(file.series, (context) => createAnomalyDetector(name, context)),
  }));
  evaluations[`presage:${name}`] = { files, evaluation: evaluateNabCorpus(files, corpus.profiles) };
}
for (const name of PER_ROW_PUBLISHED) {
  const files = await Promise.all(
    corpus.files.map(async (file) => {
      const anomalyScores = await loadPublishedAnomalyScores(nabDir, name, file.name);
      if (anomalyScores?.length !== file.series.values.length) {
        throw new Error(`published ${name} output for ${file.name} is missing or has the wrong length`);
      }
      return { name: file.name, windows: file.windows, anomalyScores };
    }),
  );
  evaluations[`published:${name}`] = { files, evaluation: evaluateNabCorpus(files, corpus.profiles) };
}

const categories = [...new Set(corpus.files.map((file) => file.category))];
const label = (key: string): string => {
  const [source, name = ""] = key.split(":");
  return source === "presage" ? `${name} (presage, this run)` : `${LABELS[name] ?? name} (published rows)`;
};
const optimisedRows = Object.entries(evaluations).map(([key, { evaluation }]) => [
  label(key),
  ...NAB_PROFILE_NAMES.map((profile) => evaluation[profile].normalized),
  evaluation.standard.threshold,
]);
/** Standard score of one category, or its false-positive rows when it has no windows (no score). */
const categoryCell = (
  files: readonly NabScoredFile[],
  evaluation: NabEvaluation,
  category: string,
): string | number => {
  const subset = files.filter((file) => file.name.startsWith(`${category}/`));
  const windows = subset.reduce((sum, file) => sum + file.windows.length, 0);
  if (windows > 0) return nabSubsetScore(evaluation, "standard", subset, corpus.profiles.standard);
  const falsePositives = subset.reduce(
    (sum, file) => sum + (evaluation.standard.files[file.name]?.falsePositiveRows ?? 0),
    0,
  );
  return `${falsePositives} FP rows`;
};
const categoryRows = Object.entries(evaluations).map(([key, { files, evaluation }]) => [
  label(key),
  ...categories.map((category) => categoryCell(files, evaluation, category)),
]);

// 3. Published per-file scores at the published corpus thresholds, summed over the same files.
const atCorpusThreshold: Record<string, Record<NabProfileName, number>> = {};
const anchorFiles = corpus.files.map((file) => ({
  name: file.name,
  windows: file.windows,
  anomalyScores: new Float64Array(file.series.values.length),
}));
for (const name of PER_FILE_PUBLISHED) {
  const scores = {} as Record<NabProfileName, number>;
  for (const profile of NAB_PROFILE_NAMES) {
    const published = await loadPublishedFileScores(nabDir, name, profile);
    if (!published) throw new Error(`results/${name}/${name}_${profile}_scores.csv is missing`);
    const raw = corpus.files.reduce((sum, file) => {
      const score = published.get(file.name);
      if (!score)
        throw new Error(`results/${name}/${name}_${profile}_scores.csv has no row for ${file.name}`);
      return sum + score.score;
    }, 0);
    scores[profile] = normalizeNabScore(raw, nabAnchors(anchorFiles, corpus.profiles[profile]));
  }
  atCorpusThreshold[name] = scores;
}

const ours = evaluations["presage:presage"]!.evaluation;
const numenta = evaluations["published:numenta"]!.evaluation;
const machine = { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version };
process.stdout.write(
  `NAB subset ${nabDir}: ${corpus.files.length} files, ${pointCount} points, ` +
    `${corpus.files.reduce((sum, file) => sum + file.windows.length, 0)} windows (${corpus.layout} layout)\n\n`,
);
process.stdout.write(
  `Throughput, one core (${machine.cpu ?? "?"}):\n${formatTable(
    ["detector", "points/s", "points", "seconds"],
    Object.entries(throughput).map(([name, result]) => [
      name,
      Math.round(result.pointsPerSecond),
      result.points,
      result.seconds,
    ]),
  )}\n\n`,
);
process.stdout.write(
  `NAB scores on these ${corpus.files.length} files, threshold optimised over them (0 = null, 100 = perfect):\n` +
    `${formatTable(["detector", "standard", "low FP", "low FN", "threshold (std)"], optimisedRows)}\n\n`,
);
process.stdout.write(
  `Standard profile per category (same thresholds):\n${formatTable(["detector", ...categories], categoryRows)}\n\n`,
);
process.stdout.write(
  `Published per-file scores at the published 58-file thresholds, summed over these files:\n${formatTable(
    ["detector", "standard", "low FP", "low FN"],
    Object.entries(atCorpusThreshold).map(([name, scores]) => [
      LABELS[name] ?? name,
      ...NAB_PROFILE_NAMES.map((profile) => scores[profile]),
    ]),
  )}\n\n`,
);
const beats = ours.standard.normalized > numenta.standard.normalized;
process.stdout.write(
  `acceptance: presage ${ours.standard.normalized.toFixed(2)} vs numenta (HTM) ${numenta.standard.normalized.toFixed(2)} ` +
    `on the standard profile over the same files: ${beats ? "beats" : "does not beat"} HTM; ` +
    `throughput ${Math.round(throughput.presage?.pointsPerSecond ?? 0)} points/s/core (goal ≥ 100000)\n`,
);

const report = {
  createdAt: new Date().toISOString(),
  machine,
  data: { dir: nabDir, files: corpus.files.length, points: pointCount, layout: corpus.layout },
  throughput,
  optimisedOverTheseFiles: Object.fromEntries(
    Object.entries(evaluations).map(([key, { files, evaluation }]) => [
      key,
      {
        scores: Object.fromEntries(
          NAB_PROFILE_NAMES.map((profile) => [profile, evaluation[profile].normalized]),
        ),
        thresholds: Object.fromEntries(
          NAB_PROFILE_NAMES.map((profile) => [profile, evaluation[profile].threshold]),
        ),
        standardByCategory: Object.fromEntries(
          categories.map((category) => [category, categoryCell(files, evaluation, category)]),
        ),
      },
    ]),
  ),
  publishedAtCorpusThreshold: atCorpusThreshold,
  acceptance: {
    presageStandard: ours.standard.normalized,
    numentaStandard: numenta.standard.normalized,
    beatsNumenta: beats,
    pointsPerSecondPerCore: throughput.presage?.pointsPerSecond ?? 0,
    throughputGoal: 100_000,
  },
};
await mkdir(dirname(flags.out), { recursive: true });
await writeFile(flags.out, `${JSON.stringify(report, null, 2)}\n`);
process.stderr.write(`wrote ${flags.out}\n`);
