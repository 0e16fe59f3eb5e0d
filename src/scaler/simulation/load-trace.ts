/** A regularly sampled load trace to replay. */
export interface LoadTrace {
  /**
   * Load of each step, in one unit (e.g. requests per minute for 60 s steps); `NaN` marks a step that
   * was not measured (a gap). Step `i` covers `[startMs + i·step, startMs + (i + 1)·step)`.
   */
  readonly values: readonly number[];
  readonly stepSeconds: number;
  /** Epoch ms of the start of step 0. */
  readonly startMs: number;
}
