/** Options of {@link FloorCalibration}. */
export interface FloorCalibrationOptions {
  /** Newest (forecast, actual) pairs kept per horizon step. @defaultValue 10 080 (a week of 1-minute steps) */
  readonly maxPairsPerStep?: number;
  /**
   * Pairs a horizon step needs before its calibrated quantile replaces the model's interval.
   * @defaultValue 1 440 (a day of 1-minute steps)
   */
  readonly minPairsPerStep?: number;
  /**
   * How the forecast error grows with the load: errors are measured in units of `level^exponent`.
   * 0: the same spread at any load (additive); 1: proportional to the load (multiplicative); 0.5: the
   * spread of counts (requests, messages per interval are Poisson-like: variance ∝ mean), which is
   * what most load series are. @defaultValue 0.5
   */
  readonly noiseExponent?: number;
  /** A step's quantiles are recomputed once this many new pairs have arrived for it. @defaultValue 60 */
  readonly refreshEveryPairs?: number;
}

/** What a calibration has learnt so far, for logs, metrics and the API. */
export interface FloorCalibrationStatus {
  /** Fewest pairs held by any horizon step seen so far. */
  readonly minPairs: number;
  /** Horizon steps with enough pairs to be used. */
  readonly calibratedSteps: number;
  /** Forecasts waiting for their actual load. */
  readonly pendingForecasts: number;
}

const DEFAULTS = {
  maxPairsPerStep: 10_080,
  minPairsPerStep: 1_440,
  noiseExponent: 0.5,
  refreshEveryPairs: 60,
};

/**
 * Online (split-conformal) calibration of the load quantiles floors are sized for. A model's own
 * intervals describe its error on the data it was fitted to; at the horizons a floor is sized for
 * (start-up time ahead, every minute) they are often too narrow or too wide, and a floor sized on
 * them misses its quantile. This records the point forecast behind each floor, pairs it with the load
 * that then happened, and per horizon step keeps the empirical quantiles of the scaled error
 * `(actual − forecast) / scale(forecast)`. The calibrated q-quantile of the load at horizon `h` is
 * then `forecast + z_q(h) · scale(forecast)`: it covers the q share of the recent past by
 * construction, whatever the model. Pure in-memory state, no I/O; one instance per target.
 */
export class FloorCalibration {
  private readonly options: typeof DEFAULTS;
  /** Per horizon step: ring buffers of forecasts and actuals. */
  private readonly steps = new Map<number, StepPairs>();
  /** Target time (end of the predicted step, epoch ms) → the forecasts made for it. */
  private readonly pending = new Map<number, { step: number; forecast: number }[]>();
  private newestObservedMs = Number.NEGATIVE_INFINITY;

  constructor(options: FloorCalibrationOptions = {}) {
    this.options = {
      maxPairsPerStep: options.maxPairsPerStep ?? DEFAULTS.maxPairsPerStep,
      minPairsPerStep: options.minPairsPerStep ?? DEFAULTS.minPairsPerStep,
      noiseExponent: options.noiseExponent ?? DEFAULTS.noiseExponent,
      refreshEveryPairs: options.refreshEveryPairs ?? DEFAULTS.refreshEveryPairs,
    };
    const { maxPairsPerStep, minPairsPerStep, noiseExponent, refreshEveryPairs } = this.options;
    const problems: string[] = [];
    if (!Number.isSafeInteger(maxPairsPerStep) || maxPairsPerStep < 1)
      problems.push(`\`maxPairsPerStep\` (${maxPairsPerStep}) must be an integer ≥ 1`);
    if (!Number.isSafeInteger(minPairsPerStep) || minPairsPerStep < 1 || minPairsPerStep > maxPairsPerStep)
      problems.push(
        `\`minPairsPerStep\` (${minPairsPerStep}) must be an integer from 1 to maxPairsPerStep (${maxPairsPerStep})`,
      );
    if (!(noiseExponent >= 0 && noiseExponent <= 1))
      problems.push(`\`noiseExponent\` (${noiseExponent}) must be from 0 to 1`);
    if (!Number.isSafeInteger(refreshEveryPairs) || refreshEveryPairs < 1)
      problems.push(`\`refreshEveryPairs\` (${refreshEveryPairs}) must be an integer ≥ 1`);
    if (problems.length > 0) throw new RangeError(`FloorCalibration: ${problems.join("; ")}`);
  }

  get noiseExponent(): number {
    return this.options.noiseExponent;
  }

  /** Pairs a horizon step needs before it is used. */
  get minPairsPerStep(): number {
    return this.options.minPairsPerStep;
  }

