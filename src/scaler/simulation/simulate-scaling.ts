import type { Forecaster } from "../../../models/forecaster.js";
import { createForecaster, type ModelContext } from "../../../training/model-catalog.js";
import type { FloorPolicy, FloorReason } from "../floor-decision.js";
import { SCALER_TARGET_DEFAULTS } from "../scaler-target.js";
import type { FloorCalibrationOptions } from "../floor-calibration.js";
import { floorSchedule } from "./floor-schedule.js";
import { forecastRequirements, type ForecastRequirements } from "./forecast-requirements.js";
import { KUBERNETES_DEFAULT_HPA_TOLERANCE } from "./horizontal-pod-autoscaler.js";
import type { LoadTrace } from "./load-trace.js";
import {
  matchAtEqualPodHours,
  PolicyName,
  type PodHoursMatch,
  type PolicyResult,
} from "./pod-hours-match.js";
import { replayHpa, type HpaReplayOptions } from "./replay-hpa.js";
import { replayOracle } from "./replay-oracle.js";
import { SimulationError, SimulationErrorCode } from "./simulation-error.js";

const DAY_SECONDS = 86_400;

/** Settings a `--sweep` varies. */
export interface SweepOptions {
  /** HPA targets of the reactive policy. @defaultValue 0.5, 0.55, …, 0.9 */
  readonly targetUtilizations?: readonly number[];
  /** HPA targets under presage's floors. @defaultValue 0.5, 0.55, …, 1 */
  readonly presageTargetUtilizations?: readonly number[];
  /** presage's forecast quantiles. @defaultValue 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 0.975, 0.99 */
  readonly quantiles?: readonly number[];
  /** Relative pod-hours within which two settings count as equally costly. @defaultValue 0.02 */
  readonly matchTolerance?: number;
}

/** What to replay and how; all but `podCapacity` default. */
export interface SimulationOptions {
  /** Load one pod serves per trace step at 100% (e.g. requests per minute per pod). */
  readonly podCapacity: number;
  /** HPA target as a share of `podCapacity`. @defaultValue 0.7 */
  readonly targetUtilization?: number;
  /** presage's forecast quantile, 0.5 ≤ q < 1. @defaultValue 0.9 */
  readonly quantile?: number;
  /** Pod creation → Ready. @defaultValue 180 */
  readonly startupSeconds?: number;
  /**
   * Age of the load the HPA acts on: metrics-server/Prometheus scrape interval + rate window +
   * adapter cache, typically 30–90 s. A multiple of the sync period. @defaultValue 60
   */
  readonly metricLagSeconds?: number;
  /** HPA controller sync period; divides the trace step. @defaultValue 15 */
  readonly syncPeriodSeconds?: number;
  /** @defaultValue 0.1 */
  readonly tolerance?: number;
  /** The HPA's declared minReplicas (presage's baseline). @defaultValue 1 */
  readonly minReplicas?: number;
  /** @defaultValue 100 */
  readonly maxReplicas?: number;
  /** How far ahead floors are sized. @defaultValue `startupSeconds` */
  readonly leadSeconds?: number;
  /** Forecast window after the lead. @defaultValue 900 (the scaler's default) */
  readonly windowSeconds?: number;
  /** @defaultValue 10 (the scaler's default) */
  readonly maxStepUp?: number;
  /** @defaultValue 1 (the scaler's default) */
  readonly maxStepDown?: number;
  /** @defaultValue 600 (the scaler's default) */
  readonly scaleDownCooldownSeconds?: number;
  /** @defaultValue three trace steps, at least 300 (the scaler's default) */
  readonly maxForecastAgeSeconds?: number;
  /** History before the first fit; metrics count from the first forecast on. @defaultValue 7 days */
  readonly warmupSeconds?: number;
  /** @defaultValue 14 days */
  readonly trainWindowSeconds?: number;
  /** @defaultValue 1 day */
  readonly retrainEverySeconds?: number;
  /** @defaultValue 1 hour */
  readonly maxGapSeconds?: number;
  /** @defaultValue 2 hours */
  readonly resumeAfterGapSeconds?: number;
  /** @defaultValue `createForecaster("auto", context)` */
  readonly createForecaster?: (context: ModelContext) => Forecaster;
  /**
   * Floors sized on quantiles calibrated online from past forecast errors, as the scaler loop does;
   * `null`: on the model's own intervals. @defaultValue the loop's calibration defaults
   */
  readonly calibration?: FloorCalibrationOptions | null;
  /** Compare many settings at equal pod-hours; absent: one setting per policy. */
  readonly sweep?: SweepOptions;
  /** Hours of the chart window, centred on the evaluated peak load. @defaultValue 6 */
  readonly chartHours?: number;
}

