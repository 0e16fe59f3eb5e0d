/**
 * `npm run bench:api`: throughput and latency of the HTTP API under autocannon. Starts
 * `presage serve --port 0 --targets 100 --rate-limit 0 --tick-ms 0` (the embedded service with 100
 * synthetic targets, no per-token limit, the scaler loop paused so the data — and so the forecast
 * cache — stay put), asks each target's forecast once (cold: computed), then measures
 * `GET /api/v1/targets/:name/forecast?horizon=30m&levels=80,95` cycling over the 100 targets (all
 * cached), plus `GET /api/v1/targets`, `GET /api/v1/capacity` (the plan of the day, served from
 * memory) and `GET /healthz` for reference. Prints a table (requests/s,
 * p50/p90/p99/max latency, errors, server CPU and CPU per request) and writes
 * bench-results/api-bench.json.
 *
 * The load generator runs on the same machine as the server (2 cores here), so the numbers are a
 * floor: autocannon's own CPU is taken from the server's.
 *
 * Flags: --targets 100  --connections 32  --duration 10 (seconds per route)  --with-loop (also
 * measure the forecast route with the scaler loop ticking every second, which moves the data and so
 * recomputes forecasts)  --out file.json
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { formatTable } from "../src/cli/text-table.js";
import { findRepoRoot } from "./repo-root.js";

/** The goal of issue 6 for cached forecasts on a 2-core machine. */
const GOAL = { requestsPerSecond: 5000, p99Ms: 20 };
const FORECAST_QUERY = "horizon=30m&levels=80,95";

const repoRoot = findRepoRoot(dirname(fileURLToPath(import.meta.url)));
const { values: flags } = parseArgs({
  options: {
    targets: { type: "string", default: "100" },
    connections: { type: "string", default: "32" },
    duration: { type: "string", default: "10" },
    "with-loop": { type: "boolean", default: false },
    out: { type: "string", default: join(repoRoot, "bench-results", "api-bench.json") },
  },
});
const targetCount = positiveInteger("--targets", flags.targets);
const connections = positiveInteger("--connections", flags.connections);
const durationSeconds = positiveInteger("--duration", flags.duration);

interface RouteResult {
  readonly route: string;
  readonly scenario: string;
  readonly requestsPerSecond: number;
  readonly requests: number;
  readonly latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly bytesPerSecond: number;
  /** Server process CPU over the run, in cores (1.0 = one core busy); null off Linux. */
  readonly serverCpuCores: number | null;
  /**
   * Server CPU per request in microseconds: what a request costs whatever else runs on the machine
   * (requests/s moves with the CPU the server gets; this does much less).
   */
  readonly serverCpuMicrosPerRequest: number | null;
}

const results: RouteResult[] = [];
const cold: { target: string; ms: number }[] = [];

const cached = await startServer(["--tick-ms", "0"]);
try {
  const targets = await listTargets(cached.baseUrl, cached.token);
  process.stdout.write(
    `presage serve: ${targets.length} targets (${cached.startupSeconds.toFixed(1)} s to train and listen); ` +
      `autocannon: ${connections} connections, ${durationSeconds} s per route\n`,
  );
  for (const target of targets) {
    const startedMs = performance.now();
    const response = await fetch(forecastUrl(cached.baseUrl, target), { headers: auth(cached.token) });
    if (response.status !== 200) {
      throw new Error(`warm-up: ${target} forecast answered ${response.status}: ${await response.text()}`);
    }
    await response.arrayBuffer();
    cold.push({ target, ms: performance.now() - startedMs });
  }
  const forecastPaths = targets.map((target) => forecastPath(target));
  // JIT warm-up of the hot path; not reported.
  await measure(cached, "warm-up", forecastPaths, "forecast (warm-up)", 2);
  results.push(await measure(cached, "cached", forecastPaths, "GET /api/v1/targets/:name/forecast"));
  results.push(await measure(cached, "cached", ["/api/v1/targets"], "GET /api/v1/targets"));
  results.push(await measure(cached, "cached", ["/api/v1/capacity"], "GET /api/v1/capacity"));
  results.push(await measure(cached, "cached", ["/healthz"], "GET /healthz"));
} finally {
  await stopServer(cached.child);
}

if (flags["with-loop"]) {
  const looping = await startServer(["--tick-ms", "1000"]);
  try {
    const targets = await listTargets(looping.baseUrl, looping.token);
    results.push(
      await measure(
        looping,
        "scaler loop ticking every 1 s",
        targets.map((target) => forecastPath(target)),
        "GET /api/v1/targets/:name/forecast",
      ),
    );
  } finally {
    await stopServer(looping.child);
  }
}

const coldMs = cold.map((entry) => entry.ms).sort((a, b) => a - b);
const forecastResult = results.find(
  (result) => result.scenario === "cached" && result.route.includes("forecast"),
);
const meetsGoal =
  forecastResult !== undefined &&
  forecastResult.requestsPerSecond >= GOAL.requestsPerSecond &&
  forecastResult.latencyMs.p99 < GOAL.p99Ms &&
  forecastResult.non2xx === 0 &&
  forecastResult.errors === 0;

