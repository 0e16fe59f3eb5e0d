/** Stable codes for training failures. */
export const TrainingErrorCode = {
  /** Too little history to backtest at the horizon: retrying now will not help. */
  insufficientHistory: "PRESAGE_TRAINING_INSUFFICIENT_HISTORY",
  /** Too much of the history is missing to trust a model. */
  tooManyMissing: "PRESAGE_TRAINING_TOO_MANY_MISSING",
  /** The input is malformed (no timestamps, bad target settings). */
  invalidInput: "PRESAGE_TRAINING_INVALID_INPUT",
} as const;
export type TrainingErrorCode = (typeof TrainingErrorCode)[keyof typeof TrainingErrorCode];

/** A training run that cannot succeed with this input; `retryable` tells job runners whether to retry. */
export class TrainingError extends Error {
  override readonly name = "TrainingError";
  constructor(
    readonly code: TrainingErrorCode,
    message: string,
    readonly retryable = false,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