/** {@link SimulationOptions} checked, with every default applied. */
export interface ResolvedSimulationOptions {
  readonly podCapacity: number;
  readonly targetUtilization: number;
  readonly quantile: number;
  readonly startupSeconds: number;
  readonly metricLagSeconds: number;
  readonly syncPeriodSeconds: number;
  readonly tolerance: number;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly leadSeconds: number;
  readonly windowSeconds: number;
  readonly floorPolicy: FloorPolicy;
  readonly warmupSeconds: number;
  readonly trainWindowSeconds: number;
  readonly retrainEverySeconds: number;
  readonly maxGapSeconds: number;
  readonly resumeAfterGapSeconds: number;
  readonly createForecaster: (context: ModelContext) => Forecaster;
  readonly calibration: FloorCalibrationOptions | null;
  readonly sweep:
    | {
        readonly targetUtilizations: readonly number[];
        readonly presageTargetUtilizations: readonly number[];
        readonly quantiles: readonly number[];
        readonly matchTolerance: number;
      }
    | undefined;
  readonly chartHours: number;
}

const range = (from: number, to: number, by: number): number[] =>
  Array.from(
    { length: Math.round((to - from) / by) + 1 },
    (_, i) => Math.round((from + i * by) * 1000) / 1000,
  );

export const DEFAULT_SWEEP = Object.freeze({
  targetUtilizations: range(0.5, 0.9, 0.05),
  presageTargetUtilizations: range(0.5, 1, 0.05),
  quantiles: [0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 0.975, 0.99],
  matchTolerance: 0.02,
});

/**
 * Applies defaults and checks every option against `trace`; all problems are reported at once.
 * @throws SimulationError `invalidOptions` naming each field, its value and the rule.
 */