process.stdout.write(
  `\n${formatTable(
    [
      "route",
      "scenario",
      "req/s",
      "p50 ms",
      "p90 ms",
      "p99 ms",
      "max ms",
      "non-2xx",
      "errors",
      "server CPU (cores)",
      "CPU µs/req",
    ],
    results.map((result) => [
      result.route,
      result.scenario,
      Math.round(result.requestsPerSecond),
      // autocannon records latency in whole milliseconds.
      String(result.latencyMs.p50),
      String(result.latencyMs.p90),
      String(result.latencyMs.p99),
      String(result.latencyMs.max),
      String(result.non2xx),
      String(result.errors + result.timeouts),
      result.serverCpuCores === null ? "—" : result.serverCpuCores.toFixed(2),
      result.serverCpuMicrosPerRequest === null ? "—" : String(result.serverCpuMicrosPerRequest),
    ]),
  )}\n\n`,
);
process.stdout.write(
  `cold forecasts (first request per target, computed): median ${quantile(coldMs, 0.5).toFixed(1)} ms, ` +
    `max ${quantile(coldMs, 1).toFixed(1)} ms over ${coldMs.length} targets\n`,
);
process.stdout.write(
  `goal (cached forecast route): ≥ ${GOAL.requestsPerSecond} req/s and p99 < ${GOAL.p99Ms} ms — ` +
    (meetsGoal ? "met" : "NOT met") +
    (forecastResult === undefined
      ? "\n"
      : ` (${Math.round(forecastResult.requestsPerSecond)} req/s, p99 ${forecastResult.latencyMs.p99} ms)\n`),
);

const report = {
  createdAt: new Date().toISOString(),
  machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version },
  settings: {
    targets: targetCount,
    connections,
    durationSeconds,
    forecastQuery: FORECAST_QUERY,
    serve: "presage serve --port 0 --targets N --rate-limit 0 --tick-ms 0 --log-level error",
  },
  goal: GOAL,
  meetsGoal,
  coldForecastMs: { median: quantile(coldMs, 0.5), p90: quantile(coldMs, 0.9), max: quantile(coldMs, 1) },
  results,
};
await mkdir(dirname(flags.out), { recursive: true });
await writeFile(flags.out, `${JSON.stringify(report, null, 2)}\n`);
process.stderr.write(`wrote ${flags.out}\n`);

interface Server {
  readonly child: ChildProcess;
  readonly baseUrl: string;
  readonly token: string;
  readonly startupSeconds: number;
}

/** Starts `presage serve` with generated tokens and resolves with its URL and read token once it listens. */
async function startServer(extraArgs: readonly string[]): Promise<Server> {
  const env = { ...process.env };
  delete env.PRESAGE_API_TOKENS;
  delete env.PRESAGE_CONFIG;
  const args = [
    join(repoRoot, "bin/presage.js"),
    "serve",
    "--port",
    "0",
    "--targets",
    String(targetCount),
    "--rate-limit",
    "0",
    "--log-level",
    "error",
    ...extraArgs,
  ];
  const startedMs = performance.now();
  const child = spawn(process.execPath, args, { cwd: repoRoot, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  return await new Promise<Server>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString("utf8");
      const baseUrl = /presage: serving API and dashboard on (http:\/\/\S+?)\/?\s*$/m.exec(output)?.[1];
      const token = /presage: read token: (\S+)/.exec(output)?.[1];
      if (baseUrl !== undefined && token !== undefined && output.includes("presage: dashboard:")) {
        child.stdout.off("data", onData);
        child.stderr.off("data", onData);
        // Keep draining its output so a chatty server never blocks on a full pipe.
        child.stdout.resume();
        child.stderr.resume();
        resolve({ child, baseUrl, token, startupSeconds: (performance.now() - startedMs) / 1000 });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code, signal) => {
      reject(new Error(`presage serve exited (${signal ?? code}) before listening:\n${output}`));
    });
  });
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once("exit", () => {
      resolve();
    });
    child.kill("SIGTERM");
  });
}

async function listTargets(baseUrl: string, token: string): Promise<string[]> {
  const response = await fetch(`${baseUrl}/api/v1/targets`, { headers: auth(token) });
  if (response.status !== 200) throw new Error(`GET /api/v1/targets answered ${response.status}`);
  const body = (await response.json()) as { targets: { name: string; model?: unknown }[] };
  return body.targets.filter((target) => target.model !== undefined).map((target) => target.name);
}

/** One autocannon run; each connection cycles through `paths`. */
async function measure(
  server: Server,
  scenario: string,
  paths: readonly string[],
  route: string,
  seconds = durationSeconds,
): Promise<RouteResult> {
  const cpuBefore = processCpuSeconds(server.child.pid);
  const startedMs = performance.now();
  const result = await autocannon({
    url: server.baseUrl,
    connections,
    duration: seconds,
    headers: auth(server.token),
    requests: paths.map((path) => ({ method: "GET" as const, path })),
  });
  const elapsedSeconds = (performance.now() - startedMs) / 1000;
  const cpuAfter = processCpuSeconds(server.child.pid);
  return {
    route,
    scenario,
    requestsPerSecond: result.requests.average,
    requests: result.requests.total,
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
      mean: result.latency.average,
    },
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    bytesPerSecond: result.throughput.average,
    serverCpuCores:
      cpuBefore === null || cpuAfter === null
        ? null
        : Math.round(((cpuAfter - cpuBefore) / elapsedSeconds) * 100) / 100,
    serverCpuMicrosPerRequest:
      cpuBefore === null || cpuAfter === null || result.requests.total === 0
        ? null
        : Math.round(((cpuAfter - cpuBefore) / result.requests.total) * 1e6),
  };
}

/** User + system CPU seconds of a process so far, from /proc (Linux); null elsewhere. */
function processCpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks / 100 : null;
  } catch {
    return null;
  }
}

function forecastPath(target: string): string {
  return `/api/v1/targets/${encodeURIComponent(target)}/forecast?${FORECAST_QUERY}`;
}

function forecastUrl(baseUrl: string, target: string): string {
  return `${baseUrl}${forecastPath(target)}`;
}

function auth(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

function positiveInteger(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    process.stderr.write(`bench:api: ${flag} (${text}) must be a positive integer\n`);
    process.exit(2);
  }
  return value;
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}
