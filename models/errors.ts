/** Stable codes for model errors; callers branch on `code`, never on message text. */
export const ModelErrorCode = {
  insufficientData: "PRESAGE_MODEL_INSUFFICIENT_DATA",
  invalidOption: "PRESAGE_MODEL_INVALID_OPTION",
  invalidState: "PRESAGE_MODEL_INVALID_STATE",
  fitFailed: "PRESAGE_MODEL_FIT_FAILED",
} as const;
export type ModelErrorCode = (typeof ModelErrorCode)[keyof typeof ModelErrorCode];

export class ModelError extends Error {
  override readonly name = "ModelError";
  constructor(
    readonly code: ModelErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export function assertHorizon(horizonSteps: number): void {
  if (!Number.isInteger(horizonSteps) || horizonSteps < 1) {
    throw new ModelError(
      ModelErrorCode.invalidOption,
      `horizonSteps (${horizonSteps}) must be an integer ≥ 1`,
    );
  }
}
