/**
 * `npm run bench:lstm`: how long local LSTM training takes for one hourly series (M4 Hourly, 700–1000
 * points, horizon 48) on the wasm backend (or `--backend tensorflow|wasm|cpu`). Fits the catalog's
 * `lstm` on an evenly spaced sample of H1–H150 and prints the median and maximum seconds per series,
 * with epochs and the machine's load average (timings on a shared machine depend on it).
 *
 *   npm run bench:lstm -- [--sample 15] [--backend wasm] [--out bench-results/lstm-timing-bench.json]
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { FittedLstm } from "../models/lstm/fitted-lstm.js";
import { initLstmBackend, LstmBackendName, lstmMemory } from "../models/lstm/lstm-backend.js";
import { formatTable } from "../src/cli/text-table.js";
import { parseWideCsv } from "../training/datasets/wide-csv.js";
import { createForecaster } from "../training/model-catalog.js";
import { findRepoRoot } from "./repo-root.js";

const repoRoot = findRepoRoot(dirname(fileURLToPath(import.meta.url)));
const { values: flags } = parseArgs({
  options: {
    sample: { type: "string", default: "15" },
    backend: { type: "string", default: LstmBackendName.wasm },
    out: { type: "string", default: join(repoRoot, "bench-results", "lstm-timing-bench.json") },
  },
});
const sharedData = process.env.PRESAGE_SHARED_DATA ?? resolve(repoRoot, "../shared/data");
const trainCsv = join(sharedData, "m4", "Hourly-train-H1-H150.csv");
if (!existsSync(trainCsv)) {
  process.stderr.write(`bench:lstm: ${trainCsv} not found (set PRESAGE_SHARED_DATA)\n`);
  process.exit(2);
}
const wanted = flags.backend as LstmBackendName;
if (!Object.values(LstmBackendName).includes(wanted)) {
  process.stderr.write(
    `bench:lstm: --backend (${flags.backend}) must be one of ${Object.values(LstmBackendName).join(", ")}\n`,
  );
  process.exit(2);
}
const backend = await initLstmBackend([wanted]);
process.stderr.write(
  `lstm backend: ${backend.backend}${backend.skipped.length > 0 ? ` (skipped ${backend.skipped.join("; ")})` : ""}\n`,
);

const all = parseWideCsv(await readFile(trainCsv, "utf8")).filter(
  (row) => row.values.length >= 700 && row.values.length <= 1000,
);
const sampleSize = Math.min(all.length, Math.max(1, Number(flags.sample)));
const sample = Array.from(
  { length: sampleSize },
  (_, i) => all[Math.floor((i * all.length) / sampleSize)],
).filter((row) => row !== undefined);
const context = { period: 24, horizonSteps: 48, stepSeconds: 3600 };
const tensorsBefore = lstmMemory().numTensors;
const rows: {
  id: string;
  points: number;
  seconds: number;
  epochs: number;
  bestEpoch: number;
  model: string;
}[] = [];
for (const row of sample) {
  const started = performance.now();
  const fitted = createForecaster("lstm", context).fit({ values: row.values, stepSeconds: 3600 });
  fitted.predict(48);
  const seconds = (performance.now() - started) / 1000;
  const training = fitted instanceof FittedLstm ? fitted.training : undefined;
  rows.push({
    id: row.id,
    points: row.values.length,
    seconds,
    epochs: training?.epochs ?? 0,
    bestEpoch: training?.bestEpoch ?? 0,
    model: fitted.name,
  });
  process.stderr.write(`${row.id}: ${seconds.toFixed(1)} s, ${training?.epochs ?? 0} epochs\n`);
}
const sorted = rows.map((row) => row.seconds).sort((a, b) => a - b);
const median =
  sorted.length % 2 === 1
    ? (sorted[(sorted.length - 1) / 2] ?? Number.NaN)
    : ((sorted[sorted.length / 2 - 1] ?? 0) + (sorted[sorted.length / 2] ?? 0)) / 2;
const max = sorted[sorted.length - 1] ?? Number.NaN;
const load = loadavg();
process.stdout.write(
  `${formatTable(
    ["series", "points", "seconds", "epochs", "best epoch", "model"],
    rows.map((row) => [row.id, row.points, row.seconds, row.epochs, row.bestEpoch, row.model]),
  )}\n`,
);
process.stdout.write(
  `\nlocal LSTM training on ${backend.backend}: median ${median.toFixed(1)} s, max ${max.toFixed(1)} s over ${rows.length} series (limit 60 s); load average ${load.map((l) => l.toFixed(1)).join(" ")} on ${cpus().length} cpus; tensors leaked: ${lstmMemory().numTensors - tensorsBefore}\n`,
);
const report = {
  createdAt: new Date().toISOString(),
  machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version, loadAverage: load },
  backend: backend.backend,
  medianSeconds: median,
  maxSeconds: max,
  withinLimit: max <= 60,
  series: rows,
};
await mkdir(dirname(flags.out), { recursive: true });
await writeFile(flags.out, `${JSON.stringify(report, null, 2)}\n`);
process.stderr.write(`wrote ${flags.out}\n`);
