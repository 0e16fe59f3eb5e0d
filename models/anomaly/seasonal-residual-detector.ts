import type { AnomalyDetectorContext, StreamingAnomalyDetector } from "./anomaly-detector.js";
import { DecayingQuantile } from "./decaying-quantile.js";
import { MovingAverageSurprise } from "./moving-average-surprise.js";
import { negativeLogUpperTail } from "./normal-tail.js";
import { SeasonalBaseline } from "./seasonal-baseline.js";

/** Options of {@link SeasonalResidualDetector}. One set for every series: never tuned per series. */
export interface SeasonalResidualOptions {
  /**
   * Smoothing of the deseasonalised level of each baseline.
   * @defaultValue 0.1
   */
  readonly levelAlpha?: number;
  /**
   * Smoothing of the seasonal profile (per visit of a phase bucket).
   * @defaultValue 0.2
   */
  readonly seasonalGamma?: number;
  /**
   * Smoothing of each baseline's mean absolute error, which sets the residual scale and picks the
   * baseline that predicts best.
   * @defaultValue 0.01
   */
  readonly scaleAlpha?: number;
  /**
   * Errors are clipped at this many scales before the baselines learn from them (a spike does not
   * drag the level or the profile).
   * @defaultValue 4
   */
  readonly clipScales?: number;
  /**
   * Points in the short average of standardised residuals that reveals a sustained shift.
   * @defaultValue 8
   */
  readonly shortWindow?: number;
  /**
   * Points in the short average of squared residuals (capped at 25) whose rise reveals more volatile or
   * denser spikes than usual; 0 disables it.
   * @defaultValue 32
   */
  readonly volatilityWindow?: number;
  /**
   * Smoothing of the long-term mean and variance of that short average (the reference distribution).
   * @defaultValue 0.002
   */
  readonly longAlpha?: number;
  /**
   * After a report, later points must beat the reported surprise, held for this many points and then
   * decaying: one anomaly is reported once, not on every point of it.
   * @defaultValue 100
   */
  readonly suppressionPoints?: number;
  /**
   * While suppressed, a point is reported only when its surprise exceeds the held peak by this factor,
   * so a sustained anomaly that keeps growing is reported a few times, not on every point.
   * @defaultValue 2
   */
  readonly suppressionFactor?: number;
  /**
   * Errors a baseline must have made before it may be chosen (its error scale is a plain mean until
   * then), so a fresh seasonal profile does not win on one lucky error.
   * @defaultValue 50
   */
  readonly minErrors?: number;
  /**
   * Surprise (−ln of the tail probability, in nats) that maps to score 0.5; scores approach 1 smoothly.
   * @defaultValue 12
   */
  readonly halfScoreSurprise?: number;
  /**
   * Adaptive threshold: a point's surprise counts only by how much it exceeds this quantile of the
   * series' own recent surprises, so series with heavy-tailed residuals do not flood the reports.
   * @defaultValue 0.99
   */
  readonly typicalQuantile?: number;
  /**
   * The bar is also this share of the recent record surprise (a maximum that halves every
   * `recordHalfLife` points): spikes like those seen lately are not news, a bigger one is. 0 disables.
   * @defaultValue 0.8
   */
  readonly recordFactor?: number;
  /** Half-life (points) of the recent record. @defaultValue 2000 */
  readonly recordHalfLife?: number;
  /** Points before the record starts (the baselines are still settling). @defaultValue 200 */
  readonly recordAfterPoints?: number;
  /** How surprise is compared with the typical one: by difference (nats) or by ratio. @defaultValue "excess" */
  readonly calibration?: "excess" | "ratio";
  /**
   * Largest step (nats) above the current typical surprise that one point adds to the histogram.
   * @defaultValue 2
   */
  readonly typicalStep?: number;
  /**
   * Forgetting per point of the surprise histogram behind `typicalQuantile`.
   * @defaultValue 0.0005
   */
  readonly typicalForgetting?: number;
  /**
   * Smallest residual scale as a share of the series' own spread (mean absolute deviation from its
   * level): residuals below 1% of the spread are never anomalous, even on noise-free series.
   * @defaultValue 0.01
   */
  readonly minRelativeScale?: number;
  /**
   * Degrees of freedom of the Student-t tail that turns |z| into surprise; heavy tails keep the large
   * but ordinary outliers of real metrics from looking astronomically unlikely. `Infinity` = normal.
   * @defaultValue 10
   */
  readonly tailDegreesOfFreedom?: number;
  /** Phase buckets per day at most. @defaultValue 288 */
  readonly maxBucketsPerDay?: number;
}

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
/** Mean absolute deviation → standard deviation for normal errors. */
const MAD_TO_SIGMA = Math.sqrt(Math.PI / 2);
/** A tail probability of 1e-10 maps to score 1 (HTM's log-likelihood scale). */

