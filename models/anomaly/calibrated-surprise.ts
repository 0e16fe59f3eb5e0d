import { DecayingQuantile } from "./decaying-quantile.js";

/**
 * An adaptive threshold for one surprise statistic (in nats): by how much a value exceeds a high
 * quantile of the statistic's own recent values, as a ratio (0 = at or below the typical level, 1 = twice
 * it). Values enter the histogram clipped at `stepNats` above the current quantile, so an anomaly's own
 * points raise the bar only slowly.
 */
export class CalibratedSurprise {
  private readonly history: DecayingQuantile;

  constructor(
    private readonly quantile: number,
    forgetting: number,
    private readonly stepNats: number,
  ) {
    // 0.25-nat bins up to 64 nats; beyond that everything shares the open last bin.
    this.history = new DecayingQuantile(0.25, 256, forgetting);
  }

  /** surprise / max(typical, 1 nat) − 1, floored at 0; then `surprise` joins the history. */
  exceedance(surprise: number): number {
    const typical = this.history.quantile(this.quantile);
    this.history.add(Math.min(surprise, typical + this.stepNats));
    return Math.max(0, surprise / Math.max(typical, 1) - 1);
  }
}
