import type { ArtifactSummary, ModelArtifact, NewModelArtifact } from "./model-artifact.js";

/**
 * Port for storing trained models: Redis in cluster mode, files in embedded mode. Versions are
 * immutable once saved; "current" is a pointer that promote and roll back move.
 */
export interface ModelRegistry {
  /** Stores a new version (not current unless `promote` is called) and returns it with its version. */
  save(artifact: NewModelArtifact): Promise<ModelArtifact>;
  /** Every version of a target, oldest first. */
  listVersions(target: string): Promise<ArtifactSummary[]>;
  get(target: string, version: number): Promise<ModelArtifact | undefined>;
  /** The promoted version, if any. */
  current(target: string): Promise<ModelArtifact | undefined>;
  /** Makes `version` current. Throws `RegistryError` (code `unknownVersion`) when it does not exist. */
  promote(target: string, version: number): Promise<void>;
  /**
   * Makes the version that was current before the present one current again; returns it, or
   * `undefined` when there is nothing to roll back to.
   */
  rollBack(target: string): Promise<ModelArtifact | undefined>;
  /** Names of targets with at least one version. */
  targets(): Promise<string[]>;
  close(): Promise<void>;
}

export const RegistryErrorCode = {
  unknownVersion: "PRESAGE_REGISTRY_UNKNOWN_VERSION",
  unavailable: "PRESAGE_REGISTRY_UNAVAILABLE",
  corrupt: "PRESAGE_REGISTRY_CORRUPT",
} as const;
export type RegistryErrorCode = (typeof RegistryErrorCode)[keyof typeof RegistryErrorCode];

export class RegistryError extends Error {
  override readonly name = "RegistryError";
  constructor(
    readonly code: RegistryErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
