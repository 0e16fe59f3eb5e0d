/**
 * `npm run bench:scaler`: the replay simulator's acceptance measurement. Replays the NASA HTTP
 * per-minute trace (July–August 1995, ../shared/data/traces) with pod capacity = peak / 14 per minute
 * and a 180 s start-up through the reactive Kubernetes HPA, the HPA under presage's floors and the
 * perfect-foresight oracle, sweeping the HPA target and presage's quantile, and compares presage with
 * the reactive HPA at equal pod-hours (within 2%). Prints the tables and the runtime, writes
 * bench-results/scaler-bench.json and .svg.
 *
 * Also replays a ceiling (`--skip-ceiling` to leave it out): floors sized on the trace's own future
 * rate, a centred 31-minute mean (see `ClairvoyantRateForecaster`) — how much better forecasts could
 * give at each budget, with the per-minute noise still unknown.
 *
 * Flags: --model auto  --out file.json  --svg file.svg  --skip-uncalibrated  --skip-ceiling
 */
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { cpus } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  formatSimulationReport,
  loadTrace,
  type SimulationRun,
  runSimulation,
  simulationChartSvg,
  simulationJson,
} from "../src/cli/simulate-command.js";
import { interpolatedShortfallAt } from "../src/scaler/simulation/pod-hours-match.js";
import { simulateScaling } from "../src/scaler/simulation/simulate-scaling.js";
import { ClairvoyantRateForecaster } from "./clairvoyant-rate-forecaster.js";
import { findRepoRoot } from "./repo-root.js";

const TRACE = "traces/nasa_http_1995_requests_per_minute.csv";
const PEAK_DIVISOR = 14;
const STARTUP_SECONDS = 180;
/** presage's under-provisioned pod-minutes must be at least this much below the HPA's (goal 0.8). */
const REQUIRED_REDUCTION = 0.5;
/** The ceiling's centred mean spans 2·15 + 1 = 31 minutes. */
const CEILING_HALF_WINDOW_STEPS = 15;

const repoRoot = findRepoRoot(dirname(fileURLToPath(import.meta.url)));
const { values: flags } = parseArgs({
  options: {
    model: { type: "string", default: "auto" },
    out: { type: "string", default: join(repoRoot, "bench-results", "scaler-bench.json") },
    svg: { type: "string" },
    "skip-uncalibrated": { type: "boolean", default: false },
    "skip-ceiling": { type: "boolean", default: false },
  },
});
const sharedData = process.env.PRESAGE_SHARED_DATA ?? resolve(repoRoot, "../shared/data");
const tracePath = join(sharedData, TRACE);
if (!existsSync(tracePath)) {
  process.stderr.write(
    `bench:scaler: trace not found at ${tracePath} (../shared absent? set PRESAGE_SHARED_DATA)\n`,
  );
  process.exit(2);
}

const trace = await loadTrace(tracePath, "requests", 60);
const simulate = (calibration: boolean): SimulationRun =>
  runSimulation(trace, {
    podCapacity: { peakDivisor: PEAK_DIVISOR },
    modelName: flags.model,
    simulation: { startupSeconds: STARTUP_SECONDS, sweep: {}, ...(calibration ? {} : { calibration: null }) },
  });
const run = simulate(true);
const { result } = run;
const acceptance = acceptanceOf(result);
// The same replay with floors sized on the model's own intervals: what the calibration adds.
const uncalibrated = flags["skip-uncalibrated"] ? undefined : simulate(false);
const uncalibratedAcceptance = uncalibrated === undefined ? undefined : acceptanceOf(uncalibrated.result);
const ceilingAcceptance = flags["skip-ceiling"]
  ? undefined
  : acceptanceOf(
      simulateScaling(trace, {
        startupSeconds: STARTUP_SECONDS,
        sweep: {},
        podCapacity: run.podCapacity,
        createForecaster: () => new ClairvoyantRateForecaster(trace, CEILING_HALF_WINDOW_STEPS),
      }),
    );

process.stdout.write(
  `NASA HTTP 1995, per minute: pod capacity = peak / ${PEAK_DIVISOR}, start-up ${STARTUP_SECONDS} s\n`,
);
process.stdout.write(`${formatSimulationReport(run)}\n\n`);
process.stdout.write(
  `acceptance: presage's under-provisioned pod-minutes at equal pod-hours are ${pct(acceptance.minReduction)}–${pct(acceptance.maxReduction)} ` +
    `below the reactive HPA's (median ${pct(acceptance.medianReduction)}; at target ${result.options.targetUtilization}: ` +
    `${acceptance.reductionAtDefaultTarget === null ? "no match" : pct(acceptance.reductionAtDefaultTarget)}); ` +
    `${acceptance.settingsMeetingRequirement} of ${acceptance.matchedSettings} matched settings meet ≥ ${pct(REQUIRED_REDUCTION)} ` +
    `(${acceptance.reactiveSettings - acceptance.matchedSettings} reactive settings had no presage setting within 2%)\n`,
);
const reductionRow = (label: string, of: ReturnType<typeof acceptanceOf>): string =>
  `| ${label} | ${of.reductions.map((entry) => (entry.matched ? pct(entry.reduction) : `(${pct(entry.reduction)})`)).join(" | ")} |`;
