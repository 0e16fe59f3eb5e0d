import { ConfigError } from "../config/presage-config.js";
import { runCapacityCommand } from "./capacity-command.js";
import { CliError } from "./cli-error.js";
import { runEvalAnomalyCommand } from "./eval-anomaly-command.js";
import { runEvalCapacityCommand } from "./eval-capacity-command.js";
import { runEvalForecastCommand } from "./eval-forecast-command.js";
import { runForecastCommand } from "./forecast-command.js";
import { runRunCommand } from "./run-command.js";
import { runScaleCommand } from "./scale-command.js";
import { runServeCommand } from "./serve-command.js";
import { runSimulateCommand } from "./simulate-command.js";
import { runTrainCommand } from "./train-command.js";
import { runWorkerCommand } from "./worker-command.js";

const USAGE = `presage — predictive scaling, capacity planning and self-healing for Kubernetes

Usage:
  presage run [--horizon-steps N] [--seed N] [--port 8080] [--host 127.0.0.1] [--targets 1]
              [--tick-ms 1000] [--rate-limit 100] [--no-serve [--scale-ticks 24]]
      Forecast the built-in seeded synthetic workload (embedded defaults) and print
      the forecast with its intervals as a table and a chart, then serve the API and
      dashboard as presage serve does until Ctrl-C. --no-serve: run the scaler loop on a
      simulated cluster for N ticks instead (0: skip), printing decisions live, and exit.
  presage serve [--port N] [--host 127.0.0.1] [--targets 1] [--model auto] [--extra-model snaive]
                [--seed 42] [--tick-ms 1000] [--mode active|shadow] [--rate-limit 100]
                [--config <file>] [--kubeconfig <file>] [--log-level warn]
      The HTTP API (/api/v1, OpenAPI at /docs) and dashboard on embedded defaults: N
      synthetic workloads trained in-process, the scaler loop on a simulated cluster
      (1 tick = 5 simulated minutes). Port: --port, $PORT, api.port, else 8080 (0: any).
      Tokens: the config's api section, PRESAGE_API_TOKENS (name:role:token,…), else a
      read and an admin token generated for this run and printed. Until SIGINT/SIGTERM.
      A remediation: section in the config mounts the Alertmanager webhook and runbooks
      (Kubernetes via --kubeconfig, else the pod's ServiceAccount or $KUBECONFIG).
  presage eval forecast --train <train.csv> --test <test.csv> --season <m> --horizon <h>
                        [--models auto,ets,theta,snaive,…] [--limit N] [--json out.json]
                        [--step-seconds S]   (default: inferred from M4 season/horizon pairs)
      Score forecasting methods on M4-format data (sMAPE, MASE, OWA, MSIS, coverage).
  presage eval capacity --input <csv> [--horizons 90,180] [--models capacity,naive,…]
                        [--json out.json] [--max-origins 12]
      Score 3–6-month daily forecasts on rolling origins (series,date,value or ds,y CSV):
      share within ±15% and MAPE of 7-day means, 80% interval coverage of daily actuals.
  presage eval anomaly --nab <dir> [--detector presage|windowedGaussian|published:<name>]
                       [--json out.json]
      Run a streaming anomaly detector over a NAB corpus (data/<category>/*.csv or
      <category>/*.csv, labels/combined_windows.json, config/profiles.json) and print
      NAB scores (standard, reward_low_FP_rate, reward_low_FN_rate) per category.
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
      In-cluster: manage the config's scaler.targets and HPAs annotated
      presage.io/enabled="true", acting only while holding the Lease; leads measured
      from kube-state-metrics; restores floors and releases the Lease on SIGTERM.
  presage simulate --trace <csv> --pod-capacity <load per pod per step | peak/N>
                   [--column requests] [--step 60] [--target-utilization 0.7] [--startup 180s]
                   [--quantile 0.9] [--lag 60s] [--window 15m] [--scale-down-cooldown 10m]
                   [--warmup 7d] [--train-window 14d] [--retrain-every 1d] [--min-replicas 1]
                   [--max-replicas 100] [--model auto] [--calibration on|off] [--noise-exponent 0.5]
                   [--sweep [--sweep-targets 0.5,…] [--sweep-quantiles 0.5,…]]
                   [--json out.json] [--chart out.svg] [--chart-hours 6]
      Replay a load trace through the reactive Kubernetes HPA, the HPA under presage's
      floors (forecasts use only past data) and a perfect-foresight oracle; report
      pod-hours and under-provisioning per policy. --sweep compares at equal pod-hours.
      Floors use quantiles calibrated on past forecast errors (--calibration off: the
      model's own intervals).
  presage forecast <target> [--horizon 30m] [--levels 80,95] [--url http://127.0.0.1:8080]
                   [--token <t>] [--json] [--timeout-ms 10000]
      Ask a running presage API (presage serve) for the target's forecast; print a table
      and a terminal chart (--json: the API's forecast document). Token: --token or
      PRESAGE_API_TOKEN; URL: --url or PRESAGE_API_URL.
  presage capacity --config <file> [--once [--json]] [--target <name>]… [--chart-dir <dir>]
                   [--delivery-interval-ms 30000]
      Capacity planning: per capacity target the runway (first day the p50/p90 forecasts
      reach capacity × headroom), tickets through the configured sinks (opened, updated,
      resolved; delivery retried from a persisted outbox) and the accuracy ledger's scores.
      --once plans now and prints; otherwise runs daily on capacity.schedule until SIGTERM.
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
      case "serve":
        return await runServeCommand(rest);
      case "simulate":
        await runSimulateCommand(rest);
        return 0;
      case "train":
        return await runTrainCommand(rest);
      case "worker":
        return await runWorkerCommand(rest);
      case "capacity":
        return await runCapacityCommand(rest);
      case "forecast":
        return await runForecastCommand(rest);
      case "eval": {
        const [what, ...args] = rest;
        if (what === "forecast") {
          await runEvalForecastCommand(args);
          return 0;
        }
        if (what === "capacity") {
          await runEvalCapacityCommand(args);
          return 0;
        }
        if (what === "anomaly") {
          await runEvalAnomalyCommand(args);
          return 0;
        }
        throw new CliError(
          `unknown eval target "${what ?? ""}"; expected: eval forecast, eval capacity, eval anomaly`,
        );
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
