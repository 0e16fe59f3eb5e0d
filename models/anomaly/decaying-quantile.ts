/**
 * A streaming upper quantile of non-negative values with exponential forgetting: a fixed histogram
 * (`binWidth` wide bins from 0 to `binWidth·bins`, the last bin open-ended) whose old counts fade by
 * `forgetting` per observation. O(bins) per query in the worst case, independent of the stream length.
 */
export class DecayingQuantile {
  private readonly counts: Float64Array;
  private total = 0;
  private weight = 1;
  /** Highest bin ever used: queries start there instead of at the top of the histogram. */
  private top = 0;

  constructor(
    private readonly binWidth: number,
    private readonly bins: number,
    private readonly forgetting: number,
  ) {
    this.counts = new Float64Array(bins);
  }

  get mass(): number {
    return this.total / this.weight;
  }

  add(value: number): void {
    if (!(value >= 0)) return;
    // Growing the weight of new observations is the same as shrinking all old ones, but O(1).
    this.weight /= 1 - this.forgetting;
    const bin = Math.min(this.bins - 1, Math.floor(value / this.binWidth));
    if (bin > this.top) this.top = bin;
    this.counts[bin] = this.counts[bin]! + this.weight;
    this.total += this.weight;
    if (this.weight > 1e100) this.rescale();
  }

  /** The value below which a share `p` of the (weighted) observations lies; 0 when empty. */
  quantile(p: number): number {
    if (this.total <= 0) return 0;
    const tailMass = (1 - p) * this.total;
    let above = 0;
    for (let bin = this.top; bin >= 0; bin--) {
      const count = this.counts[bin]!;
      if (above + count >= tailMass && count > 0) {
        // Interpolate inside the bin.
        const inside = (tailMass - above) / count;
        return (bin + 1 - inside) * this.binWidth;
      }
      above += count;
    }
    return 0;
  }

  private rescale(): void {
    for (let bin = 0; bin < this.bins; bin++) this.counts[bin] = this.counts[bin]! / this.weight;
    this.total /= this.weight;
    this.weight = 1;
  }
}