/**
 * Seasonal-residual anomaly detector: three streaming baselines (an EW level, a daily and a weekly
 * Holt–Winters profile on clock phases) predict each point; the baseline with the smallest recent error
 * supplies a standardised residual z. Two tail probabilities are formed — of |z| itself (spikes) and of
 * the short average of z against its own long-term distribution (level shifts, in the spirit of HTM's
 * anomaly likelihood) — and the smaller one is mapped to a log score in [0, 1]. Only new highs are
 * reported: a decaying peak suppresses the rest of the same anomaly. O(1) work per point.
 */
export class SeasonalResidualDetector implements StreamingAnomalyDetector {
  readonly name = "presage";
  private readonly options: Required<SeasonalResidualOptions>;
  private readonly warmupPoints: number;
  private baselines: SeasonalBaseline[] = [];
  private errorScale: number[] = [];
  private errorCount: number[] = [];
  private readonly firstDiffs: number[] = [];
  private lastMs = Number.NaN;
  private points = 0;
  private readonly shift: MovingAverageSurprise;
  private readonly volatility: MovingAverageSurprise;
  private record = 0;
  private readonly recordDecay: number;
  private peak = 0;
  private sincePeak = 0;
  private readonly typical: DecayingQuantile;
  private spreadLevel = Number.NaN;
  private spread = 0;

  constructor(options: SeasonalResidualOptions = {}, context: AnomalyDetectorContext = {}) {
    this.options = {
      levelAlpha: options.levelAlpha ?? 0.1,
      seasonalGamma: options.seasonalGamma ?? 0.2,
      scaleAlpha: options.scaleAlpha ?? 0.01,
      clipScales: options.clipScales ?? 4,
      shortWindow: Math.max(1, Math.floor(options.shortWindow ?? 8)),
      longAlpha: options.longAlpha ?? 0.002,
      volatilityWindow: Math.max(0, Math.floor(options.volatilityWindow ?? 32)),
      suppressionPoints: options.suppressionPoints ?? 100,
      suppressionFactor: options.suppressionFactor ?? 2,
      minErrors: options.minErrors ?? 50,
      halfScoreSurprise: options.halfScoreSurprise ?? 12,
      maxBucketsPerDay: options.maxBucketsPerDay ?? 288,
      typicalQuantile: options.typicalQuantile ?? 0.99,
      typicalForgetting: options.typicalForgetting ?? 0.0005,
      typicalStep: options.typicalStep ?? 2,
      calibration: options.calibration ?? "excess",
      recordFactor: options.recordFactor ?? 0.8,
      recordHalfLife: options.recordHalfLife ?? 2000,
      recordAfterPoints: options.recordAfterPoints ?? 200,
      minRelativeScale: options.minRelativeScale ?? 0.01,
      tailDegreesOfFreedom: options.tailDegreesOfFreedom ?? 10,
    };
    this.warmupPoints = context.warmupPoints ?? 750;
    this.baselines = [new SeasonalBaseline(0, 1, this.options.levelAlpha, 0)];
    this.errorScale = [Number.NaN];
    this.errorCount = [0];
    const { shortWindow, volatilityWindow, longAlpha } = this.options;
    this.shift = new MovingAverageSurprise(shortWindow, longAlpha, shortWindow * 4, false);
    this.volatility = new MovingAverageSurprise(
      Math.max(1, volatilityWindow),
      longAlpha,
      volatilityWindow * 4,
      true,
    );
    this.recordDecay = Math.pow(0.5, 1 / Math.max(1, this.options.recordHalfLife));
    this.typical = new DecayingQuantile(0.25, 256, this.options.typicalForgetting);
  }

