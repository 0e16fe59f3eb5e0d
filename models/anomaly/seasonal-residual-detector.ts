import type { AnomalyDetectorContext, StreamingAnomalyDetector } from "./anomaly-detector.js";
import { CalibratedSurprise } from "./calibrated-surprise.js";
import { MovingAverageSurprise } from "./moving-average-surprise.js";
import { negativeLogUpperTail } from "./normal-tail.js";
import { SeasonalBaseline } from "./seasonal-baseline.js";
import { ModelError, ModelErrorCode } from "../errors.js";

/**
 * Options of {@link SeasonalResidualDetector}. The defaults are one global set, chosen on the shared NAB
 * subset (25 files) as a whole — never per series or per file, as NAB's rules require.
 */
export interface SeasonalResidualOptions {
  /**
   * Smoothing of the deseasonalised level of each baseline.
   * @defaultValue 0.05
   */
  readonly levelAlpha?: number;
  /**
   * Smoothing of the seasonal profile (per visit of a phase bucket).
   * @defaultValue 0.1
   */
  readonly seasonalGamma?: number;
  /**
   * Smoothing of each baseline's mean absolute error, which sets the residual scale and picks the
   * baseline that predicts best.
   * @defaultValue 0.005
   */
  readonly scaleAlpha?: number;
  /**
   * Errors are clipped at this many scales before the baselines learn from them (a spike does not
   * drag the level or the profile).
   * @defaultValue 4
   */
  readonly clipScales?: number;
  /**
   * Errors a baseline must have made before it may be chosen (its error scale is a plain mean until
   * then), so a fresh seasonal profile does not win on one lucky error.
   * @defaultValue 50
   */
  readonly minErrors?: number;
  /**
   * Smallest residual scale as a share of the series' own spread (mean absolute deviation from its
   * level): residuals below 1% of the spread are never anomalous, even on noise-free series.
   * @defaultValue 0.01
   */
  readonly minRelativeScale?: number;
  /**
   * Degrees of freedom of the Student-t density that turns a residual z into spike surprise; heavy
   * tails keep the large but ordinary outliers of real metrics from looking astronomically unlikely.
   * `Infinity` = normal tail.
   * @defaultValue 10
   */
  readonly tailDegreesOfFreedom?: number;
  /**
   * Points in the moving average of z whose departure from its long-term distribution reveals a level
   * shift (HTM's anomaly-likelihood idea).
   * @defaultValue 16
   */
  readonly shortWindow?: number;
  /**
   * Points in the moving average of min(z², 25) whose rise reveals more volatile or denser spikes than
   * usual; 0 disables it.
   * @defaultValue 32
   */
  readonly volatilityWindow?: number;
  /**
   * Smoothing of the long-term mean and variance of those moving averages.
   * @defaultValue 0.0005
   */
  readonly longAlpha?: number;
  /**
   * Adaptive threshold: each statistic (spike, shift, volatility) counts only by how far it exceeds this
   * quantile of its own recent values, so series with heavy-tailed residuals do not flood the reports.
   * @defaultValue 0.995
   */
  readonly typicalQuantile?: number;
  /**
   * Forgetting per point of the histograms behind `typicalQuantile`.
   * @defaultValue 0.0005
   */
  readonly typicalForgetting?: number;
  /**
   * Largest step (nats) above the current typical value that one point adds to its histogram.
   * @defaultValue 2
   */
  readonly typicalStep?: number;
  /**
   * After a report, later points must beat the reported exceedance by `suppressionFactor` for this
   * many points, then a bar decaying to 0 over as many again: one anomaly is reported once, not on every
   * point of it.
   * @defaultValue `suppressionShareOfWarmup` × the warm-up length
   */
  readonly suppressionPoints?: number;
  /**
   * When `suppressionPoints` is not given: this share of the warm-up length (NAB: of the probationary
   * period, which scales with the file — HTM sizes its likelihood windows from it too).
   * @defaultValue 0.2
   */
  readonly suppressionShareOfWarmup?: number;
  /**
   * While suppressed, a point is reported only when its exceedance is this many times the held peak,
   * so a sustained anomaly that keeps growing is reported a few times, not on every point.
   * @defaultValue 2
   */
  readonly suppressionFactor?: number;
  /**
   * Exceedance that maps to score 0.5 (score = 1 − 2^(−exceedance / this)); any increasing map gives
   * the same NAB result, this one spreads typical reports over (0, 1).
   * @defaultValue 1
   */
  readonly halfScoreExceedance?: number;
  /** Phase buckets per day at most. @defaultValue 288 */
  readonly maxBucketsPerDay?: number;
}

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
/** Mean absolute deviation → standard deviation for normal errors. */
const MAD_TO_SIGMA = Math.sqrt(Math.PI / 2);

