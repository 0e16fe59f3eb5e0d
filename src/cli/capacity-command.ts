import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CapacityInProcessRunner } from "../../jobs/capacity-in-process-runner.js";
import { createCapacityProcessor } from "../../jobs/capacity-processor.js";
import { createCapacityQueue, syncCapacitySchedule } from "../../jobs/capacity-queue.js";
import { CapacityWorker } from "../../jobs/capacity-worker.js";
import type { LedgerSummary } from "../capacity/accuracy-ledger.js";
import {
  readCapacityStatus,
  type CapacityRunReport,
  type CapacityStatus,
  type CapacityTargetReport,
} from "../capacity/capacity-planner.js";
import { openCapacityPlanner, type OpenedCapacityPlanner } from "../capacity/open-capacity-planner.js";
import { CONFIG_ENV, loadConfigFile, type ResolvedConfig } from "../config/presage-config.js";
import { CliError } from "./cli-error.js";
import { parseCliArgs } from "./parse-cli-args.js";
import { formatTable } from "./text-table.js";

interface CapacityCommandOptions {
  readonly configPath: string;
  readonly once: boolean;
  readonly json: boolean;
  readonly targets: readonly string[];
  readonly chartDir: string | undefined;
  readonly deliveryIntervalMs: number;
}

/**
 * `presage capacity --config <file> [--once] [--json] [--target <name>]… [--chart-dir <dir>]`.
 *
 * With `--once`: plans every capacity target now, decides and delivers tickets, and prints per target
 * the runway (p50/p90 dates and days left), the ticket state and the accuracy ledger's scores (or JSON
 * with `--json`). Exit code 1 when a target could not be planned.
 *
 * Without it: runs until SIGTERM/SIGINT — a BullMQ worker on `presage-capacity` with the daily job
 * scheduler in cluster mode (`redis.url`), the in-process cron runner otherwise — and delivers the
 * outbox every `--delivery-interval-ms` (30 s) so failed deliveries are retried between runs.
 */
export async function runCapacityCommand(argv: readonly string[]): Promise<number> {
  const options = parseCapacityArgs(argv);
  const config = await loadConfigFile(options.configPath);
  if (config.capacity === undefined) {
    throw new CliError(`${options.configPath} has no capacity section (see examples/presage.yaml)`);
  }
  const unknown = options.targets.filter(
    (name) => !config.capacity?.targets.some((target) => target.name === name),
  );
  if (unknown.length > 0) {
    throw new CliError(
      `--target ${unknown.join(", ")}: not a capacity target of ${options.configPath} (${config.capacity.targets.map((target) => target.name).join(", ")})`,
    );
  }
  const log = (message: string): void => {
    process.stderr.write(`presage capacity: ${message}\n`);
  };
  const opened = openCapacityPlanner(config, {
    onDelivery: (event) => {
      if (event.kind === "failed") {
        log(
          `delivery failed sink=${event.message.sink} ticket=${event.message.fingerprint} event=${event.message.event} retry_in_ms=${Math.round(event.retryInMs)} error=${JSON.stringify(event.error)}`,
        );
      }
    },
  });
  try {
    return options.once ? await runOnce(opened, options) : await runService(config, opened, options, log);
  } finally {
    await opened.store.close();
  }
}

async function runOnce(opened: OpenedCapacityPlanner, options: CapacityCommandOptions): Promise<number> {
  const report = await opened.planner.runOnce(
    options.targets.length === 0 ? {} : { targets: options.targets },
  );
  const status = await readCapacityStatus(opened.store);
  if (options.chartDir !== undefined) await writeCharts(report, options.chartDir);
  process.stdout.write(
    options.json ? `${JSON.stringify(reportJson(report, status), null, 2)}\n` : formatReport(report, status),
  );
  return report.targets.every((target) => target.plan.status === "planned") ? 0 : 1;
}

