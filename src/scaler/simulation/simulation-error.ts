/** Stable codes of replay-simulator failures. */
export const SimulationErrorCode = {
  /** An option is outside its rules; the message names every such option, its value and the rule. */
  invalidOptions: "PRESAGE_SIMULATION_INVALID_OPTIONS",
  /** The load trace cannot be replayed (empty, no measured value, too short for the warm-up). */
  invalidTrace: "PRESAGE_SIMULATION_INVALID_TRACE",
} as const;
export type SimulationErrorCode = (typeof SimulationErrorCode)[keyof typeof SimulationErrorCode];

/** A replay that cannot run as asked; wrap any underlying error as `cause`. */
export class SimulationError extends Error {
  override readonly name = "SimulationError";
  constructor(
    readonly code: SimulationErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
