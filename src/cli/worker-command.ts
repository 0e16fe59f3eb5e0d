import { hostname } from "node:os";
import { InProcessTrainRunner } from "../../jobs/in-process-train-runner.js";
import { createTrainProcessor, type TrainProcessor } from "../../jobs/train-processor.js";
import { createTrainQueue, TRAIN_QUEUE_NAME } from "../../jobs/train-queue.js";
import { syncTrainSchedules } from "../../jobs/train-schedules.js";
import { TrainWorker } from "../../jobs/train-worker.js";
import type { ModelRegistry } from "../../training/registry/model-registry.js";
import { codeVersion } from "../code-version.js";
import { CONFIG_ENV, loadConfigFile, type ResolvedConfig } from "../config/presage-config.js";
import { startMetricsServer } from "../telemetry/metrics-server.js";
import { TrainingMetrics } from "../telemetry/training-metrics.js";
import { openModelRegistry } from "../training-runtime/open-model-registry.js";
import { createConfiguredTrainer } from "../training-runtime/train-target-job.js";
import { trainingObserver, type LogLine } from "../training-runtime/training-observer.js";
import { CliError } from "./cli-error.js";
import { parseCliArgs } from "./parse-cli-args.js";

/** Options of `presage worker`, parsed and checked. */
export interface WorkerCommandOptions {
  readonly configPath: string;
  /** 0 picks a free port (printed in the ready line). @defaultValue 9464 */
  readonly metricsPort: number;
  /** @defaultValue "0.0.0.0" */
  readonly metricsHost: string;
  /**
   * How long running jobs may take to finish after SIGTERM/SIGINT before the worker exits anyway (their
   * jobs then go to another worker through stalled-job recovery). Below Kubernetes' default 30 s
   * termination grace period so the worker exits before it is killed.
   * @defaultValue 25_000
   */
  readonly shutdownGraceMs: number;
  /**
   * BullMQ job lock. Training is CPU-bound on the main thread and the lock can only be renewed between
   * stages, so it must outlast the longest stage (measured: ~15 s for 14 days of 1-minute data).
   * @defaultValue 120_000
   */
  readonly lockDurationMs: number;
  /** BullMQ stalled-job check interval. @defaultValue 30_000 */
  readonly stalledIntervalMs: number;
  /** Shown as `processedBy` on jobs. @defaultValue `<hostname>-<pid>` */
  readonly name: string;
}

/**
 * `presage worker`: runs training jobs until SIGTERM/SIGINT. With `redis.url` configured it is a
 * BullMQ worker on the `presage-train` queue (scale out by running more) and keeps the per-target job
 * schedulers in line with the config; without it, embedded mode, the same processor runs in-process on
 * the targets' cron schedules. Either way it serves Prometheus metrics on `/metrics`.
 * Returns the exit code: 0 after a graceful shutdown.
 */
export async function runWorkerCommand(argv: readonly string[]): Promise<number> {
  const options = parseWorkerArgs(argv);
  const config = await loadConfigFile(options.configPath);
  const log: LogLine = (message) => {
    process.stdout.write(`presage worker: ${message}\n`);
  };

  const metrics = new TrainingMetrics({ processMetrics: true, defaultLabels: { worker: options.name } });
  // First, so a port clash fails the start before any job is taken.
  const server = await startMetricsServer(metrics, options.metricsPort, options.metricsHost);
  const registry = openModelRegistry(config);
  let running: RunningTraining;
  try {
    await reportCurrentModels(config, registry, metrics, log);
    const processor = createTrainProcessor({
      targets: config.targets,
      registry,
      train: createConfiguredTrainer({ config, registry, codeVersion: codeVersion() }),
      observe: trainingObserver(metrics, log),
    });
    running =
      config.redis === undefined
        ? startEmbedded(config, processor, log)
        : await startClustered(config, config.redis.url, processor, options, log);
  } catch (error) {
    // Nothing may keep the process alive after a failed start.
    await Promise.allSettled([registry.close(), server.close()]);
    throw error;
  }

  log(
    `ready mode=${running.mode} name=${options.name} pid=${process.pid} concurrency=${config.training.concurrency} ` +
      `targets=${config.targets.length} metrics_port=${server.port}`,
  );

  const signal = await nextShutdownSignal(() => {
    log("second signal: exiting now");
    process.exit(130);
  });
  log(`shutting down signal=${signal} grace_ms=${options.shutdownGraceMs}`);
  const { abandoned } = await running.stop(options.shutdownGraceMs);
  await Promise.allSettled([registry.close(), server.close()]);
  if (abandoned > 0) {
    // Their work still runs in this process and would keep it alive; the jobs themselves are safe.
    log(`stopped; abandoned ${abandoned} running job(s): ${running.afterAbandon}`);
    process.exit(0);
  }
  log("stopped");
  return 0;
}

