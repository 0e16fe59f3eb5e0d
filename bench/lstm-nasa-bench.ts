/**
 * `npm run bench:nasa`: rolling-origin evaluation on the NASA HTTP trace (requests per 5 minutes,
 * July–August 1995) at 30-minute (6 steps) and 2-hour (24 steps) horizons: MASE and 80% coverage of
 * the LSTM, the seasonal models and their combination (`auto+lstm`).
 *
 * Rows whose status is `missing_log` or `server_down` are gaps: models see them as missing (they
 * repair them as usual) and they are never scored. The last `--test-days` days are the test span.
 * Every `--refit-hours` each model is refitted on everything before; between refits it is advanced
 * with `update()` (what the scaler loop does), forecasting from an origin every `--origin-steps`.
 * MASE divides by the in-sample seasonal-naive (daily, 288 steps) error of the training part.
 *
 *   npm run bench:nasa -- [--models snaive,mstl,auto,lstm,auto+lstm] [--horizons 6,24]
 *       [--test-days 14] [--refit-hours 168] [--origin-steps 12] [--out bench-results/lstm-nasa-bench.json]
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { FittedModel } from "../models/forecaster.js";
import { initLstmBackend } from "../models/lstm/lstm-backend.js";
import { formatTable } from "../src/cli/text-table.js";
import { createForecaster, type ModelContext } from "../training/model-catalog.js";
import { findRepoRoot } from "./repo-root.js";

const STEP_SECONDS = 300;
const DAY_STEPS = 288;
const GAP_STATUSES = new Set(["missing_log", "server_down"]);

const repoRoot = findRepoRoot(dirname(fileURLToPath(import.meta.url)));
const { values: flags } = parseArgs({
  options: {
    models: { type: "string", default: "snaive,mstl,auto,lstm,auto+lstm" },
    horizons: { type: "string", default: "6,24" },
    "test-days": { type: "string", default: "14" },
    "refit-hours": { type: "string", default: "168" },
    "origin-steps": { type: "string", default: "12" },
    trace: { type: "string" },
    out: { type: "string", default: join(repoRoot, "bench-results", "lstm-nasa-bench.json") },
  },
});
const sharedData = process.env.PRESAGE_SHARED_DATA ?? resolve(repoRoot, "../shared/data");
const tracePath = flags.trace ?? join(sharedData, "traces", "nasa_http_1995_requests_per_5min.csv");
if (!existsSync(tracePath)) {
  process.stderr.write(`bench:nasa: trace not found at ${tracePath} (set PRESAGE_SHARED_DATA)\n`);
  process.exit(2);
}
const models = flags.models.split(",").filter((name) => name !== "");
const horizons = flags.horizons.split(",").map(Number);
const testSteps = Number(flags["test-days"]) * DAY_STEPS;
const refitSteps = Math.round((Number(flags["refit-hours"]) * 3600) / STEP_SECONDS);
const originSteps = Number(flags["origin-steps"]);

const backend = models.some((name) => name.includes("lstm")) ? await initLstmBackend() : undefined;
if (backend) process.stderr.write(`lstm backend: ${backend.backend}\n`);
const { values, startMs } = parseTrace(await readFile(tracePath, "utf8"));
const testStart = values.length - testSteps;
process.stderr.write(
  `NASA trace: ${values.length} steps, ${values.filter((v) => !Number.isFinite(v)).length} gaps; test span ${testSteps} steps from index ${testStart}\n`,
);

interface Scores {
  mase: number;
  coverage80: number;
  origins: number;
  points: number;
  fitSeconds: number;
  refits: number;
  models: Record<string, number>;
}
const results: Record<string, Record<string, Scores>> = {};
for (const horizon of horizons) {
  const byModel: Record<string, Scores> = {};
  results[horizon] = byModel;
  for (const name of models) {
    const score = evaluate(name, horizon);
    byModel[name] = score;
    process.stderr.write(
      `h=${horizon} ${name}: MASE ${score.mase.toFixed(3)} cov80 ${score.coverage80.toFixed(3)} fit ${score.fitSeconds.toFixed(1)} s over ${score.refits} refits\n`,
    );
  }
}

for (const horizon of horizons) {
  process.stdout.write(
    `\nNASA HTTP 1995, 5-minute steps, horizon ${horizon} steps (${(horizon * 5) / 60} h), last ${testSteps / DAY_STEPS} days\n`,
  );
  process.stdout.write(
    `${formatTable(
      ["method", "MASE", "cov80", "origins", "points", "fit s (total)", "refits"],
      Object.entries(results[horizon] ?? {}).map(([name, s]) => [
        name,
        s.mase,
        s.coverage80,
        s.origins,
        s.points,
        s.fitSeconds,
        s.refits,
      ]),
    )}\n`,
  );
}
const report = {
  createdAt: new Date().toISOString(),
  machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version, loadAverage: loadavg() },
  lstmBackend: backend?.backend,
  trace: tracePath,
  settings: { testSteps, refitSteps, originSteps, stepSeconds: STEP_SECONDS, period: DAY_STEPS },
  horizons: results,
};
await mkdir(dirname(flags.out), { recursive: true });
await writeFile(flags.out, `${JSON.stringify(report, null, 2)}\n`);
process.stderr.write(`wrote ${flags.out}\n`);

function evaluate(name: string, horizon: number): Scores {
  const context: ModelContext = { period: DAY_STEPS, horizonSteps: horizon, stepSeconds: STEP_SECONDS };
  let absoluteErrorOverScale = 0;
  let inside = 0;
  let points = 0;
  let origins = 0;
  let fitMs = 0;
  let refits = 0;
  const fittedNames: Record<string, number> = {};
  let model: FittedModel | undefined;
  let modelEnd = 0;
  let fittedAt = 0;
  let scale = 1;
  for (let origin = testStart; origin + horizon <= values.length; origin += originSteps) {
    if (model === undefined || origin - fittedAt >= refitSteps) {
      const started = performance.now();
      model = createForecaster(name, context).fit({
        values: values.slice(0, origin),
        stepSeconds: STEP_SECONDS,
        startMs,
      });
      fitMs += performance.now() - started;
      refits++;
      fittedNames[model.name] = (fittedNames[model.name] ?? 0) + 1;
      modelEnd = origin;
      fittedAt = origin;
      scale = seasonalNaiveError(values.slice(0, origin), DAY_STEPS);
    } else {
      model = model.update(values.slice(modelEnd, origin));
      modelEnd = origin;
    }
    const actual = values.slice(origin, origin + horizon);
    if (!actual.some(Number.isFinite)) continue;
    const forecast = model.predict(horizon, { levels: [80] });
    const interval = forecast.intervals[0];
    let errors = 0;
    let scored = 0;
    actual.forEach((value, h) => {
      if (!Number.isFinite(value)) return;
      errors += Math.abs(value - (forecast.mean[h] ?? Number.NaN));
      scored++;
      if (interval && value >= (interval.lower[h] ?? Infinity) && value <= (interval.upper[h] ?? -Infinity))
        inside++;
    });
    absoluteErrorOverScale += errors / scored / scale;
    points += scored;
    origins++;
  }
  return {
    mase: absoluteErrorOverScale / origins,
    coverage80: inside / points,
    origins,
    points,
    fitSeconds: fitMs / 1000,
    refits,
    models: fittedNames,
  };
}

/** Mean |y(t) − y(t − period)| over the pairs where both are observed (gaps are skipped, not bridged). */
function seasonalNaiveError(train: readonly number[], period: number): number {
  let sum = 0;
  let count = 0;
  for (let t = period; t < train.length; t++) {
    const difference = (train[t] ?? Number.NaN) - (train[t - period] ?? Number.NaN);
    if (Number.isFinite(difference)) {
      sum += Math.abs(difference);
      count++;
    }
  }
  return count > 0 && sum > 0 ? sum / count : 1;
}

function parseTrace(text: string): { values: number[]; startMs: number } {
  const lines = text.trim().split("\n").slice(1);
  const values: number[] = [];
  let startMs = Number.NaN;
  for (const line of lines) {
    const [timestamp = "", requests = "", status = ""] = line.split(",");
    if (Number.isNaN(startMs)) startMs = Date.parse(timestamp);
    values.push(GAP_STATUSES.has(status.trim()) ? Number.NaN : Number(requests));
  }
  return { values, startMs };
}
