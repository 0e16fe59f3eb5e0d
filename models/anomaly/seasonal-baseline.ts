/**
 * A streaming one-step predictor with one seasonal profile (Holt–Winters without trend, additive): a
 * deseasonalised level plus a value per phase bucket of the period. Phases come from timestamps, so
 * irregular sampling and gaps keep the profile aligned with the clock. O(1) per point.
 */
export class SeasonalBaseline {
  private readonly profile: Float64Array;
  private readonly seen: Uint8Array;
  private level = Number.NaN;
  private firstMs = Number.NaN;

  constructor(
    /** Length of the season; 0 = no season (an exponentially weighted level). */
    readonly periodMs: number,
    private readonly buckets: number,
    private readonly levelAlpha: number,
    private readonly seasonalGamma: number,
  ) {
    this.profile = new Float64Array(Math.max(1, buckets));
    this.seen = new Uint8Array(Math.max(1, buckets));
    if (periodMs <= 0) this.seen[0] = 1;
  }

  /** Whether one full period has passed, so every phase has been visited at least once (if sampled). */
  ready(timestampMs: number): boolean {
    return !Number.isNaN(this.firstMs) && timestampMs - this.firstMs >= this.periodMs;
  }

  /** The prediction for a point at `timestampMs`, before seeing it; `NaN` before the first point. */
  predict(timestampMs: number): number {
    if (Number.isNaN(this.level)) return Number.NaN;
    const bucket = this.bucketOf(timestampMs);
    return this.level + (this.seen[bucket] === 1 ? this.profile[bucket]! : 0);
  }

  /** Learns from the point; `error` is the robustified one-step error to adapt with. */
  learn(timestampMs: number, value: number, error: number): void {
    if (Number.isNaN(this.level)) {
      this.level = value;
      this.firstMs = timestampMs;
      return;
    }
    const bucket = this.bucketOf(timestampMs);
    if (this.seen[bucket] !== 1) {
      this.seen[bucket] = 1;
      this.profile[bucket] = value - this.level;
      return;
    }
    this.level += this.levelAlpha * error;
    const seasonal = this.profile[bucket]!;
    // The clipped error moves the profile too: `value − level − seasonal` would let one spike in.
    if (this.periodMs > 0)
      this.profile[bucket] = seasonal + this.seasonalGamma * (1 - this.levelAlpha) * error;
  }

  private bucketOf(timestampMs: number): number {
    if (this.periodMs <= 0 || this.buckets <= 1) return 0;
    const phase = ((timestampMs % this.periodMs) + this.periodMs) % this.periodMs;
    // Integer milliseconds times the bucket count stay exact in a double, so samples on bucket edges
    // are never split across two buckets by rounding.
    return Math.min(this.buckets - 1, Math.floor((Math.round(phase) * this.buckets) / this.periodMs));
  }
}
