import type { Forecast } from "../../models/forecast.js";
import type { FittedModel } from "../../models/forecaster.js";
import type { FloorCalibration } from "./floor-calibration.js";
import { ScalerError, ScalerErrorCode } from "./scaler-error.js";

/** Options of {@link requiredReplicas}. */
export interface RequiredReplicasOptions {
  /** First forecast step of the window; 1 is the step right after the model's newest observation. */
  readonly fromStep: number;
  /** Last forecast step of the window, inclusive (≥ `fromStep`). */
  readonly toStep: number;
  /** Load one pod serves, in the unit of the forecast series (> 0). */
  readonly podCapacity: number;
  /**
   * Quantile of predicted load the floor is sized for, 0.5 ≤ q < 1. It is read as the upper bound of
   * the central interval at level (2q − 1)·100 (q = 0.9 → the 80% interval); q = 0.5 uses the point
   * forecast.
   * @defaultValue 0.9
   */
  readonly quantile?: number;
  /**
   * Calibrated quantiles from the errors of past forecasts (a target's {@link FloorCalibration}).
   * Used for the whole window when every step of it is calibrated; otherwise the model's interval is.
   * @defaultValue none (the model's interval)
   */
  readonly calibration?: Pick<FloorCalibration, "upper">;
}

/** The replicas a forecast asks for, with how they were computed. */
export interface RequiredReplicas {
  /** ceil(peak q-quantile load over the window / pod capacity); 0 when no load is predicted. */
  readonly replicas: number;
  /** Highest q-quantile of predicted load over the window. */
  readonly peakLoad: number;
  /** Step (1-based, from the model's newest observation) at which the peak falls. */
  readonly peakStep: number;
  readonly quantile: number;
  /** Interval level read, in percent; `undefined` when the point forecast was used (q = 0.5). */
  readonly level: number | undefined;
  /** Whether the quantiles came from the calibration rather than the model's interval. */
  readonly calibrated: boolean;
  /** The point forecast, steps 1 to `toStep` (what a calibration records). */
  readonly pointForecast: readonly number[];
  readonly fromStep: number;
  readonly toStep: number;
  /** Name of the model that produced the forecast (after any fallback). */
  readonly model: string;
  /** For reason texts, e.g. `q0.9 of 8.3k / 700 per pod, peak at step 6 of 4–18`. */
  readonly detail: string;
}

/**
 * Replicas needed to serve the q-quantile of the load `fitted` predicts over steps
 * `[fromStep, toStep]`: `ceil(max over the window of the q-quantile / podCapacity)`. Pure; predicted
 * load below zero counts as zero.
 *
 * @throws RangeError for options outside their rules; ScalerError (`forecastFailed`) when the model
 *   throws or predicts a non-finite value anywhere inside the window.
 */
export function requiredReplicas(fitted: FittedModel, options: RequiredReplicasOptions): RequiredReplicas {
  const quantile = options.quantile ?? 0.9;
  const { fromStep, toStep, podCapacity } = options;
  const problems: string[] = [];
  if (!Number.isSafeInteger(fromStep) || fromStep < 1)
    problems.push(`\`fromStep\` (${fromStep}) must be an integer ≥ 1`);
  if (!Number.isSafeInteger(toStep) || toStep < fromStep) {
    problems.push(`\`toStep\` (${toStep}) must be an integer ≥ \`fromStep\` (${fromStep})`);
  }
  if (!Number.isFinite(podCapacity) || podCapacity <= 0)
    problems.push(`\`podCapacity\` (${podCapacity}) must be > 0`);
  if (!(quantile >= 0.5 && quantile < 1)) problems.push(`\`quantile\` (${quantile}) must be ≥ 0.5 and < 1`);
  if (problems.length > 0) throw new RangeError(`requiredReplicas: ${problems.join("; ")}`);

  // Rounded so that e.g. q = 0.9 asks for level 80, not 80.00000000000001.
  const level = quantile === 0.5 ? undefined : Math.round((2 * quantile - 1) * 100 * 1e6) / 1e6;
  const forecast = predict(fitted, toStep, level);
  const calibrated = calibratedUppers(forecast.mean, options.calibration, fromStep, toStep, quantile);
  const values =
    calibrated ??
    (level === undefined
      ? forecast.mean
      : forecast.intervals.find((interval) => interval.level === level)?.upper);
  if (values === undefined) {
    throw new ScalerError(
      ScalerErrorCode.forecastFailed,
      `model ${forecast.model} returned no ${level}% interval (asked for levels [${level}])`,
    );
  }
  let peakLoad = Number.NEGATIVE_INFINITY;
  let peakStep = fromStep;
  for (let step = fromStep; step <= toStep; step++) {
    const value = values[step - 1];
    if (value === undefined || !Number.isFinite(value)) {
      // Part of the window unknown: its peak is unknown too, so the forecast is not used at all.
      throw new ScalerError(
        ScalerErrorCode.forecastFailed,
        `model ${forecast.model} predicted ${value ?? "nothing"} for step ${step} of ${fromStep}–${toStep}`,
      );
    }
    if (value > peakLoad) {
      peakLoad = value;
      peakStep = step;
    }
  }
  peakLoad = Math.max(0, peakLoad);
  // The tolerance keeps float noise (700.0000000001 / 700) from asking for a whole extra pod.
  const replicas = Math.max(0, Math.ceil(peakLoad / podCapacity - 1e-9));
  const window = fromStep === toStep ? `step ${fromStep}` : `steps ${fromStep}–${toStep}`;
  return {
    replicas,
    peakLoad,
    peakStep,
    quantile,
    level,
    calibrated: calibrated !== undefined,
    pointForecast: forecast.mean,
    fromStep,
    toStep,
    model: forecast.model,
    detail: `${calibrated === undefined ? "" : "calibrated "}q${quantile} of ${formatQuantity(peakLoad)} / ${formatQuantity(podCapacity)} per pod, peak at step ${peakStep} of ${window}`,
  };
}

