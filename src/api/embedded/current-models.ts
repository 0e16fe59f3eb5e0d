import type { ModelArtifact } from "../../../training/registry/model-artifact.js";
import type { ModelRegistry } from "../../../training/registry/model-registry.js";

/**
 * The registry's current model of each target, kept in memory: the API and the scaler loop ask for
 * it on every request and tick, and in embedded mode every change of the current pointer goes
 * through this process (promote, roll back, training), which calls {@link refresh} after it.
 */
export class CurrentModels {
  private readonly entries = new Map<string, ModelArtifact | null>();

  constructor(private readonly registry: Pick<ModelRegistry, "current">) {}

  /** The current model (read from the registry on first use). */
  async current(target: string): Promise<ModelArtifact | undefined> {
    const entry = this.entries.get(target);
    if (entry !== undefined) return entry ?? undefined;
    return this.refresh(target);
  }

  /** The cached current model without a registry read; undefined when unknown or none. */
  peek(target: string): ModelArtifact | undefined {
    return this.entries.get(target) ?? undefined;
  }

  /** Reads the current model again (after the pointer moved). */
  async refresh(target: string): Promise<ModelArtifact | undefined> {
    const artifact = await this.registry.current(target);
    this.entries.set(target, artifact ?? null);
    return artifact;
  }
}
