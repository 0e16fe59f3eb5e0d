import { ConfigError } from "../src/config/presage-config.js";
import { MetricSourceError } from "../src/sources/metric-source.js";
import { TrainingError } from "../training/pipeline/training-error.js";
import { RegistryError, RegistryErrorCode } from "../training/registry/model-registry.js";

/** Stable codes of training-job failures that are about the job itself. */
export const TrainJobErrorCode = {
  /** The job data does not match the payload schema. */
  invalidPayload: "PRESAGE_JOB_INVALID_PAYLOAD",
  /** The job names a target that is not in the configuration (removed or misspelt). */
  unknownTarget: "PRESAGE_JOB_UNKNOWN_TARGET",
  /** The job was interrupted by a shutdown before it finished; it runs again. */
  interrupted: "PRESAGE_JOB_INTERRUPTED",
} as const;
export type TrainJobErrorCode = (typeof TrainJobErrorCode)[keyof typeof TrainJobErrorCode];

/** A training job that is wrong in itself (bad payload, unknown target) or was interrupted. */
export class TrainJobError extends Error {
  override readonly name = "TrainJobError";
  constructor(
    readonly code: TrainJobErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  /** Only an interruption is worth another try; a bad payload or unknown target stays bad. */
  get retryable(): boolean {
    return this.code === TrainJobErrorCode.interrupted;
  }
}

/** How a failed training attempt is handled: retried with backoff, or failed for good. */
export interface TrainFailure {
  readonly retryable: boolean;
  /** Stable code for metrics and logs (`PRESAGE_…`, or `unexpected` for errors without one). */
  readonly code: string;
  readonly message: string;
}

/**
 * Classifies an error thrown while training. Non-retryable: training errors and metric-source errors
 * that say so (insufficient history, bad PromQL), configuration errors, bad payloads and unknown
 * targets, a corrupt registry entry. Everything else (source or registry unavailable, unexpected
 * errors) is retried: attempts are bounded, and a transient outage must not lose a training window.
 */
export function classifyTrainFailure(error: unknown): TrainFailure {
  const message = error instanceof Error ? error.message : String(error);
  if (
    error instanceof TrainJobError ||
    error instanceof TrainingError ||
    error instanceof MetricSourceError
  ) {
    return { retryable: error.retryable, code: error.code, message };
  }
  if (error instanceof ConfigError) return { retryable: false, code: "PRESAGE_CONFIG_INVALID", message };
  if (error instanceof RegistryError) {
    return { retryable: error.code === RegistryErrorCode.unavailable, code: error.code, message };
  }
  return { retryable: true, code: "unexpected", message };
}
