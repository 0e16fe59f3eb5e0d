import { ModelError, ModelErrorCode } from "../errors.js";
import { normalCdf } from "./normal-tail.js";

/** Options of {@link ExhaustionForecaster}. */
export interface ExhaustionForecasterOptions {
  /**
   * Effective memory of the trend fit in points: each new point discounts the old ones by
   * 1 − 1/memoryPoints, so the trend follows the recent leak rate rather than the whole history.
   * @defaultValue 120
   */
  readonly memoryPoints?: number;
  /**
   * Residuals are clipped at this many standard deviations before they enter the fit, so a single
   * spike (a GC pause, a scrape glitch) does not bend the trend.
   * @defaultValue 4
   */
  readonly clipSigmas?: number;
  /**
   * Points needed before an estimate is given (fewer: `timeToLimitMs` is `NaN`, probability 0).
   * @defaultValue 10
   */
  readonly minPoints?: number;
}

/** Where a resource is heading relative to its limit, as of the newest point. */
export interface ExhaustionEstimate {
  /** Fitted value at the newest point. */
  readonly level: number;
  /** Fitted change per second (positive = growing towards a limit above). */
  readonly slopePerSecond: number;
  /** Standard error of that slope. */
  readonly slopeStandardError: number;
  /** Standard deviation of points around the trend. */
  readonly residualSigma: number;
  /**
   * Time from the newest point until the trend reaches the limit: 0 when already there, `Infinity`
   * when the trend is flat or moving away, `NaN` before `minPoints` points.
   */
  readonly timeToLimitMs: number;
  readonly points: number;
}

/**
 * Time-to-exhaustion for a resource series with a hard limit (memory → limit, disk → full, connections
 * → max): a robust, exponentially discounted linear regression of value on time, updated in O(1) per
 * point (discounted sums re-centred on the newest timestamp, so precision does not decay with time).
 *
 * `probabilityWithin(h)` is P(trend value at now + h ≥ limit) with the slope's estimation error and
 * the residual noise: Φ((level + slope·h − limit) / √(σ² + h²·se(slope)²)). With a steady leak the
 * slope is well determined and the probability goes to 1 once h covers the time to the limit; with a
 * flat or noisy series it stays low. Irregular timestamps and gaps (NaN values) are handled.
 */
export class ExhaustionForecaster {
  private readonly discount: number;
  private readonly clipSigmas: number;
  private readonly minPoints: number;
  /** Discounted sums with time t in seconds relative to the newest point. */
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private sy = 0;
  private sty = 0;
  private syy = 0;
  /** Sum of squared weights, for the effective number of points. */
  private sw2 = 0;
  private lastMs = Number.NaN;
  private count = 0;

  constructor(
    /** The limit the resource must not reach, in the series' unit. */
    readonly limit: number,
    options: ExhaustionForecasterOptions = {},
  ) {
    const memoryPoints = options.memoryPoints ?? 120;
    if (!Number.isFinite(limit)) {
      throw new ModelError(ModelErrorCode.invalidOption, `limit (${limit}) must be a finite number`);
    }
    if (!(memoryPoints >= 2)) {
      throw new ModelError(ModelErrorCode.invalidOption, `memoryPoints (${memoryPoints}) must be ≥ 2`);
    }
    this.discount = 1 - 1 / memoryPoints;
    this.clipSigmas = options.clipSigmas ?? 4;
    this.minPoints = Math.max(3, options.minPoints ?? 10);
  }

  /** Adds one observation; NaN/±Infinity values and timestamps that go backwards are ignored. */
  update(timestampMs: number, value: number): void {
    if (!Number.isFinite(value) || !Number.isFinite(timestampMs)) return;
    if (!Number.isNaN(this.lastMs)) {
      if (timestampMs <= this.lastMs) return;
      this.recentre((timestampMs - this.lastMs) / 1000);
    }
    this.lastMs = timestampMs;
    let y = value;
    if (this.count >= this.minPoints) {
      const fit = this.fit();
      const limit = this.clipSigmas * Math.max(fit.sigma, 1e-12 * Math.abs(fit.level) + 1e-12);
      y = fit.level + Math.max(-limit, Math.min(limit, value - fit.level));
    }
    const d = this.discount;
    this.s0 = d * this.s0 + 1;
    this.s1 *= d;
    this.s2 *= d;
    this.sy = d * this.sy + y;
    this.sty *= d;
    this.syy = d * this.syy + y * y;
    this.sw2 = d * d * this.sw2 + 1;
    this.count++;
  }

  /** The current estimate (see {@link ExhaustionEstimate}). */
  estimate(): ExhaustionEstimate {
    if (this.count < this.minPoints) {
      return {
        level: Number.NaN,
        slopePerSecond: Number.NaN,
        slopeStandardError: Number.NaN,
        residualSigma: Number.NaN,
        timeToLimitMs: Number.NaN,
        points: this.count,
      };
    }
    const fit = this.fit();
    let timeToLimitMs: number;
    if (fit.level >= this.limit) timeToLimitMs = 0;
    else if (fit.slope > 0) timeToLimitMs = ((this.limit - fit.level) / fit.slope) * 1000;
    else timeToLimitMs = Number.POSITIVE_INFINITY;
    return {
      level: fit.level,
      slopePerSecond: fit.slope,
      slopeStandardError: fit.slopeError,
      residualSigma: fit.sigma,
      timeToLimitMs,
      points: this.count,
    };
  }

  /** Probability that the resource reaches the limit within `horizonMs` of the newest point. */
  probabilityWithin(horizonMs: number): number {
    if (this.count < this.minPoints || !(horizonMs >= 0)) return 0;
    const fit = this.fit();
    if (fit.level >= this.limit) return 1;
    const h = horizonMs / 1000;
    const sd = Math.sqrt(fit.sigma * fit.sigma + h * h * fit.slopeError * fit.slopeError);
    const gap = fit.level + fit.slope * h - this.limit;
    if (sd === 0) return gap >= 0 ? 1 : 0;
    return normalCdf(gap / sd);
  }

  /** Moves the time origin to the newest point: t → t − Δ for every stored t. */
  private recentre(deltaSeconds: number): void {
    this.s2 = this.s2 - 2 * deltaSeconds * this.s1 + deltaSeconds * deltaSeconds * this.s0;
    this.s1 = this.s1 - deltaSeconds * this.s0;
    this.sty = this.sty - deltaSeconds * this.sy;
  }

  private fit(): { level: number; slope: number; slopeError: number; sigma: number } {
    const det = this.s0 * this.s2 - this.s1 * this.s1;
    const slope = det > 0 ? (this.s0 * this.sty - this.s1 * this.sy) / det : 0;
    const intercept = (this.sy - slope * this.s1) / this.s0;
    // Weighted residual sum of squares from the sums, floored at 0 against rounding.
    const rss = Math.max(
      0,
      this.syy -
        2 * intercept * this.sy -
        2 * slope * this.sty +
        intercept * intercept * this.s0 +
        2 * intercept * slope * this.s1 +
        slope * slope * this.s2,
    );
    const effectivePoints = (this.s0 * this.s0) / this.sw2;
    const variance = rss / this.s0 / Math.max(1e-9, 1 - 2 / effectivePoints);
    // Var(slope) ≈ σ² / (n_eff · weighted variance of t), weighted variance of t = det / s0².
    const slopeError =
      det > 0
        ? Math.sqrt((variance * this.s0 * this.s0) / (det * effectivePoints))
        : Number.POSITIVE_INFINITY;
    return { level: intercept, slope, slopeError, sigma: Math.sqrt(variance) };
  }
}
