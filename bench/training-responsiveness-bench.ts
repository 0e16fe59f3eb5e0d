/**
 * `npm run bench:training`: how long one training fit blocks the process's event loop, on the main
 * thread in one piece, and in the pooled worker threads (how built code fits now). Before the worker
 * threads, training ran on the main thread but yielded between its three stages (backtest,
 * comparison with the current model, final fit), so its longest block was the backtest: about four
 * fifths of the main-thread time measured here. The
 * fit is the production one — `auto`'s rolling-origin backtest, the champion/challenger decision and
 * the fit on all history — on the first 7 days of the NASA per-minute trace (10,080 points, horizon
 * 30 minutes, daily period). While it runs, a 10 ms timer records how long it waited between
 * firings: what an API request, an Alertmanager webhook or a lease renewal would have waited.
 *
 *   npm run bench:training -- [--runs 3] [--days 7] [--out bench-results/training-responsiveness-bench.json]
 */
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { loadTrace } from "../src/cli/simulate-command.js";
import { formatTable } from "../src/cli/text-table.js";
import { ChallengerFitThreads } from "../training/pipeline/challenger-fit-threads.js";
import {
  fitOnThisThread,
  type ChallengerFitJob,
  type ChallengerFitRunner,
} from "../training/pipeline/fit-challenger.js";
import { findRepoRoot } from "./repo-root.js";

const repoRoot = findRepoRoot(dirname(fileURLToPath(import.meta.url)));
const { values: flags } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    days: { type: "string", default: "7" },
    out: { type: "string", default: join(repoRoot, "bench-results", "training-responsiveness-bench.json") },
  },
});
const runs = Math.max(1, Number(flags.runs));
const days = Math.max(2, Number(flags.days));
const sharedData = process.env.PRESAGE_SHARED_DATA ?? resolve(repoRoot, "../shared/data");
const tracePath = join(sharedData, "traces", "nasa_http_1995_requests_per_minute.csv");
if (!existsSync(tracePath)) {
  process.stderr.write(`bench:training: ${tracePath} not found (set PRESAGE_SHARED_DATA)\n`);
  process.exit(2);
}

const trace = await loadTrace(tracePath, "requests", 60);
const values = trace.values.slice(0, days * 1440).map((value) => (Number.isFinite(value) ? value : 0));
const job: ChallengerFitJob = {
  targetName: "nasa-http",
  series: { values, stepSeconds: 60, startMs: trace.startMs },
  models: ["auto"],
  context: { period: 1440, horizonSteps: 30, stepSeconds: 60 },
  horizonSteps: 30,
  decidedAt: new Date(trace.startMs + values.length * 60_000).toISOString(),
};

interface Measured {
  readonly where: string;
  readonly run: number;
  readonly fitSeconds: number;
  /** 10 ms timer ticks seen during the fit, and how many an idle loop would have seen. */
  readonly timerTicks: number;
  readonly expectedTicks: number;
  /** Longest and 99th-percentile wait between two ticks of that timer. */
  readonly loopDelayMaxMs: number;
  readonly loopDelayP99Ms: number;
}

async function measure(where: string, run: number, runner: ChallengerFitRunner): Promise<Measured> {
  // A 10 ms timer stands for everything else the process does (API requests, webhooks, lease
  // renewals): how long it waited between two firings is how long they would have waited.
  const gaps: number[] = [];
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    gaps.push(now - last);
    last = now;
  }, 10);
  const started = performance.now();
  await runner(job, {});
  const elapsedMs = performance.now() - started;
  // The gap still open when the fit ended (a blocked loop fires the timer only after it).
  await new Promise((resolve) => setTimeout(resolve, 20));
  clearInterval(timer);
  const sorted = gaps.sort((a, b) => a - b);
  return {
    where,
    run,
    fitSeconds: elapsedMs / 1000,
    timerTicks: gaps.length,
    expectedTicks: Math.floor((elapsedMs + 20) / 10),
    loopDelayMaxMs: sorted.at(-1) ?? 0,
    loopDelayP99Ms: sorted[Math.min(sorted.length - 1, Math.floor(0.99 * sorted.length))] ?? 0,
  };
}

const threads = new ChallengerFitThreads();
const results: Measured[] = [];
for (let run = 1; run <= runs; run++) {
  results.push(await measure("main thread", run, fitOnThisThread));
  results.push(await measure("worker thread", run, threads.run));
  process.stderr.write(`bench:training: run ${run} of ${runs} done\n`);
}
await threads.close();

const table = formatTable(
  ["fit runs on", "run", "fit s", "10 ms ticks (idle loop)", "longest wait ms", "p99 wait ms"],
  results.map((result) => [
    result.where,
    String(result.run),
    result.fitSeconds.toFixed(2),
    `${result.timerTicks} (${result.expectedTicks})`,
    result.loopDelayMaxMs.toFixed(0),
    result.loopDelayP99Ms.toFixed(0),
  ]),
);
const load = loadavg()
  .map((value) => value.toFixed(2))
  .join(" ");
process.stdout.write(
  `auto on ${values.length} per-minute points of the NASA trace (horizon 30, period 1440), ${cpus().length} CPUs, load average ${load}\n\n${table}\n`,
);
await mkdir(dirname(flags.out), { recursive: true });
await writeFile(
  flags.out,
  `${JSON.stringify({ measuredAt: new Date().toISOString(), points: values.length, cpus: cpus().length, loadAverage: loadavg(), results }, null, 2)}\n`,
);
process.stdout.write(`wrote ${flags.out}\n`);