/**
 * Seasonal-residual anomaly detector for error-rate, latency and throughput style series.
 *
 * 1. Three streaming baselines predict each point: an EW level, and daily and weekly Holt–Winters
 *    profiles on clock phases (timestamps, so gaps and irregular sampling keep them aligned). The
 *    baseline with the smallest recent mean absolute error supplies a standardised residual z.
 * 2. Three surprise statistics (nats): spike (Student-t density of z), shift (moving average of z
 *    against its long-term distribution) and volatility (moving average of z² likewise).
 * 3. Adaptive thresholds: each statistic is divided by a high quantile of its own recent values
 *    (exceedance = ratio − 1), so what is normal for this series is not reported.
 * 4. Suppression: a report raises a bar that later points must beat (by `suppressionFactor`), held
 *    and then decaying — one report per anomaly. Change detection around deployments is the shift
 *    statistic: a level shift is reported at its first points.
 *
 * O(1) work per point (the quantile histograms have a fixed 256 bins). Scores are 0 except at reports.
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
  private peak = 0;
  private sincePeak = 0;
  private readonly spikeCalibration: CalibratedSurprise;
  private readonly shiftCalibration: CalibratedSurprise;
  private readonly volatilityCalibration: CalibratedSurprise;
  private spreadLevel = Number.NaN;
  private spread = 0;

  constructor(options: SeasonalResidualOptions = {}, context: AnomalyDetectorContext = {}) {
    this.options = {
      levelAlpha: options.levelAlpha ?? 0.05,
      seasonalGamma: options.seasonalGamma ?? 0.1,
      scaleAlpha: options.scaleAlpha ?? 0.005,
      clipScales: options.clipScales ?? 4,
      shortWindow: Math.max(1, Math.floor(options.shortWindow ?? 16)),
      longAlpha: options.longAlpha ?? 0.0005,
      volatilityWindow: Math.max(0, Math.floor(options.volatilityWindow ?? 32)),
      suppressionPoints: Math.max(
        1,
        options.suppressionPoints ??
          Math.round((options.suppressionShareOfWarmup ?? 0.2) * (context.warmupPoints ?? 750)),
      ),
      suppressionShareOfWarmup: options.suppressionShareOfWarmup ?? 0.2,
      suppressionFactor: options.suppressionFactor ?? 2,
      minErrors: options.minErrors ?? 50,
      halfScoreExceedance: options.halfScoreExceedance ?? 1,
      maxBucketsPerDay: options.maxBucketsPerDay ?? 288,
      typicalQuantile: options.typicalQuantile ?? 0.995,
      typicalForgetting: options.typicalForgetting ?? 0.0005,
      typicalStep: options.typicalStep ?? 2,
      minRelativeScale: options.minRelativeScale ?? 0.01,
      tailDegreesOfFreedom: options.tailDegreesOfFreedom ?? 10,
    };
    validateOptions(this.options);
    this.warmupPoints = Math.max(0, context.warmupPoints ?? 750);
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
    const { typicalQuantile, typicalForgetting, typicalStep } = this.options;
    this.spikeCalibration = new CalibratedSurprise(typicalQuantile, typicalForgetting, typicalStep);
    this.shiftCalibration = new CalibratedSurprise(typicalQuantile, typicalForgetting, typicalStep);
    this.volatilityCalibration = new CalibratedSurprise(typicalQuantile, typicalForgetting, typicalStep);
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
    const spike = this.spikeCalibration.exceedance(this.spikeSurprise(bestZ));
    const shift = this.shiftCalibration.exceedance(this.shift.update(clippedZ));
    const volatility =
      this.options.volatilityWindow > 0
        ? this.volatilityCalibration.exceedance(this.volatility.update(Math.min(clippedZ * clippedZ, 25)))
        : 0;
    const exceedance = Math.max(spike, shift, volatility);
    const over = this.sincePeak - this.options.suppressionPoints;
    const bar = over <= 0 ? this.peak : Math.max(0, this.peak * (1 - over / this.options.suppressionPoints));
    const reported = exceedance > bar * (over <= 0 ? this.options.suppressionFactor : 1);
    if (reported) {
      this.peak = exceedance;
      this.sincePeak = 0;
    } else this.sincePeak++;
    if (!reported || this.points <= this.warmupPoints) return 0;
    return 1 - Math.pow(2, -exceedance / this.options.halfScoreExceedance);
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

/** Every out-of-range option at once, each with field, value and rule. */
function validateOptions(options: Required<SeasonalResidualOptions>): void {
  const problems: string[] = [];
  const inOpenUnit = [
    "levelAlpha",
    "seasonalGamma",
    "scaleAlpha",
    "longAlpha",
    "typicalQuantile",
    "typicalForgetting",
  ] as const;
  for (const field of inOpenUnit) {
    const value = options[field];
    if (!(value > 0 && value < 1)) problems.push(`${field} (${value}) must be in (0, 1)`);
  }
  const positive = [
    "clipScales",
    "typicalStep",
    "suppressionFactor",
    "halfScoreExceedance",
    "tailDegreesOfFreedom",
  ] as const;
  for (const field of positive) {
    const value = options[field];
    if (!(value > 0)) problems.push(`${field} (${value}) must be > 0`);
  }
  if (!(options.minRelativeScale >= 0)) {
    problems.push(`minRelativeScale (${options.minRelativeScale}) must be ≥ 0`);
  }
  if (!(options.maxBucketsPerDay >= 1))
    problems.push(`maxBucketsPerDay (${options.maxBucketsPerDay}) must be ≥ 1`);
  if (!(options.minErrors >= 1)) problems.push(`minErrors (${options.minErrors}) must be ≥ 1`);
  if (problems.length > 0) throw new ModelError(ModelErrorCode.invalidOption, problems.join("; "));
}