export function resolveSimulationOptions(
  trace: LoadTrace,
  options: SimulationOptions,
): ResolvedSimulationOptions {
  const step = trace.stepSeconds;
  const startupSeconds = options.startupSeconds ?? 180;
  const sweep = options.sweep;
  const resolved: ResolvedSimulationOptions = {
    podCapacity: options.podCapacity,
    targetUtilization: options.targetUtilization ?? 0.7,
    quantile: options.quantile ?? SCALER_TARGET_DEFAULTS.quantile,
    startupSeconds,
    metricLagSeconds: options.metricLagSeconds ?? 60,
    syncPeriodSeconds: options.syncPeriodSeconds ?? 15,
    tolerance: options.tolerance ?? KUBERNETES_DEFAULT_HPA_TOLERANCE,
    minReplicas: options.minReplicas ?? 1,
    maxReplicas: options.maxReplicas ?? 100,
    leadSeconds: options.leadSeconds ?? startupSeconds,
    windowSeconds: options.windowSeconds ?? SCALER_TARGET_DEFAULTS.windowMs / 1000,
    floorPolicy: {
      baselineMinReplicas: options.minReplicas ?? 1,
      maxReplicas: options.maxReplicas ?? 100,
      maxStepUp: options.maxStepUp ?? SCALER_TARGET_DEFAULTS.maxStepUp,
      maxStepDown: options.maxStepDown ?? SCALER_TARGET_DEFAULTS.maxStepDown,
      scaleDownCooldownMs:
        (options.scaleDownCooldownSeconds ?? SCALER_TARGET_DEFAULTS.scaleDownCooldownMs / 1000) * 1000,
      maxForecastAgeMs: (options.maxForecastAgeSeconds ?? Math.max(3 * step, 300)) * 1000,
    },
    warmupSeconds: options.warmupSeconds ?? 7 * DAY_SECONDS,
    trainWindowSeconds: options.trainWindowSeconds ?? 14 * DAY_SECONDS,
    retrainEverySeconds: options.retrainEverySeconds ?? DAY_SECONDS,
    maxGapSeconds: options.maxGapSeconds ?? 3600,
    resumeAfterGapSeconds: options.resumeAfterGapSeconds ?? 7200,
    createForecaster: options.createForecaster ?? ((context) => createForecaster("auto", context)),
    calibration: options.calibration === undefined ? {} : options.calibration,
    sweep:
      sweep === undefined
        ? undefined
        : {
            targetUtilizations: sweep.targetUtilizations ?? DEFAULT_SWEEP.targetUtilizations,
            presageTargetUtilizations:
              sweep.presageTargetUtilizations ?? DEFAULT_SWEEP.presageTargetUtilizations,
            quantiles: sweep.quantiles ?? DEFAULT_SWEEP.quantiles,
            matchTolerance: sweep.matchTolerance ?? DEFAULT_SWEEP.matchTolerance,
          },
    chartHours: options.chartHours ?? 6,
  };
  const problems: string[] = [];
  const check = (ok: boolean, field: string, value: unknown, rule: string): void => {
    if (!ok)
      problems.push(`\`${field}\` (${typeof value === "number" ? value : JSON.stringify(value)}) ${rule}`);
  };
  const isUtilization = (u: number): boolean => u > 0 && u <= 1;
  const isQuantile = (q: number): boolean => q >= 0.5 && q < 1;
  const isCount = (n: number): boolean => Number.isSafeInteger(n) && n >= 1;
  check(Number.isFinite(step) && step > 0, "stepSeconds", step, "must be a number > 0");
  check(
    resolved.podCapacity > 0 && Number.isFinite(resolved.podCapacity),
    "podCapacity",
    resolved.podCapacity,
    "must be a number > 0",
  );
  check(
    isUtilization(resolved.targetUtilization),
    "targetUtilization",
    resolved.targetUtilization,
    "must be > 0 and ≤ 1",
  );
  check(isQuantile(resolved.quantile), "quantile", resolved.quantile, "must be ≥ 0.5 and < 1");
  check(
    resolved.startupSeconds >= 0 && Number.isFinite(resolved.startupSeconds),
    "startupSeconds",
    resolved.startupSeconds,
    "must be ≥ 0",
  );
  check(
    resolved.syncPeriodSeconds > 0 && Number.isInteger(step / resolved.syncPeriodSeconds),
    "syncPeriodSeconds",
    resolved.syncPeriodSeconds,
    `must be > 0 and divide the trace step (${step} s)`,
  );
  check(
    resolved.metricLagSeconds >= 0 &&
      Number.isInteger(resolved.metricLagSeconds / resolved.syncPeriodSeconds),
    "metricLagSeconds",
    resolved.metricLagSeconds,
    `must be ≥ 0 and a multiple of the sync period (${resolved.syncPeriodSeconds} s)`,
  );
  check(
    resolved.tolerance >= 0 && resolved.tolerance < 1,
    "tolerance",
    resolved.tolerance,
    "must be ≥ 0 and < 1",
  );
  check(isCount(resolved.minReplicas), "minReplicas", resolved.minReplicas, "must be an integer ≥ 1");
  check(
    isCount(resolved.maxReplicas) && resolved.maxReplicas >= resolved.minReplicas,
    "maxReplicas",
    resolved.maxReplicas,
    `must be an integer ≥ minReplicas (${resolved.minReplicas})`,
  );
  check(
    resolved.leadSeconds >= 0 && Number.isFinite(resolved.leadSeconds),
    "leadSeconds",
    resolved.leadSeconds,
    "must be ≥ 0",
  );
  check(
    resolved.windowSeconds > 0 && Number.isFinite(resolved.windowSeconds),
    "windowSeconds",
    resolved.windowSeconds,
    "must be > 0",
  );
  check(
    isCount(resolved.floorPolicy.maxStepUp),
    "maxStepUp",
    resolved.floorPolicy.maxStepUp,
    "must be an integer ≥ 1",
  );
  check(
    isCount(resolved.floorPolicy.maxStepDown),
    "maxStepDown",
    resolved.floorPolicy.maxStepDown,
    "must be an integer ≥ 1",
  );
  check(
    resolved.floorPolicy.scaleDownCooldownMs >= 0,
    "scaleDownCooldownSeconds",
    resolved.floorPolicy.scaleDownCooldownMs / 1000,
    "must be ≥ 0",
  );
  check(
    resolved.floorPolicy.maxForecastAgeMs >= 0,
    "maxForecastAgeSeconds",
    resolved.floorPolicy.maxForecastAgeMs / 1000,
    "must be ≥ 0",
  );
  for (const field of [
    "warmupSeconds",
    "trainWindowSeconds",
    "retrainEverySeconds",
    "maxGapSeconds",
    "resumeAfterGapSeconds",
  ] as const) {
    check(resolved[field] > 0 && Number.isFinite(resolved[field]), field, resolved[field], "must be > 0");
  }
  check(resolved.chartHours > 0, "chartHours", resolved.chartHours, "must be > 0");
  if (resolved.sweep !== undefined) {
    const { targetUtilizations, presageTargetUtilizations, quantiles, matchTolerance } = resolved.sweep;
    check(
      targetUtilizations.length > 0 && targetUtilizations.every(isUtilization),
      "sweep.targetUtilizations",
      targetUtilizations,
      "must be one or more numbers > 0 and ≤ 1",
    );
    check(
      presageTargetUtilizations.length > 0 && presageTargetUtilizations.every(isUtilization),
      "sweep.presageTargetUtilizations",
      presageTargetUtilizations,
      "must be one or more numbers > 0 and ≤ 1",
    );
    check(
      quantiles.length > 0 && quantiles.every(isQuantile),
      "sweep.quantiles",
      quantiles,
      "must be one or more numbers ≥ 0.5 and < 1",
    );
    check(matchTolerance >= 0, "sweep.matchTolerance", matchTolerance, "must be ≥ 0");
  }
  if (problems.length > 0) {
    throw new SimulationError(
      SimulationErrorCode.invalidOptions,
      `simulation options: ${problems.join("; ")}`,
    );
  }
  return Object.freeze(resolved);
}

