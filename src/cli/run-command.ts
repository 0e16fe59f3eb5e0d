import type { Forecast } from "../../models/forecast.js";
import { createForecaster } from "../../training/model-catalog.js";
import { FittedAuto } from "../../training/selection/auto-forecaster.js";
import { syntheticWorkload } from "../sources/synthetic-workload.js";
import { CliError } from "./cli-error.js";
import { parseCliArgs } from "./parse-cli-args.js";
import { runScaleCommand } from "./scale-command.js";
import { parseServeArgs, serveEmbedded } from "./serve-command.js";
import { renderForecastChart } from "./terminal-chart.js";
import { formatTable } from "./text-table.js";

/**
 * The main job on embedded defaults: no Prometheus, no cluster. Forecasts the seeded synthetic
 * workload (15-minute steps, four weeks, daily and weekly cycles) one day ahead with automatic model
 * selection and prints the forecast with 80% and 95% intervals as a table and a chart; then serves
 * the API and dashboard on the embedded service until SIGINT/SIGTERM (`presage serve`), or, with
 * `--no-serve`, runs the scaler loop against a simulated cluster for `--scale-ticks` ticks, printing
 * each decision live, and exits.
 */
export async function runRunCommand(argv: readonly string[]): Promise<void> {
  const values = parseCliArgs(argv, {
    "horizon-steps": { type: "string", default: "96" },
    seed: { type: "string", default: "42" },
    "scale-ticks": { type: "string", default: "24" },
    "no-serve": { type: "boolean", default: false },
    port: { type: "string" },
    host: { type: "string" },
    targets: { type: "string" },
    "tick-ms": { type: "string" },
    "rate-limit": { type: "string" },
  });
  // Checked before the demo so a bad flag fails at once, not after it.
  const serve = values["no-serve"]
    ? undefined
    : parseServeArgs([
        "--seed",
        values.seed,
        ...flag("--port", values.port),
        ...flag("--host", values.host),
        ...flag("--targets", values.targets),
        ...flag("--tick-ms", values["tick-ms"]),
        ...flag("--rate-limit", values["rate-limit"]),
      ]);
  const horizonSteps = Number(values["horizon-steps"]);
  const seed = Number(values.seed);
  if (!Number.isInteger(horizonSteps) || horizonSteps < 1 || horizonSteps > 2016) {
    throw new CliError(`--horizon-steps (${values["horizon-steps"]}) must be an integer from 1 to 2016`);
  }
  if (!Number.isInteger(seed)) throw new CliError(`--seed (${values.seed}) must be an integer`);

  const series = syntheticWorkload({ seed });
  const { stepSeconds } = series;
  const startMs = series.startMs ?? 0;
  const out = process.stdout;
  out.write(
    `presage: embedded defaults — synthetic workload (seed ${seed}), ${series.values.length} samples every ${
      stepSeconds / 60
    } min from ${new Date(startMs).toISOString()}\n`,
  );
  const forecaster = createForecaster("auto", { period: 86_400 / stepSeconds, horizonSteps, stepSeconds });
  const startedMs = performance.now();
  const fitted = forecaster.fit(series);
  const forecast = fitted.predict(horizonSteps, { levels: [80, 95] });
  const elapsedMs = performance.now() - startedMs;
  out.write(`model: ${forecast.model} (fitted and backtested in ${elapsedMs.toFixed(0)} ms)\n`);
  if (fitted instanceof FittedAuto) {
    out.write(
      `${formatTable(
        ["candidate", "backtest MASE", "chosen"],
        fitted.scores.map((score) => [score.name, score.mase, score.chosen ? "yes" : ""]),
      )}\n`,
    );
  }
  for (const note of forecast.notes) out.write(`note: ${note}\n`);
  const originMs = startMs + series.values.length * stepSeconds * 1000;
  out.write(`\n${forecastTable(forecast, originMs, stepSeconds)}\n\n`);
  out.write(
    `${renderForecastChart(series.values.slice(-2 * horizonSteps), forecast, { color: out.isTTY })}\n`,
  );
  const scaleTicks = Number(values["scale-ticks"]);
  if (!Number.isInteger(scaleTicks) || scaleTicks < 0) {
    throw new CliError(`--scale-ticks (${values["scale-ticks"]}) must be an integer ≥ 0`);
  }
  if (serve !== undefined) {
    out.write(
      "\nNow serving the API and dashboard on embedded defaults until Ctrl-C (--no-serve: stop after the demo):\n",
    );
    await serveEmbedded(serve);
    return;
  }
  if (scaleTicks > 0) {
    out.write("\nThe scaler loop on a simulated cluster (presage scale: 1 tick = 5 simulated minutes):\n");
    await runScaleCommand(["--ticks", String(scaleTicks), "--tick-ms", "250", "--seed", String(seed)]);
  }
}

function flag(name: string, value: string | undefined): string[] {
  return value === undefined ? [] : [name, value];
}

/** One row per hour (or per step when steps are longer): time, point forecast, 80% and 95% bounds. */
function forecastTable(forecast: Forecast, originMs: number, stepSeconds: number): string {
  const every = Math.max(1, Math.round(3600 / stepSeconds));
  const i80 = forecast.intervals.find((interval) => interval.level === 80);
  const i95 = forecast.intervals.find((interval) => interval.level === 95);
  const rows: (string | number)[][] = [];
  for (let h = 0; h < forecast.mean.length; h += every) {
    const at = new Date(originMs + h * stepSeconds * 1000).toISOString().slice(0, 16).replace("T", " ");
    rows.push([
      at,
      forecast.mean[h] ?? Number.NaN,
      i80?.lower[h] ?? Number.NaN,
      i80?.upper[h] ?? Number.NaN,
      i95?.lower[h] ?? Number.NaN,
      i95?.upper[h] ?? Number.NaN,
    ]);
  }
  return formatTable(["time (UTC)", "forecast rps", "80% low", "80% high", "95% low", "95% high"], rows);
}