/** Training jobs being run, in either mode. */
interface RunningTraining {
  /** Graceful stop; resolves with the number of jobs still running when it gave up waiting. */
  stop(graceMs: number): Promise<{ abandoned: number }>;
  readonly mode: string;
  /** What becomes of abandoned jobs, for the log. */
  readonly afterAbandon: string;
}

/** Cluster mode: align the job schedulers with the config, then run a BullMQ worker. */
async function startClustered(
  config: ResolvedConfig,
  url: string,
  processor: TrainProcessor,
  options: WorkerCommandOptions,
  log: LogLine,
): Promise<RunningTraining> {
  const connection = { url };
  const queue = createTrainQueue(connection, config.training);
  try {
    const sync = await syncTrainSchedules(queue, config.targets, config.training);
    log(
      `schedules synced upserted=${sync.upserted.length} unchanged=${sync.unchanged.length} removed=${sync.removed.join(",") || "none"}`,
    );
  } finally {
    await queue.close();
  }
  const worker = new TrainWorker({
    connection,
    processor,
    concurrency: config.training.concurrency,
    lockDurationMs: options.lockDurationMs,
    stalledIntervalMs: options.stalledIntervalMs,
    name: options.name,
    onError: (error) => {
      log(`redis error message=${JSON.stringify(error.message)}`);
    },
  });
  await worker.start();
  return {
    stop: (graceMs) => worker.close(graceMs),
    mode: `redis queue=${TRAIN_QUEUE_NAME}`,
    afterAbandon: "another worker takes them over once their locks expire (stalled-job recovery)",
  };
}

/** Embedded mode: the same processor on in-process cron timers. */
function startEmbedded(config: ResolvedConfig, processor: TrainProcessor, log: LogLine): RunningTraining {
  const runner = new InProcessTrainRunner({
    targets: config.targets,
    processor,
    concurrency: config.training.concurrency,
    attempts: config.training.attempts,
    backoffMs: config.training.backoffMs,
    onEvent: (event) => {
      if (event.kind === "retrying") log(`job retrying id=${event.jobId} in_ms=${event.delayMs}`);
    },
  });
  runner.start();
  return {
    stop: (graceMs) => runner.stop(graceMs),
    mode: "embedded",
    afterAbandon: "their targets train again at the next tick",
  };
}

/** Resolves with the first SIGTERM/SIGINT; a second one calls `onSecond`. */
function nextShutdownSignal(onSecond: () => void): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let received = false;
    const handler = (signal: NodeJS.Signals): void => {
      if (received) {
        onSecond();
        return;
      }
      received = true;
      resolve(signal);
    };
    process.on("SIGTERM", handler);
    process.on("SIGINT", handler);
  });
}

/** Sets the current-model gauges from the registry, so they are right before the first job. */
async function reportCurrentModels(
  config: ResolvedConfig,
  registry: ModelRegistry,
  metrics: TrainingMetrics,
  log: LogLine,
): Promise<void> {
  for (const target of config.targets) {
    try {
      const current = (await registry.listVersions(target.name)).find((version) => version.current);
      if (current !== undefined) metrics.currentModel(target.name, current.version, current.backtest.mase);
    } catch (error) {
      log(
        `cannot read the current model target=${target.name} message=${JSON.stringify(error instanceof Error ? error.message : String(error))}`,
      );
    }
  }
}

function parseWorkerArgs(argv: readonly string[]): WorkerCommandOptions {
  const values = parseCliArgs(argv, {
    config: { type: "string" },
    "metrics-port": { type: "string", default: "9464" },
    "metrics-host": { type: "string", default: "0.0.0.0" },
    "shutdown-grace-ms": { type: "string", default: "25000" },
    "lock-duration-ms": { type: "string", default: "120000" },
    "stalled-interval-ms": { type: "string", default: "30000" },
    name: { type: "string", default: `${hostname()}-${process.pid}` },
  });
  const configPath = values.config ?? process.env[CONFIG_ENV];
  if (configPath === undefined || configPath === "") {
    throw new CliError(`worker needs --config <file> (or ${CONFIG_ENV})`);
  }
  const metricsPort = integerOption("--metrics-port", values["metrics-port"], 0, 65_535);
  const lockDurationMs = integerOption("--lock-duration-ms", values["lock-duration-ms"], 1000, 3_600_000);
  const stalledIntervalMs = integerOption(
    "--stalled-interval-ms",
    values["stalled-interval-ms"],
    100,
    3_600_000,
  );
  return {
    configPath,
    metricsPort,
    metricsHost: values["metrics-host"],
    shutdownGraceMs: integerOption("--shutdown-grace-ms", values["shutdown-grace-ms"], 0, 3_600_000),
    lockDurationMs,
    stalledIntervalMs,
    name: values.name,
  };
}

/** Parses an integer flag, naming the flag, the value and the allowed range when it is not one. */
export function integerOption(flag: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isInteger(value) || value < min || value > max) {
    throw new CliError(`${flag} (${text}) must be an integer from ${min} to ${max}`);
  }
  return value;
}