/** Ready pods over time of one policy, for charts. */
export interface ReadyTrack {
  readonly policy: PolicyResult;
  /** Ready pods after each sync. */
  readonly readyPods: Int32Array;
}

/** Everything a replay produced. */
export interface SimulationResult {
  /** Every setting replayed: reactive, presage, then the oracle. */
  readonly policies: readonly PolicyResult[];
  /** With a sweep: each reactive setting against the presage setting of about equal pod-hours. */
  readonly matches: readonly PodHoursMatch[] | undefined;
  /**
   * The settings worth a chart: reactive at the chosen target; presage at its match within the
   * tolerance (with a sweep), else at the chosen target and quantile; the oracle.
   */
  readonly tracks: readonly ReadyTrack[];
  /** Steps counted in the metrics: from the first forecast (after the warm-up) to the end. */
  readonly evaluation: {
    readonly fromStep: number;
    readonly toStep: number;
    readonly measuredMinutes: number;
  };
  /** Steps of the chart window (centred on the evaluated peak load). */
  readonly chartWindow: { readonly fromStep: number; readonly toStep: number };
  readonly forecast: Pick<ForecastRequirements, "stats" | "notes" | "window" | "firstForecastStep">;
  /** Floor decision reasons (ticks per reason) of the charted presage setting. */
  readonly floorReasons: Readonly<Partial<Record<FloorReason, number>>>;
  readonly options: ResolvedSimulationOptions;
}

