import { InProcessTrainRunner, type InProcessJobOutcome } from "../../jobs/in-process-train-runner.js";
import { createTrainProcessor } from "../../jobs/train-processor.js";
import { alignToStep } from "../../jobs/train-queue.js";
import { codeVersion } from "../code-version.js";
import { CONFIG_ENV, loadConfigFile } from "../config/presage-config.js";
import { openModelRegistry } from "../training-runtime/open-model-registry.js";
import { createConfiguredTrainer } from "../training-runtime/train-target-job.js";
import { CliError } from "./cli-error.js";
import { parseCliArgs } from "./parse-cli-args.js";
import { ProgressBar } from "./progress-bar.js";
import { formatTable } from "./text-table.js";

/**
 * `presage train --config <file> [--target <name>]…`: trains the selected targets (all by default) now,
 * in this process, on the window ending at the current time aligned to each target's step — with the
 * same processor, retries and idempotency as the workers, and the configured registry (Redis or
 * files). Shows a progress bar on stderr and prints one row per target. Returns the exit code: 1 when
 * any target failed, 2 for a bad config or arguments.
 */
export async function runTrainCommand(argv: readonly string[]): Promise<number> {
  const { configPath, targets: selected } = parseTrainArgs(argv);
  const config = await loadConfigFile(configPath);
  const unknown = selected.filter((name) => !config.targets.some((target) => target.name === name));
  if (unknown.length > 0) {
    throw new CliError(
      `--target ${unknown.join(", ")}: not in ${configPath} (targets: ${config.targets.map((target) => target.name).join(", ")})`,
    );
  }
  const targets =
    selected.length === 0
      ? config.targets
      : config.targets.filter((target) => selected.includes(target.name));

  const registry = openModelRegistry(config);
  const bar = new ProgressBar("training");
  const percentDone = new Map<string, number>();
  const draw = (label: string): void => {
    const done = [...percentDone.values()].reduce((sum, percent) => sum + percent, 0);
    bar.update(done, targets.length * 100, label);
  };
  const failureLines: string[] = [];
  const runner = new InProcessTrainRunner({
    targets,
    processor: createTrainProcessor({
      targets,
      registry,
      train: createConfiguredTrainer({ config, registry, codeVersion: codeVersion() }),
    }),
    // One at a time: fitting is CPU-bound on this one thread, and the bar reads best target by target.
    concurrency: 1,
    attempts: config.training.attempts,
    backoffMs: config.training.backoffMs,
    onEvent: (event) => {
      if (event.kind === "progress") {
        percentDone.set(event.target, event.percent);
        draw(event.target);
      } else if (event.kind === "completed" || event.kind === "failed") {
        percentDone.set(event.target, 100);
        draw(event.target);
      } else if (event.kind === "retrying") {
        failureLines.push(
          `${event.target}: attempt ${event.attempt} failed (${event.failure.message}); retrying in ${event.delayMs} ms`,
        );
      }
    },
  });

  let outcomes: InProcessJobOutcome[];
  try {
    const nowMs = Date.now();
    outcomes = await Promise.all(
      targets.map((target) => runner.enqueue(target.name, alignToStep(nowMs, target.stepSeconds), nowMs)),
    );
  } finally {
    bar.finish();
    await runner.stop(0);
    await registry.close();
  }

  for (const line of failureLines) process.stderr.write(`presage train: ${line}\n`);
  const rows = targets.map((target, index) => resultRow(target.name, outcomes[index]));
  process.stdout.write(
    `${formatTable(["target", "version", "promoted", "MASE", "cov80", "cov95", "reason"], rows)}\n`,
  );
  return outcomes.every((outcome) => outcome.status === "completed") ? 0 : 1;
}

function resultRow(target: string, outcome: InProcessJobOutcome | undefined): (string | number)[] {
  if (outcome?.status === "completed") {
    const { result } = outcome;
    const promoted = result.outcome === "already-trained" ? "—" : result.promoted ? "yes" : "no";
    return [
      target,
      `v${result.version}`,
      promoted,
      result.backtestMase,
      percent(result.coverage80),
      percent(result.coverage95),
      result.reason,
    ];
  }
  const reason =
    outcome?.status === "failed"
      ? `FAILED [${outcome.failure.code}] ${outcome.failure.message}`
      : `FAILED (${outcome?.status ?? "not run"})`;
  return [target, "—", "—", Number.NaN, "—", "—", reason];
}

function percent(fraction: number): string {
  return Number.isFinite(fraction) ? `${(fraction * 100).toFixed(0)}%` : "—";
}

function parseTrainArgs(argv: readonly string[]): { configPath: string; targets: string[] } {
  const values = parseCliArgs(argv, {
    config: { type: "string" },
    target: { type: "string", multiple: true },
  });
  const configPath = values.config ?? process.env[CONFIG_ENV];
  if (configPath === undefined || configPath === "") {
    throw new CliError(`train needs --config <file> (or ${CONFIG_ENV})`);
  }
  return {
    configPath,
    targets: (values.target ?? []).flatMap((name) => name.split(",")).filter((name) => name !== ""),
  };
}