/** Calibrated upper bounds for steps 1..toStep (only the window filled), or undefined if any is missing. */
function calibratedUppers(
  mean: readonly number[],
  calibration: Pick<FloorCalibration, "upper"> | undefined,
  fromStep: number,
  toStep: number,
  quantile: number,
): number[] | undefined {
  if (calibration === undefined) return undefined;
  const uppers = new Array<number>(toStep).fill(Number.NaN);
  for (let step = fromStep; step <= toStep; step++) {
    const point = mean[step - 1];
    if (point === undefined || !Number.isFinite(point)) return undefined;
    const upper = calibration.upper(step, point, quantile);
    if (upper === undefined) return undefined;
    uppers[step - 1] = upper;
  }
  return uppers;
}

function predict(fitted: FittedModel, horizonSteps: number, level: number | undefined): Forecast {
  try {
    return fitted.predict(horizonSteps, { levels: level === undefined ? [] : [level] });
  } catch (error) {
    throw new ScalerError(
      ScalerErrorCode.forecastFailed,
      `model ${fitted.name} failed to predict ${horizonSteps} steps: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

/** Where the load window lies in forecast steps; see {@link forecastWindowSteps}. */
export interface ForecastWindowInput {
  /** Epoch ms of the model's newest observation (step 0). */
  readonly dataEndMs: number;
  readonly stepSeconds: number;
  readonly nowMs: number;
  /** Pod start-up time: the window starts this long after now. */
  readonly leadMs: number;
  /** Length of the window. */
  readonly windowMs: number;
}

/**
 * The forecast steps covering `[now + lead, now + lead + window]`. A sample at time `t` stands for
 * the step that ends at `t` (as a Prometheus rate does), so an instant is covered by the first step
 * at or after it; the window always has at least one step.
 */
export function forecastWindowSteps(input: ForecastWindowInput): { fromStep: number; toStep: number } {
  const stepMs = input.stepSeconds * 1000;
  if (!(stepMs > 0)) throw new RangeError(`\`stepSeconds\` (${input.stepSeconds}) must be > 0`);
  const startMs = input.nowMs + Math.max(0, input.leadMs);
  const endMs = startMs + Math.max(0, input.windowMs);
  const stepAt = (timeMs: number): number =>
    Math.max(1, Math.ceil((timeMs - input.dataEndMs) / stepMs - 1e-9));
  const fromStep = stepAt(startMs);
  return { fromStep, toStep: Math.max(fromStep, stepAt(endMs)) };
}

/** Compact numbers for reason texts: `8300`, `12.3k`, `1.2M`, `0.25`. */
export function formatQuantity(value: number): string {
  const magnitude = Math.abs(value);
  if (magnitude >= 1e9) return `${trim(value / 1e9)}G`;
  if (magnitude >= 1e6) return `${trim(value / 1e6)}M`;
  if (magnitude >= 1e4) return `${trim(value / 1e3)}k`;
  return trim(value);
}

function trim(value: number): string {
  return Math.abs(value) >= 100 ? String(Math.round(value)) : String(Number(value.toPrecision(3)));
}