  update(timestampMs: number, value: number): number {
    if (!Number.isFinite(value) || !Number.isFinite(timestampMs)) return 0;
    this.learnStep(timestampMs);
    this.points++;
    let bestZ = Number.NaN;
    let bestScale = Number.POSITIVE_INFINITY;
    const floor = this.scaleFloor(value);
    for (let m = 0; m < this.baselines.length; m++) {
      const baseline = this.baselines[m]!;
      const predicted = baseline.predict(timestampMs);
      const ready = baseline.ready(timestampMs) && !Number.isNaN(predicted);
      const error = ready ? value - predicted : 0;
      const scale = this.errorScale[m]!;
      const count = this.errorCount[m]!;
      if (count >= this.options.minErrors && scale < bestScale) {
        bestScale = scale;
        bestZ = error / Math.max(scale * MAD_TO_SIGMA, floor);
      }
      const limit = count === 0 ? Math.abs(error) : this.options.clipScales * MAD_TO_SIGMA * scale;
      const clipped = Math.max(-limit, Math.min(limit, error));
      if (ready) {
        const alpha = Math.max(this.options.scaleAlpha, 1 / (count + 1));
        this.errorScale[m] = count === 0 ? Math.abs(error) : scale + alpha * (Math.abs(clipped) - scale);
        this.errorCount[m] = count + 1;
      }
      baseline.learn(timestampMs, value, clipped);
    }
    if (Number.isNaN(bestZ)) return 0;
    const clippedZ = Math.max(-50, Math.min(50, bestZ));
    const rawSurprise = Math.max(
      this.spikeSurprise(bestZ),
      this.shift.update(clippedZ),
      this.options.volatilityWindow > 0 ? this.volatility.update(Math.min(clippedZ * clippedZ, 25)) : 0,
    );
    const typical = Math.max(
      this.typical.quantile(this.options.typicalQuantile),
      this.options.recordFactor * this.record,
    );
    // The first points' surprises reflect a baseline still settling, not the series.
    if (this.points > this.options.recordAfterPoints) {
      this.record = Math.max(this.record * this.recordDecay, rawSurprise);
    }
    const surprise =
      this.options.calibration === "ratio"
        ? Math.max(0, rawSurprise / Math.max(typical, 1) - 1)
        : Math.max(0, rawSurprise - typical);
    // Clipped, so one anomaly's own points do not immediately raise the bar for the next one.
    this.typical.add(Math.min(rawSurprise, typical + this.options.typicalStep));
    const over = this.sincePeak - this.options.suppressionPoints;
    const bar = over <= 0 ? this.peak : Math.max(0, this.peak * (1 - over / this.options.suppressionPoints));
    const reported = surprise > bar * (over <= 0 ? this.options.suppressionFactor : 1);
    if (reported) {
      this.peak = surprise;
      this.sincePeak = 0;
    } else this.sincePeak++;
    if (!reported || this.points <= this.warmupPoints) return 0;
    return 1 - Math.pow(2, -surprise / this.options.halfScoreSurprise);
  }

  /** −ln of the density ratio p(z)/p(0) of a Student-t (or normal) residual: the spike statistic. */
  private spikeSurprise(z: number): number {
    const nu = this.options.tailDegreesOfFreedom;
    if (!Number.isFinite(nu)) return Math.max(0, negativeLogUpperTail(Math.abs(z)) - Math.LN2);
    return ((nu + 1) / 2) * Math.log1p((z * z) / nu);
  }

  /** 1% (by default) of the series' spread, so noise-free series do not turn rounding into z-scores. */
  private scaleFloor(value: number): number {
    if (Number.isNaN(this.spreadLevel)) this.spreadLevel = value;
    const deviation = value - this.spreadLevel;
    const alpha = Math.max(this.options.scaleAlpha, 1 / this.points);
    this.spreadLevel += alpha * deviation;
    this.spread += alpha * (Math.abs(deviation) - this.spread);
    return this.options.minRelativeScale * this.spread + 1e-9 * Math.abs(value) + 1e-12;
  }

  /** Sets up the daily and weekly baselines once the sampling step is known (median of early steps). */
  private learnStep(timestampMs: number): void {
    if (this.baselines.length > 1 || Number.isNaN(this.lastMs)) {
      this.lastMs = timestampMs;
      return;
    }
    const diff = timestampMs - this.lastMs;
    this.lastMs = timestampMs;
    if (diff > 0) this.firstDiffs.push(diff);
    if (this.firstDiffs.length < 16) return;
    const sorted = [...this.firstDiffs].sort((a, b) => a - b);
    const stepMs = sorted[sorted.length >> 1]!;
    const perDay = Math.floor(DAY_MS / stepMs);
    if (perDay < 2) return void (this.firstDiffs.length = 0);
    const buckets = Math.min(this.options.maxBucketsPerDay, perDay);
    const { levelAlpha, seasonalGamma } = this.options;
    this.baselines.push(new SeasonalBaseline(DAY_MS, buckets, levelAlpha, seasonalGamma));
    this.baselines.push(new SeasonalBaseline(WEEK_MS, buckets * 7, levelAlpha, seasonalGamma));
    this.errorScale.push(Number.NaN, Number.NaN);
    this.errorCount.push(0, 0);
  }
}