async function runService(
  config: ResolvedConfig,
  opened: OpenedCapacityPlanner,
  options: CapacityCommandOptions,
  log: (message: string) => void,
): Promise<number> {
  const processor = createCapacityProcessor({
    planner: opened.planner,
    onReport: (report) => {
      process.stdout.write(formatTargets(report.targets));
      process.stdout.write("\n");
    },
  });
  const attempts = config.training.attempts;
  const backoffMs = Math.max(config.training.backoffMs, 60_000);
  const schedule = opened.capacity.schedule;
  let stop: () => Promise<void>;
  if (config.redis === undefined) {
    const runner = new CapacityInProcessRunner({
      schedule,
      processor,
      deliver: (signal) => opened.outbox.deliverDue(signal),
      deliveryIntervalMs: options.deliveryIntervalMs,
      attempts,
      backoffMs,
      onRun: ({ error, attempt }) => {
        if (error !== undefined) log(`run attempt ${attempt} failed: ${describeError(error)}`);
      },
      onDeliveryError: (error) => {
        log(`delivery round failed: ${describeError(error)}`);
      },
    });
    runner.start();
    log(`ready mode=embedded schedule=${JSON.stringify(schedule)} state=${opened.store.location}`);
    stop = () => runner.stop();
  } else {
    const connection = { url: config.redis.url };
    const queue = createCapacityQueue(connection, { attempts, backoffMs });
    const worker = new CapacityWorker({
      connection,
      processor,
      onError: (error) => {
        log(`worker error: ${error.message}`);
      },
    });
    try {
      await syncCapacitySchedule(queue, schedule, { attempts, backoffMs });
      await worker.start();
    } catch (error) {
      await Promise.allSettled([queue.close(), worker.close(0)]);
      throw error;
    }
    const deliveries = setInterval(() => {
      opened.outbox.deliverDue().catch((error: unknown) => {
        log(`delivery round failed: ${describeError(error)}`);
      });
    }, options.deliveryIntervalMs);
    log(`ready mode=cluster schedule=${JSON.stringify(schedule)} state=${opened.store.location}`);
    stop = async () => {
      clearInterval(deliveries);
      await worker.close(25_000);
      await queue.close();
    };
  }
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  });
  log(`shutting down signal=${signal}`);
  await stop();
  return 0;
}

async function writeCharts(report: CapacityRunReport, directory: string): Promise<void> {
  await mkdir(directory, { recursive: true });
  for (const target of report.targets) {
    if (target.plan.status !== "planned") continue;
    await writeFile(
      join(directory, `${target.target}-${target.resource}.svg`.replace(/[^a-zA-Z0-9._-]/g, "_")),
      target.plan.chartSvg,
    );
  }
}

/** The human-readable report: runway and ticket per target, pending deliveries, ledger scores. */
export function formatReport(report: CapacityRunReport, status: CapacityStatus): string {
  const parts = [formatTargets(report.targets)];
  if (status.outbox.length > 0) {
    parts.push(
      formatTable(
        ["pending delivery", "sink", "event", "attempts", "next attempt", "last error"],
        status.outbox.map((message) => [
          message.fingerprint,
          message.sink,
          message.event,
          String(message.attempts),
          new Date(message.nextAttemptAtMs).toISOString().slice(0, 19),
          message.lastError ?? "",
        ]),
      ),
    );
  }
  parts.push(formatLedger(status.ledger));
  return `${parts.join("\n\n")}\n`;
}

function formatTargets(targets: readonly CapacityTargetReport[]): string {
  return formatTable(
    ["target", "resource", "limit", "p50 crossing", "p90 crossing", "backtest MAPE", "ticket", "this run"],
    targets.map((target) => {
      const ticket =
        target.ticket === undefined
          ? "none"
          : `${target.ticket.status} #${target.ticket.generation} (p90 ${target.ticket.reported.p90Date ?? "—"})`;
      if (target.plan.status === "unplanned") {
        return [
          target.target,
          target.resource,
          "—",
          "—",
          "—",
          "—",
          ticket,
          `not planned [${target.plan.code}] ${target.plan.reason}`,
        ];
      }
      const { runway, backtest } = target.plan;
      const crossing = (days: number | undefined, date: string | undefined): string =>
        date === undefined ? `> ${runway.horizonDays} d` : `${date} (${days ?? 0} d)`;
      return [
        target.target,
        target.resource,
        `${round(runway.limit)} of ${round(runway.capacity)}`,
        crossing(runway.p50.days, runway.p50.date),
        crossing(runway.p90.days, runway.p90.date),
        Number.isFinite(backtest.mape)
          ? `${(backtest.mape * 100).toFixed(1)}% @${backtest.horizonDays} d`
          : "—",
        ticket,
        `${target.decision.action}: ${target.decision.reason}`,
      ];
    }),
  );
}

