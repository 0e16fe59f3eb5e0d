/** Stable codes of failure-predictor errors. */
export const PredictionErrorCode = {
  /** A prediction names a runbook that is not loaded, or one that does not match its alert. */
  runbookMismatch: "PRESAGE_PREDICTION_RUNBOOK_MISMATCH",
} as const;
export type PredictionErrorCode = (typeof PredictionErrorCode)[keyof typeof PredictionErrorCode];

/** A failure-predictor error with a stable code. */
export class PredictionError extends Error {
  override readonly name = "PredictionError";
  constructor(
    readonly code: PredictionErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
