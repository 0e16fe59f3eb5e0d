import { execFile, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "./free-port.js";
import { toOpenMetricsText, type BackfillSeries } from "./openmetrics-text.js";
import { signalAndWait } from "./signal-child.js";
import { spawnUntilReady } from "./spawn-until-ready.js";

export type { BackfillSeries } from "./openmetrics-text.js";

/** What to backfill and how Prometheus should read it. */
export interface StartPrometheusOptions {
  /** Gauge series written as TSDB blocks before Prometheus starts. @defaultValue [] */
  readonly series?: readonly BackfillSeries[];
  /**
   * `--query.lookback-delta`. Prometheus' 5m default would repeat the previous sample into a missing
   * one (2.x lookback includes its left edge), so gaps would not read as gaps.
   * @defaultValue half the smallest backfilled step (Prometheus' own default with no series)
   */
  readonly lookbackDelta?: string;
}

/** A real `prometheus` (Debian package) on a free loopback port, with backfilled history in a temp dir. */
export interface RealPrometheus {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly port: number;
  /** Temp dir holding `metrics.om`, `prometheus.yml` and the TSDB in `data/`. */
  readonly dir: string;
  readonly pid: number | undefined;
  /** SIGKILL, as a crash would; `restart` brings it back on the same port and data. */
  kill(): Promise<void>;
  /** Starts again on the same port and data dir after `kill` or `stop`, and waits until ready. */
  restart(): Promise<void>;
  /** SIGTERM, waits for exit and removes the temp dir. */
  stop(): Promise<void>;
}

const run = promisify(execFile);
/** promtool rounds this down to its largest compatible block range (2 h · 3^k): 13,122 h. */
const MAX_BLOCK_DURATION = "24000h";

/**
 * Backfills `series` with `promtool tsdb create-blocks-from openmetrics` in few large blocks (samples
 * may be of any age: retention is 100 years; 2.42 needs no overlapping-blocks flag),
 * starts Prometheus with no scrape targets, and resolves once `/-/ready` answers 200.
 */
export async function startPrometheus(options: StartPrometheusOptions = {}): Promise<RealPrometheus> {
  const series = options.series ?? [];
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), "presage-prometheus-"));
  const url = `http://127.0.0.1:${port}`;
  const metricsFile = join(dir, "metrics.om");
  const dataDir = join(dir, "data");
  try {
    await writeFile(metricsFile, toOpenMetricsText(series));
    if (series.some((one) => one.values.some(Number.isFinite))) {
      // 2.42 hides --max-block-duration; without it every 2 h of history is its own block, and a
      // few weeks of backfill take promtool half a minute and leave Prometheus hundreds of blocks.
      await run("promtool", [
        "tsdb",
        "create-blocks-from",
        "openmetrics",
        "--quiet",
        `--max-block-duration=${MAX_BLOCK_DURATION}`,
        metricsFile,
        dataDir,
      ]);
    }
    await writeFile(join(dir, "prometheus.yml"), "global:\n  scrape_interval: 1m\n");
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const lookbackDelta = options.lookbackDelta ?? defaultLookbackDelta(series);
  const args = [
    `--config.file=${join(dir, "prometheus.yml")}`,
    `--storage.tsdb.path=${dataDir}`,
    `--web.listen-address=127.0.0.1:${port}`,
    "--storage.tsdb.retention.time=100y",
    ...(lookbackDelta === undefined ? [] : [`--query.lookback-delta=${lookbackDelta}`]),
  ];
  let child: ChildProcess | undefined;
  const launch = async (): Promise<void> => {
    ({ child } = await spawnUntilReady({ command: "prometheus", args, readyUrl: `${url}/-/ready` }));
  };
  const exit = (signal: NodeJS.Signals): Promise<void> => signalAndWait(child, signal);
  try {
    await launch();
  } catch (error) {
    await exit("SIGKILL");
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url,
    port,
    dir,
    get pid() {
      return child?.pid;
    },
    kill: () => exit("SIGKILL"),
    restart: launch,
    stop: async () => {
      await exit("SIGTERM");
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function defaultLookbackDelta(series: readonly BackfillSeries[]): string | undefined {
  if (series.length === 0) return undefined;
  const smallestStepMs = Math.min(...series.map((one) => one.stepSeconds * 1000));
  return `${Math.max(1, Math.floor(smallestStepMs / 2))}ms`;
}
