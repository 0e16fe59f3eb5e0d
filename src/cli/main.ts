import { ConfigError } from "../config/presage-config.js";
import { CliError } from "./cli-error.js";
import { runEvalForecastCommand } from "./eval-forecast-command.js";
import { runRunCommand } from "./run-command.js";
import { runScaleCommand } from "./scale-command.js";
import { runSimulateCommand } from "./simulate-command.js";
import { runTrainCommand } from "./train-command.js";
import { runWorkerCommand } from "./worker-command.js";

const USAGE = `presage — predictive scaling, capacity planning and self-healing for Kubernetes

Usage:
  presage run [--horizon-steps N] [--seed N] [--scale-ticks 24]
      Forecast the built-in seeded synthetic workload (embedded defaults) and print
      the forecast with its intervals as a table and a chart, then run the scaler loop
      on a simulated cluster for N ticks (0: skip), printing decisions live.
  presage eval forecast --train <train.csv> --test <test.csv> --season <m> --horizon <h>
                        [--models auto,ets,theta,snaive,…] [--limit N] [--json out.json]
                        [--step-seconds S]   (default: inferred from M4 season/horizon pairs)
      Score forecasting methods on M4-format data (sMAPE, MASE, OWA, MSIS, coverage).
  presage train --config <file> [--target <name>]…      (or PRESAGE_CONFIG=<file>)
      Train the targets now, in this process (progress on stderr), and print per target:
      version, promoted, backtest MASE, coverage, reason. Exit code 1 if any target failed.
  presage worker --config <file> [--metrics-port 9464] [--metrics-host 0.0.0.0]
                 [--shutdown-grace-ms 25000] [--lock-duration-ms 120000]
                 [--stalled-interval-ms 30000] [--name <worker name>]
      Run training jobs until SIGTERM/SIGINT: a BullMQ worker with per-target cron
      schedules when redis.url is set, in-process schedules otherwise. Serves /metrics.
  presage scale [--ticks N] [--tick-ms 1000] [--mode active|shadow] [--seed N] [--verbose]
      The scaler loop on embedded defaults: a simulated cluster fed by the synthetic
      workload (1 tick = 5 simulated minutes); prints each floor decision live.
  presage scale --kubernetes --config <file> [--kubeconfig <file>] [--lease-namespace ns]
                [--metrics-port 9465]
      In-cluster: manage HPAs annotated presage.io/enabled="true", acting only while
      holding the Lease; restores floors and releases the Lease on SIGTERM.
  presage simulate --trace <csv> --pod-capacity <load per pod per step | peak/N>
                   [--column requests] [--step 60] [--target-utilization 0.7] [--startup 180s]
                   [--quantile 0.9] [--lag 60s] [--window 15m] [--scale-down-cooldown 10m]
                   [--warmup 7d] [--train-window 14d] [--retrain-every 1d] [--min-replicas 1]
                   [--max-replicas 100] [--model auto]
                   [--sweep [--sweep-targets 0.5,…] [--sweep-quantiles 0.5,…]]
                   [--json out.json] [--chart out.svg] [--chart-hours 6]
      Replay a load trace through the reactive Kubernetes HPA, the HPA under presage's
      floors (forecasts use only past data) and a perfect-foresight oracle; report
      pod-hours and under-provisioning per policy. --sweep compares at equal pod-hours.
  presage help
`;

/** Runs one CLI invocation and returns the process exit code. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "run":
        await runRunCommand(rest);
        return 0;
      case "scale":
        return await runScaleCommand(rest);
      case "simulate":
        await runSimulateCommand(rest);
        return 0;
      case "train":
        return await runTrainCommand(rest);
      case "worker":
        return await runWorkerCommand(rest);
      case "eval": {
        const [what, ...args] = rest;
        if (what === "forecast") {
          await runEvalForecastCommand(args);
          return 0;
        }
        throw new CliError(`unknown eval target "${what ?? ""}"; expected: eval forecast`);
      }
      case undefined:
      case "help":
      case "--help":
      case "-h":
        process.stdout.write(USAGE);
        return 0;
      default:
        throw new CliError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof CliError) {
      process.stderr.write(`presage: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof ConfigError) {
      // Every problem of the file at once, without the usage text: the flags were fine.
      process.stderr.write(`presage ${command ?? ""}: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(
      `presage: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return 1;
  }
}
