import { negativeLogUpperTail } from "./normal-tail.js";

/**
 * How surprising the average of the last `window` inputs is against the long-term distribution of that
 * same average (exponentially weighted mean and variance): −ln of the two-sided normal tail, in nats.
 * The idea of HTM's anomaly likelihood, applied to any per-point statistic. O(1) per point.
 */
export class MovingAverageSurprise {
  private readonly ring: Float64Array;
  private at = 0;
  private count = 0;
  private sum = 0;
  private longMean = 0;
  private longVariance = 0;
  private longCount = 0;

  constructor(
    private readonly window: number,
    private readonly longAlpha: number,
    /** Averages seen before the reference is trusted (surprise 0 until then). */
    private readonly minHistory: number,
    /** Only rises (one-sided) count, e.g. for a volatility statistic. */
    private readonly upperOnly: boolean,
  ) {
    this.ring = new Float64Array(Math.max(1, window));
  }

  /** Adds one input and returns the surprise of the updated average. */
  update(input: number): number {
    const window = this.ring.length;
    if (this.count === window) this.sum -= this.ring[this.at]!;
    else this.count++;
    this.ring[this.at] = input;
    this.sum += input;
    this.at = (this.at + 1) % window;
    if (this.count < window) return 0;
    const average = this.sum / window;
    const deviation = average - this.longMean;
    const sd = Math.sqrt(this.longVariance);
    let surprise = 0;
    if (this.longCount >= this.minHistory && sd > 0) {
      const z = deviation / sd;
      if (!this.upperOnly) surprise = Math.max(0, negativeLogUpperTail(Math.abs(z)) - Math.LN2);
      else if (z > 0) surprise = negativeLogUpperTail(z);
    }
    const alpha = Math.max(this.longAlpha, 1 / (this.longCount + 1));
    this.longCount++;
    this.longMean += alpha * deviation;
    this.longVariance = (1 - alpha) * (this.longVariance + alpha * deviation * deviation);
    return surprise;
  }
}
