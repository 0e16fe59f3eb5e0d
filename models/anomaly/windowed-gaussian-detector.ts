import type { StreamingAnomalyDetector } from "./anomaly-detector.js";
import { normalUpperTail } from "./normal-tail.js";

/** Options of {@link WindowedGaussianDetector}; the defaults are NAB's. */
export interface WindowedGaussianOptions {
  /**
   * Points in the reference window.
   * @defaultValue 6400
   */
  readonly windowSize?: number;
  /**
   * The window slides by this many points at a time once full.
   * @defaultValue 100
   */
  readonly stepSize?: number;
}

/**
 * NAB's `windowedGaussian` baseline, re-implemented: the score of a point is 1 − Q(|x − μ|/σ) for the
 * mean and population standard deviation of a window of past points (grown to `windowSize`, then slid
 * by `stepSize`); the first point scores 0. Running sums keep the work O(1) per point.
 */
export class WindowedGaussianDetector implements StreamingAnomalyDetector {
  readonly name = "windowedGaussian";
  private readonly windowSize: number;
  private readonly stepSize: number;
  private readonly window: number[] = [];
  private windowStart = 0;
  private readonly stepBuffer: number[] = [];
  /** Sums are of (x − shift), shift = the first value, so a constant window has exactly zero spread. */
  private shift = Number.NaN;
  private sum = 0;
  private sumOfSquares = 0;
  private mean = 0;
  private std = 1;

  constructor(options: WindowedGaussianOptions = {}) {
    this.windowSize = Math.max(1, Math.floor(options.windowSize ?? 6400));
    this.stepSize = Math.max(1, Math.floor(options.stepSize ?? 100));
  }

  update(_timestampMs: number, value: number): number {
    if (!Number.isFinite(value)) return 0;
    if (Number.isNaN(this.shift)) this.shift = value;
    const size = this.window.length - this.windowStart;
    const score = size > 0 ? 1 - normalUpperTail(Math.abs(value - this.mean) / this.std) : 0;
    if (size < this.windowSize) {
      this.window.push(value);
      this.add(value);
      this.refresh();
    } else {
      this.stepBuffer.push(value);
      if (this.stepBuffer.length === this.stepSize) {
        for (let i = 0; i < this.stepSize; i++) {
          const old = this.window[this.windowStart + i]! - this.shift;
          this.sum -= old;
          this.sumOfSquares -= old * old;
        }
        this.windowStart += this.stepSize;
        for (const added of this.stepBuffer) {
          this.window.push(added);
          this.add(added);
        }
        this.stepBuffer.length = 0;
        if (this.windowStart > this.windowSize) {
          this.window.splice(0, this.windowStart);
          this.windowStart = 0;
          this.recomputeSums();
        }
        this.refresh();
      }
    }
    return score;
  }

  private recomputeSums(): void {
    this.sum = 0;
    this.sumOfSquares = 0;
    for (let i = this.windowStart; i < this.window.length; i++) this.add(this.window[i]!);
  }

  private add(value: number): void {
    const shifted = value - this.shift;
    this.sum += shifted;
    this.sumOfSquares += shifted * shifted;
  }

  private refresh(): void {
    const count = this.window.length - this.windowStart;
    const shiftedMean = this.sum / count;
    this.mean = this.shift + shiftedMean;
    const variance = Math.max(0, this.sumOfSquares / count - shiftedMean * shiftedMean);
    this.std = Math.sqrt(variance);
    if (this.std === 0) this.std = 0.000001;
  }
}