process.stdout.write(
  `\nreduction of under-provisioned pod-minutes at equal pod-hours, by reactive HPA target (in brackets: no presage setting within 2%)\n` +
    `| floors sized on | ${acceptance.reductions.map((entry) => entry.reactiveTarget).join(" | ")} |\n` +
    `|---|${acceptance.reductions.map(() => "---").join("|")}|\n` +
    `${reductionRow("calibrated quantiles", acceptance)}\n` +
    `| calibrated, interpolated on the frontier | ${acceptance.interpolatedReductions.map((entry) => (entry.reduction === null ? "—" : pct(entry.reduction))).join(" | ")} |\n` +
    (uncalibratedAcceptance === undefined
      ? ""
      : `${reductionRow("model intervals", uncalibratedAcceptance)}\n`) +
    (ceilingAcceptance === undefined
      ? ""
      : `${reductionRow("ceiling: the future 31-min mean rate, calibrated", ceilingAcceptance)}\n`),
);

const report = {
  createdAt: new Date().toISOString(),
  machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version },
  trace: {
    path: TRACE,
    steps: trace.values.length,
    stepSeconds: trace.stepSeconds,
    podCapacity: run.podCapacity,
  },
  settings: {
    ...result.options,
    createForecaster: flags.model,
    floorPolicy: result.options.floorPolicy,
  },
  evaluation: result.evaluation,
  runtime: run.runtime,
  forecast: result.forecast,
  acceptance,
  uncalibrated: uncalibratedAcceptance ?? null,
  ceiling: ceilingAcceptance ?? null,
  matches: (result.matches ?? []).map((match) => ({
    reactive: {
      targetUtilization: match.reactive.targetUtilization,
      podHours: match.reactive.podHours,
      underProvisionedPodMinutes: match.reactive.underProvisionedPodMinutes,
    },
    presage:
      match.presage === undefined
        ? null
        : {
            targetUtilization: match.presage.targetUtilization,
            quantile: match.presage.quantile,
            podHours: match.presage.podHours,
            underProvisionedPodMinutes: match.presage.underProvisionedPodMinutes,
          },
    podHoursDifference: match.podHoursDifference,
    matched: match.matched,
    underProvisionedRatio: match.underProvisionedRatio,
  })),
  floorReasons: result.floorReasons,
  ...simulationJson(result),
};
await mkdir(dirname(flags.out), { recursive: true });
await writeFile(flags.out, `${JSON.stringify(report, null, 2)}\n`);
const svgPath = flags.svg ?? flags.out.replace(/\.json$/, "") + ".svg";
await writeFile(svgPath, simulationChartSvg(run));
process.stderr.write(`wrote ${flags.out} and ${svgPath}\n`);

function acceptanceOf(result: SimulationRun["result"]) {
  const matched = (result.matches ?? []).filter((match) => match.matched);
  const reductions = matched.map((match) => 1 - match.underProvisionedRatio);
  const atDefault = matched.find(
    (match) => match.reactive.targetUtilization === result.options.targetUtilization,
  );
  return {
    requiredReduction: REQUIRED_REDUCTION,
    goalReduction: 0.8,
    matchedSettings: matched.length,
    reactiveSettings: result.matches?.length ?? 0,
    minReduction: Math.min(...reductions),
    maxReduction: Math.max(...reductions),
    medianReduction: median(reductions),
    reductionAtDefaultTarget: atDefault === undefined ? null : 1 - atDefault.underProvisionedRatio,
    settingsMeetingRequirement: reductions.filter((reduction) => reduction >= REQUIRED_REDUCTION).length,
    reductions: (result.matches ?? []).map((match) => ({
      reactiveTarget: match.reactive.targetUtilization,
      matched: match.matched,
      reduction: 1 - match.underProvisionedRatio,
    })),
    /** The same comparison read off presage's efficient frontier at exactly each reactive budget. */
    interpolatedReductions: (result.matches ?? []).map((match) => {
      const presage = result.policies.filter((policy) => policy.name === "presage");
      const shortfall = interpolatedShortfallAt(presage, match.reactive.podHours);
      return {
        reactiveTarget: match.reactive.targetUtilization,
        reduction: shortfall === undefined ? null : 1 - shortfall / match.reactive.underProvisionedPodMinutes,
      };
    }),
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? Number.NaN)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

function pct(value: number): string {
  return Number.isFinite(value) ? `${(value * 100).toFixed(1)}%` : "—";
}