export interface SimulationHooks {
  /** Progress of the long parts: `forecast` (per trace step), then `replay` (per policy setting). */
  readonly onProgress?: (phase: "forecast" | "replay", done: number, total: number) => void;
  /** Called at each presage tick before the model is touched (see `forecastRequirements`). */
  readonly onForecastTick?: (nowMs: number) => void;
  /** A monotonic clock in ms to time fits and forecasts; absent: untimed. */
  readonly clockMs?: () => number;
}

/**
 * Replays `trace` through the reactive HPA, the HPA under presage's floors, and the oracle, and
 * reports what each cost and missed over the evaluated period (after presage's warm-up). Pure:
 * no I/O; time is the trace's.
 * @throws SimulationError `invalidOptions` for bad options, `invalidTrace` for a trace that cannot
 *   be replayed (empty, never measured, too short for the warm-up).
 */
export function simulateScaling(
  trace: LoadTrace,
  options: SimulationOptions,
  hooks: SimulationHooks = {},
): SimulationResult {
  const resolved = resolveSimulationOptions(trace, options);
  if (!trace.values.some(Number.isFinite)) {
    throw new SimulationError(
      SimulationErrorCode.invalidTrace,
      `the trace has no measured value (${trace.values.length} steps)`,
    );
  }
  const sweep = resolved.sweep;
  const quantiles = [...new Set([resolved.quantile, ...(sweep?.quantiles ?? [])])];
  const requirements = forecastRequirements(
    trace,
    { ...resolved, quantiles },
    {
      onTick: (nowMs, step, total) => {
        hooks.onForecastTick?.(nowMs);
        hooks.onProgress?.("forecast", step, total);
      },
      ...(hooks.clockMs === undefined ? {} : { clockMs: hooks.clockMs }),
    },
  );
  hooks.onProgress?.("forecast", trace.values.length, trace.values.length);
  const evaluationStartStep = requirements.firstForecastStep;
  if (evaluationStartStep === undefined) {
    throw new SimulationError(
      SimulationErrorCode.invalidTrace,
      `no forecast could be made: the trace (${trace.values.length} steps of ${trace.stepSeconds} s) is too short or too gappy for the warm-up of ${resolved.warmupSeconds} s${requirements.notes.length > 0 ? ` (${requirements.notes.join("; ")})` : ""}`,
    );
  }
  const timing = { startMs: trace.startMs, stepSeconds: trace.stepSeconds };
  const schedules = new Map(
    quantiles.map((quantile) => [
      quantile,
      floorSchedule(requirements, quantile, timing, resolved.floorPolicy),
    ]),
  );
  const base: Omit<HpaReplayOptions, "targetUtilization"> = {
    podCapacity: resolved.podCapacity,
    minReplicas: resolved.minReplicas,
    maxReplicas: resolved.maxReplicas,
    startupSeconds: resolved.startupSeconds,
    metricLagSeconds: resolved.metricLagSeconds,
    syncPeriodSeconds: resolved.syncPeriodSeconds,
    tolerance: resolved.tolerance,
    evaluationStartStep,
  };
  const reactiveTargets = sweep?.targetUtilizations ?? [resolved.targetUtilization];
  const presageSettings = (sweep?.presageTargetUtilizations ?? [resolved.targetUtilization]).flatMap(
    (targetUtilization) =>
      (sweep?.quantiles ?? [resolved.quantile]).map((quantile) => ({ targetUtilization, quantile })),
  );
  const total = reactiveTargets.length + presageSettings.length + 1;
  let done = 0;
  const progress = (): void => hooks.onProgress?.("replay", ++done, total);

  const replayReactive = (
    targetUtilization: number,
    record = false,
  ): { policy: PolicyResult; readyPods?: Int32Array } => {
    const run = replayHpa(trace, { ...base, targetUtilization, recordReadyPods: record });
    return {
      policy: { name: PolicyName.reactive, targetUtilization, quantile: null, ...run.metrics },
      ...(run.readyPods === undefined ? {} : { readyPods: run.readyPods }),
    };
  };
  const replayPresage = (
    targetUtilization: number,
    quantile: number,
    record = false,
  ): { policy: PolicyResult; readyPods?: Int32Array } => {
    const floors = schedules.get(quantile)?.floors;
    const run = replayHpa(trace, {
      ...base,
      targetUtilization,
      recordReadyPods: record,
      ...(floors === undefined ? {} : { floors }),
    });
    return {
      policy: { name: PolicyName.presage, targetUtilization, quantile, ...run.metrics },
      ...(run.readyPods === undefined ? {} : { readyPods: run.readyPods }),
    };
  };

  const reactive = reactiveTargets.map((target) => {
    const result = replayReactive(target).policy;
    progress();
    return result;
  });
  const presage = presageSettings.map(({ targetUtilization, quantile }) => {
    const result = replayPresage(targetUtilization, quantile).policy;
    progress();
    return result;
  });
  const oracleRun = replayOracle(trace, {
    podCapacity: resolved.podCapacity,
    minReplicas: resolved.minReplicas,
    maxReplicas: resolved.maxReplicas,
    syncPeriodSeconds: resolved.syncPeriodSeconds,
    evaluationStartStep,
    recordReadyPods: true,
  });
  const oracle: PolicyResult = {
    name: PolicyName.oracle,
    targetUtilization: 1,
    quantile: null,
    ...oracleRun.metrics,
  };
  progress();

  const matches =
    sweep === undefined ? undefined : matchAtEqualPodHours(reactive, presage, sweep.matchTolerance);
  const chartedMatch = matches?.find(
    (match) => match.reactive.targetUtilization === resolved.targetUtilization,
  );
  const chartedPresage = (chartedMatch?.matched === true ? chartedMatch.presage : undefined) ?? {
    targetUtilization: resolved.targetUtilization,
    quantile: resolved.quantile,
  };
  const chartedQuantile = chartedPresage.quantile ?? resolved.quantile;
  const reactiveTrack = replayReactive(resolved.targetUtilization, true);
  const presageTrack = replayPresage(chartedPresage.targetUtilization, chartedQuantile, true);
  const tracks: ReadyTrack[] = [
    reactiveTrack,
    presageTrack,
    { policy: oracle, readyPods: oracleRun.readyPods },
  ].flatMap((track) =>
    track.readyPods === undefined ? [] : [{ policy: track.policy, readyPods: track.readyPods }],
  );
  const measuredMinutes = oracle.evaluatedMinutes;
  return {
    policies: [...reactive, ...presage, oracle],
    matches,
    tracks,
    evaluation: { fromStep: evaluationStartStep, toStep: trace.values.length - 1, measuredMinutes },
    chartWindow: peakWindow(trace, evaluationStartStep, resolved.chartHours),
    forecast: {
      stats: requirements.stats,
      notes: requirements.notes,
      window: requirements.window,
      firstForecastStep: requirements.firstForecastStep,
    },
    floorReasons: schedules.get(chartedQuantile)?.reasons ?? {},
    options: resolved,
  };
}

/** `hours` of steps centred on the highest measured load at or after `fromStep`, inside the trace. */
function peakWindow(trace: LoadTrace, fromStep: number, hours: number): { fromStep: number; toStep: number } {
  const length = Math.max(1, Math.round((hours * 3600) / trace.stepSeconds));
  let peak = fromStep;
  let peakLoad = Number.NEGATIVE_INFINITY;
  for (let step = fromStep; step < trace.values.length; step++) {
    const load = trace.values[step] ?? Number.NaN;
    if (load > peakLoad) {
      peak = step;
      peakLoad = load;
    }
  }
  const start = Math.max(0, Math.min(trace.values.length - length, peak - Math.floor(length / 2)));
  return { fromStep: start, toStep: Math.min(trace.values.length - 1, start + length - 1) };
}