function formatLedger(ledger: readonly LedgerSummary[]): string {
  const rows = ledger.flatMap((summary) =>
    summary.horizons.map((horizon) => [
      summary.fingerprint,
      `${horizon.horizonDays} d`,
      String(horizon.scored),
      String(horizon.pending),
      horizon.mape === null ? "—" : `${(horizon.mape * 100).toFixed(1)}%`,
      horizon.within15 === null ? "—" : `${(horizon.within15 * 100).toFixed(0)}%`,
      summary.runway.right === null
        ? `— (${summary.runway.scored})`
        : `${(summary.runway.right * 100).toFixed(0)}% of ${summary.runway.scored}`,
      `${summary.tickets.recorded} (${summary.tickets.right === null ? "—" : `${(summary.tickets.right * 100).toFixed(0)}% right`})`,
    ]),
  );
  if (rows.length === 0) return "accuracy ledger: nothing recorded yet";
  return formatTable(
    ["ledger", "horizon", "scored", "pending", "MAPE", "within ±15%", "runway right", "tickets"],
    rows,
  );
}

function reportJson(report: CapacityRunReport, status: CapacityStatus): unknown {
  return {
    atMs: report.atMs,
    targets: report.targets.map((target) => ({
      target: target.target,
      resource: target.resource,
      fingerprint: target.fingerprint,
      decision: target.decision,
      ticket: target.ticket ?? null,
      plan:
        target.plan.status === "planned"
          ? {
              status: "planned",
              lastObservedDay: new Date(target.plan.lastObservedDayMs).toISOString().slice(0, 10),
              capacity: target.plan.capacity,
              capacitySource: target.plan.capacitySource,
              runway: target.plan.runway,
              model: target.plan.forecast.model,
              backtest: {
                horizonDays: target.plan.backtest.horizonDays,
                mape: nullable(target.plan.backtest.mape),
                origins: target.plan.backtest.folds.length,
              },
              predictions: target.plan.predictions,
            }
          : target.plan,
    })),
    delivery: report.delivery,
    outbox: status.outbox,
    ledger: status.ledger,
  };
}

function nullable(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

function round(value: number): string {
  return String(Number(value.toPrecision(4)));
}

function parseCapacityArgs(argv: readonly string[]): CapacityCommandOptions {
  const values = parseCliArgs(argv, {
    config: { type: "string" },
    once: { type: "boolean" },
    json: { type: "boolean" },
    target: { type: "string", multiple: true },
    "chart-dir": { type: "string" },
    "delivery-interval-ms": { type: "string" },
  });
  const configPath = values.config ?? process.env[CONFIG_ENV];
  if (configPath === undefined || configPath === "") {
    throw new CliError(`capacity needs --config <file> (or ${CONFIG_ENV})`);
  }
  const interval = Number(values["delivery-interval-ms"] ?? "30000");
  if (!Number.isInteger(interval) || interval < 100) {
    throw new CliError(
      `--delivery-interval-ms (${values["delivery-interval-ms"] ?? ""}) must be an integer ≥ 100`,
    );
  }
  if (values.json === true && values.once !== true) throw new CliError("--json needs --once");
  return {
    configPath,
    once: values.once === true,
    json: values.json === true,
    targets: (values.target ?? []).flatMap((name) => name.split(",")).filter((name) => name !== ""),
    chartDir: values["chart-dir"],
    deliveryIntervalMs: interval,
  };
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : JSON.stringify(error);
}
