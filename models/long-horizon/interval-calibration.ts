import { ModelError, ModelErrorCode } from "../errors.js";
import { quantileSorted } from "../math/intervals.js";

/**
 * Interval widths learnt from rolling-origin forecast errors rather than from model theory, which is
 * far too narrow three to six months out (parameters drift, trends turn, levels shift).
 *
 * Errors are in the model's working scale (log for positive series). Their size grows with the
 * horizon; `spread[i]` is the root mean square error of the week ending at step `anchorSteps[i]`,
 * made non-decreasing (the anchor is the week's middle step). Their distribution is `ratios`: |error| / spread at its step, pooled over all
 * steps and origins and kept as 101 quantiles (0%, 1%, …, 100%).
 */
export interface IntervalCalibration {
  readonly anchorSteps: readonly number[];
  readonly spread: readonly number[];
  readonly ratios: readonly number[];
  /** Forecast origins the errors came from. */
  readonly origins: number;
  /**
   * Steps between consecutive backtest origins. Origins closer together than a step's horizon score
   * overlapping stretches of the same history, so their errors at that step are not independent;
   * absent (older states), the origins count as independent at every step.
   */
  readonly originStrideSteps?: number;
}

export interface IntervalCalibrationOptions {
  /**
   * Steps between consecutive backtest origins (see {@link IntervalCalibration.originStrideSteps}).
   * @defaultValue undefined: origins treated as independent at every step
   */
  readonly originStrideSteps?: number;
}

/**
 * Builds a calibration from backtest errors `errors[origin][step]` (actual − forecast in the working
 * scale; `NaN` where the actual was missing). `floor(step)` is a lower bound for the spread at each
 * step — the model's own theory — so a lucky run of origins never yields intervals narrower than the
 * model believes. Returns `undefined` with fewer than 2 origins or no finite error.
 */
export function buildIntervalCalibration(
  errors: readonly (readonly number[])[],
  floor: (step: number) => number,
  options: IntervalCalibrationOptions = {},
): IntervalCalibration | undefined {
  if (errors.length < 2) return undefined;
  const stride = options.originStrideSteps;
  if (stride !== undefined && !(Number.isFinite(stride) && stride > 0)) {
    throw new ModelError(
      ModelErrorCode.invalidOption,
      `originStrideSteps (${stride}) must be a finite number > 0`,
    );
  }
  const horizon = Math.max(...errors.map((row) => row.length));
  const anchorSteps: number[] = [];
  const spread: number[] = [];
  let running = 0;
  for (let end = 7; end <= horizon + 6; end += 7) {
    const last = Math.min(end, horizon);
    let sum = 0;
    let count = 0;
    for (const row of errors) {
      for (let step = last - 7; step < last; step++) {
        const error = row[step] ?? Number.NaN;
        if (step >= 0 && Number.isFinite(error)) {
          sum += error * error;
          count++;
        }
      }
    }
    const rms = count > 0 ? Math.sqrt(sum / count) : running;
    // The week's RMS describes its middle day; interpolation runs between week middles.
    const middle = Math.max(1, last - 3);
    running = Math.max(running, rms, floor(middle));
    anchorSteps.push(middle);
    spread.push(running);
    if (last === horizon) break;
  }
  const calibration = { anchorSteps, spread, ratios: [0], origins: errors.length };
  const ratios: number[] = [];
  for (const row of errors) {
    row.forEach((error, step) => {
      const size = spreadAt(calibration, step + 1);
      if (Number.isFinite(error) && size > 0) ratios.push(Math.abs(error) / size);
    });
  }
  if (ratios.length === 0) return undefined;
  const sorted = Float64Array.from(ratios).sort();
  return {
    anchorSteps,
    spread,
    ratios: Array.from({ length: 101 }, (_, i) => quantileSorted(sorted, i / 100)),
    origins: errors.length,
    ...(stride === undefined ? {} : { originStrideSteps: stride }),
  };
}

/**
 * How many independent origins the backtest amounts to at `step`: origins `stride` apart forecasting
 * `step` ahead score overlapping stretches once `step > stride`, so each further origin adds only
 * `stride / step` of a new one (`1 + (origins − 1) · min(1, stride / step)`). All of them without a
 * stride.
 */
export function effectiveOrigins(calibration: IntervalCalibration, step: number): number {
  const { origins, originStrideSteps } = calibration;
  if (originStrideSteps === undefined || origins < 1) return Math.max(1, origins);
  return 1 + (origins - 1) * Math.min(1, originStrideSteps / Math.max(1, step));
}

/**
 * The error spread at `step`: interpolated between anchors, growing like √step past the last one
 * (a random walk's rate) and held at the first anchor before it.
 */
export function spreadAt(calibration: IntervalCalibration, step: number): number {
  const { anchorSteps, spread } = calibration;
  const lastIndex = anchorSteps.length - 1;
  const lastStep = anchorSteps[lastIndex] ?? 1;
  const lastSpread = spread[lastIndex] ?? 0;
  if (step >= lastStep) return lastSpread * Math.sqrt(step / lastStep);
  for (let i = 0; i <= lastIndex; i++) {
    const anchor = anchorSteps[i] ?? 0;
    if (step <= anchor) {
      if (i === 0) return spread[0] ?? 0;
      const previous = anchorSteps[i - 1] ?? 0;
      const weight = (step - previous) / Math.max(1, anchor - previous);
      return (spread[i - 1] ?? 0) + weight * ((spread[i] ?? 0) - (spread[i - 1] ?? 0));
    }
  }
  return lastSpread;
}

/**
 * Half-width of the central `level`% interval at `step`, in the working scale. Widened by
 * `√(1 + 1/n)`, as a prediction interval from a sample of `n` origins is — the spread itself is only
 * an estimate — where `n` is the number of independent origins at that step
 * ({@link effectiveOrigins}): overlapping long-horizon backtest windows are one sample, not many.
 */
export function calibratedHalfWidth(calibration: IntervalCalibration, step: number, level: number): number {
  const sampling = Math.sqrt(1 + 1 / effectiveOrigins(calibration, step));
  return spreadAt(calibration, step) * quantileSorted(calibration.ratios, level / 100) * sampling;
}
