/**
 * A streaming anomaly detector for one series. Each `update` does O(1) work and returns the point's
 * anomaly score in [0, 1] (higher = more anomalous); scores are meant to be compared with one threshold
 * across many series, so detectors calibrate them (tail probabilities rather than raw distances).
 */
export interface StreamingAnomalyDetector {
  /** Catalogue name of the detector family, e.g. `presage`, `windowedGaussian`. */
  readonly name: string;
  /**
   * Feeds the next point. A missing value (`NaN`, ±Infinity) is a gap: the state is left alone and the
   * score is 0. Timestamps need not be regular; seasonal detectors use them for the phase of the day/week.
   */
  update(timestampMs: number, value: number): number;
}

/** What a detector may know about the stream before it starts. */
export interface AnomalyDetectorContext {
  /**
   * Points at the start used to learn without reporting (NAB's probationary period: min(15% of the
   * file, 750)); detectors return low scores during it.
   * @defaultValue 750
   */
  readonly warmupPoints?: number;
}