  /**
   * Remembers the point forecast a floor was sized from: `forecast[h − 1]` predicts the step ending at
   * `dataEndMs + h · stepMs`, for each `h` in `[fromStep, toStep]`. Non-finite values are skipped. A
   * forecast for a time already observed is ignored (it would pair with nothing).
   */
  recordForecast(
    dataEndMs: number,
    stepMs: number,
    forecast: readonly number[],
    fromStep: number,
    toStep: number,
  ): void {
    if (!Number.isFinite(dataEndMs) || !(stepMs > 0)) return;
    for (let step = fromStep; step <= toStep; step++) {
      const value = forecast[step - 1];
      const atMs = dataEndMs + step * stepMs;
      if (value === undefined || !Number.isFinite(value) || atMs <= this.newestObservedMs) continue;
      let list = this.pending.get(atMs);
      if (list === undefined) {
        list = [];
        this.pending.set(atMs, list);
      }
      // One forecast per (time, horizon): a second one for the same pair replaces the first.
      const existing = list.find((entry) => entry.step === step);
      if (existing === undefined) list.push({ step, forecast: value });
      else existing.forecast = value;
    }
  }

  /**
   * The load measured for the step ending at `atMs`: pairs it with every forecast made for that
   * time. Non-finite loads (gaps) pair with nothing. Forecasts for times before the newest
   * observation that never got a value (a gap) are dropped.
   */
  observe(atMs: number, load: number): void {
    if (!Number.isFinite(atMs)) return;
    const waiting = this.pending.get(atMs);
    this.pending.delete(atMs);
    if (Number.isFinite(load) && waiting !== undefined) {
      for (const { step, forecast } of waiting) this.stepPairs(step).push(forecast, load);
    }
    if (atMs > this.newestObservedMs) {
      this.newestObservedMs = atMs;
      for (const key of this.pending.keys()) if (key < atMs) this.pending.delete(key);
    }
  }

  /**
   * The calibrated q-quantile of the load at horizon `step` given its point forecast, or `undefined`
   * when that step has too few pairs yet (the caller then uses the model's own interval).
   */
  upper(step: number, forecast: number, quantile: number): number | undefined {
    const pairs = this.steps.get(step);
    if (pairs === undefined || pairs.size < this.options.minPairsPerStep) return undefined;
    const scored = pairs.sortedScores(this.options);
    const index = Math.min(
      scored.scores.length - 1,
      Math.max(0, Math.ceil((scored.scores.length + 1) * quantile) - 1),
    );
    const z = scored.scores[index] ?? 0;
    return forecast + z * scale(forecast, scored.floor, this.options.noiseExponent);
  }

  status(): FloorCalibrationStatus {
    let minPairs = Number.POSITIVE_INFINITY;
    let calibratedSteps = 0;
    for (const pairs of this.steps.values()) {
      minPairs = Math.min(minPairs, pairs.size);
      if (pairs.size >= this.options.minPairsPerStep) calibratedSteps++;
    }
    let pendingForecasts = 0;
    for (const list of this.pending.values()) pendingForecasts += list.length;
    return { minPairs: Number.isFinite(minPairs) ? minPairs : 0, calibratedSteps, pendingForecasts };
  }

  private stepPairs(step: number): StepPairs {
    let pairs = this.steps.get(step);
    if (pairs === undefined) {
      pairs = new StepPairs(this.options.maxPairsPerStep);
      this.steps.set(step, pairs);
    }
    return pairs;
  }
}

/**
 * The unit errors are measured in at a forecast level. `floor` (1% of the mean actual load) keeps a
 * forecast of zero or below from dividing by zero.
 */
function scale(forecast: number, floor: number, exponent: number): number {
  return Math.max(forecast, floor) ** exponent;
}

/** A ring buffer of (forecast, actual) pairs for one horizon step, with its sorted scores cached. */
class StepPairs {
  private readonly forecasts: Float64Array;
  private readonly actuals: Float64Array;
  private next = 0;
  size = 0;
  private sinceRefresh = 0;
  private cached: { scores: Float64Array; floor: number } | undefined;

  constructor(capacity: number) {
    this.forecasts = new Float64Array(capacity);
    this.actuals = new Float64Array(capacity);
  }

  push(forecast: number, actual: number): void {
    this.forecasts[this.next] = forecast;
    this.actuals[this.next] = actual;
    this.next = (this.next + 1) % this.forecasts.length;
    this.size = Math.min(this.size + 1, this.forecasts.length);
    this.sinceRefresh++;
  }

  sortedScores(options: typeof DEFAULTS): { scores: Float64Array; floor: number } {
    if (this.cached !== undefined && this.sinceRefresh < options.refreshEveryPairs) return this.cached;
    let total = 0;
    for (let i = 0; i < this.size; i++) total += Math.abs(this.actuals[i] ?? 0);
    const floor = Math.max(Number.MIN_VALUE, (0.01 * total) / Math.max(1, this.size));
    const scores = new Float64Array(this.size);
    for (let i = 0; i < this.size; i++) {
      const forecast = this.forecasts[i] ?? 0;
      scores[i] = ((this.actuals[i] ?? 0) - forecast) / scale(forecast, floor, options.noiseExponent);
    }
    scores.sort();
    this.cached = { scores, floor };
    this.sinceRefresh = 0;
    return this.cached;
  }
}
