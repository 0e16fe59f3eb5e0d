import type { ArtifactSummary } from "../../../training/registry/model-artifact.js";
import {
  RegistryError,
  RegistryErrorCode,
  type ModelRegistry,
} from "../../../training/registry/model-registry.js";
import type { DecisionRecord } from "../../scaler/scaler-loop.js";
import type { SimulatedCluster } from "../../scaler/simulated-cluster.js";
import { MetricSourceError } from "../../sources/metric-source.js";
import { ApiBackendError, ApiBackendErrorCode } from "../api-backend-error.js";
import type { CapacityStatusView } from "../capacity-status-view.js";
import type {
  DecisionsRequest,
  DependencyCheck,
  ForecastRequest,
  ForecastView,
  HistoryRequest,
  PresageBackend,
  SeriesView,
  TargetSummary,
  TrainingEnqueued,
} from "../presage-backend.js";
import type { CurrentModels } from "./current-models.js";
import type { ForecastCache } from "./forecast-cache.js";
import { FLEET_STEP_SECONDS, type FleetWorkload, type SyntheticFleet } from "./synthetic-fleet.js";

/** What the embedded backend reads and drives; {@link EmbeddedService} wires them. */
export interface EmbeddedBackendParts {
  readonly fleet: SyntheticFleet;
  readonly registry: ModelRegistry;
  readonly currentModels: CurrentModels;
  readonly forecasts: ForecastCache;
  readonly cluster: SimulatedCluster;
  /** Scaler mode of every workload. */
  readonly mode: "shadow" | "active";
  /** The scaler loop's decision log, oldest first. */
  readonly decisionLog: () => readonly DecisionRecord[];
  /** Simulated now: the newest observation is at this time aligned down to the step. */
  readonly nowMs: () => number;
  /** Queues a training job of a workload on the window ending now. */
  readonly enqueueTraining: (target: string) => TrainingEnqueued;
  /** Checks of the running parts (scaler loop, training runner). */
  readonly serviceChecks: () => DependencyCheck[];
  /** Capacity planning (see `EmbeddedCapacity`); without it the capacity routes answer 404. */
  readonly capacity?: () => Promise<CapacityStatusView>;
}

/**
 * `PresageBackend` of the embedded service (`npm start`, `presage serve`): synthetic workloads, a
 * file registry, the scaler loop on a simulated cluster and in-process training. Forecasts come from
 * a {@link ForecastCache}, so repeated requests for the same model, data end, horizon and levels are
 * map lookups.
 */
export class EmbeddedBackend implements PresageBackend {
  readonly capacity: (() => Promise<CapacityStatusView>) | undefined;

  constructor(private readonly parts: EmbeddedBackendParts) {
    this.capacity = parts.capacity;
  }

  async listTargets(): Promise<TargetSummary[]> {
    const summaries: TargetSummary[] = [];
    for (const workload of this.parts.fleet.workloads) summaries.push(await this.summary(workload));
    return summaries;
  }

  async target(name: string): Promise<TargetSummary | undefined> {
    const workload = this.parts.fleet.workload(name);
    return workload === undefined ? undefined : this.summary(workload);
  }

  stepSeconds(name: string): Promise<number | undefined> {
    return Promise.resolve(this.parts.fleet.workload(name) === undefined ? undefined : FLEET_STEP_SECONDS);
  }

  async forecast(name: string, request: ForecastRequest): Promise<ForecastView> {
    const workload = this.known(name);
    const artifact = await this.guard(`read the current model of "${name}"`, () =>
      this.parts.currentModels.current(name),
    );
    if (artifact === undefined) {
      throw new ApiBackendError(ApiBackendErrorCode.noModel, `target "${name}" has no trained model yet`);
    }
    try {
      return await this.parts.forecasts.forecast(artifact, workload.name, this.dataEndMs(), request);
    } catch (error) {
      throw sourceFailure(error, `forecast "${name}"`);
    }
  }

  async history(name: string, request: HistoryRequest): Promise<SeriesView> {
    const workload = this.known(name);
    const stepMs = FLEET_STEP_SECONDS * 1000;
    const endMs = this.dataEndMs();
    const steps = Math.max(1, Math.floor(request.rangeMs / stepMs));
    const series = await this.parts.fleet
      .fetchRange({
        query: workload.name,
        startMs: endMs - (steps - 1) * stepMs,
        endMs,
        stepSeconds: FLEET_STEP_SECONDS,
      })
      .catch((error: unknown) => {
        throw sourceFailure(error, `read the history of "${name}"`);
      });
    const startMs = series.startMs ?? endMs - (steps - 1) * stepMs;
    return {
      target: name,
      stepSeconds: FLEET_STEP_SECONDS,
      timesMs: series.values.map((_, index) => startMs + index * stepMs),
      values: series.values.map((value) => (Number.isFinite(value) ? value : null)),
    };
  }

  decisions(request: DecisionsRequest): Promise<DecisionRecord[]> {
    const log = this.parts.decisionLog();
    const out: DecisionRecord[] = [];
    for (let index = log.length - 1; index >= 0 && out.length < request.limit; index--) {
      const record = log[index]!;
      if (request.sinceMs !== undefined && record.atMs < request.sinceMs) break;
      if (request.target !== undefined && record.target !== request.target && record.hpa !== request.target) {
        continue;
      }
      out.push(record);
    }
    return Promise.resolve(out);
  }

  async models(name: string): Promise<ArtifactSummary[]> {
    this.known(name);
    return this.guard(`list the models of "${name}"`, () => this.parts.registry.listVersions(name));
  }

  async promote(name: string, version: number): Promise<ArtifactSummary> {
    this.known(name);
    await this.guard(`promote version ${version} of "${name}"`, () =>
      this.parts.registry.promote(name, version),
    );
    await this.guard(`read the current model of "${name}"`, () => this.parts.currentModels.refresh(name));
    return this.summaryOf(name, version);
  }

  async rollBack(name: string): Promise<ArtifactSummary | undefined> {
    this.known(name);
    const restored = await this.guard(`roll back "${name}"`, () => this.parts.registry.rollBack(name));
    await this.guard(`read the current model of "${name}"`, () => this.parts.currentModels.refresh(name));
    return restored === undefined ? undefined : this.summaryOf(name, restored.version);
  }

  enqueueTraining(name: string): Promise<TrainingEnqueued> {
    try {
      this.known(name);
      return Promise.resolve(this.parts.enqueueTraining(name));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  async readiness(): Promise<DependencyCheck[]> {
    const checks: DependencyCheck[] = [];
    try {
      await this.parts.registry.targets();
      checks.push({ name: "model registry", ok: true });
    } catch (error) {
      checks.push({
        name: "model registry",
        ok: false,
        detail: error instanceof Error ? error.message : String(error),
      });
    }
    const missing = this.parts.fleet.workloads.filter(
      (workload) => this.parts.currentModels.peek(workload.name) === undefined,
    );
    checks.push(
      missing.length === 0
        ? {
            name: "models",
            ok: true,
            detail: `${this.parts.fleet.workloads.length} targets have a current model`,
          }
        : {
            name: "models",
            ok: false,
            detail: `${missing.length} of ${this.parts.fleet.workloads.length} targets have no current model (${missing
              .slice(0, 3)
              .map((workload) => workload.name)
              .join(", ")}${missing.length > 3 ? ", …" : ""})`,
          },
    );
    checks.push(...this.parts.serviceChecks());
    return checks;
  }

  /** Epoch ms of the newest observation: simulated now, aligned down to the step. */
  private dataEndMs(): number {
    const stepMs = FLEET_STEP_SECONDS * 1000;
    return Math.floor(this.parts.nowMs() / stepMs) * stepMs;
  }

  private known(name: string): FleetWorkload {
    const workload = this.parts.fleet.workload(name);
    if (workload === undefined) {
      throw new ApiBackendError(ApiBackendErrorCode.unknownTarget, `no target named "${name}"`);
    }
    return workload;
  }

  private async summary(workload: FleetWorkload): Promise<TargetSummary> {
    const artifact = await this.guard(`read the current model of "${workload.name}"`, () =>
      this.parts.currentModels.current(workload.name),
    );
    const hpa = this.parts.cluster.hpa(workload.hpa);
    return {
      name: workload.name,
      stepSeconds: FLEET_STEP_SECONDS,
      unit: "requests/s",
      ...(artifact === undefined
        ? {}
        : {
            model: {
              version: artifact.version,
              modelName: artifact.modelName,
              createdAt: artifact.createdAt,
              trainedUntilMs: artifact.dataRange.endMs,
              backtest: artifact.backtest,
            },
          }),
      scaler: {
        hpa: `${workload.hpa.namespace}/${workload.hpa.name}`,
        mode: this.parts.mode,
        podCapacity: workload.podCapacity,
        quantile: 0.9,
        leadMs: 180_000,
        windowMs: 900_000,
        baselineMinReplicas: workload.minReplicas,
        ...(hpa === undefined
          ? {}
          : { floor: hpa.minReplicas, maxReplicas: hpa.maxReplicas, currentReplicas: hpa.currentReplicas }),
      },
    };
  }

  private async summaryOf(name: string, version: number): Promise<ArtifactSummary> {
    const versions = await this.guard(`list the models of "${name}"`, () =>
      this.parts.registry.listVersions(name),
    );
    const summary = versions.find((entry) => entry.version === version);
    if (summary === undefined) {
      throw new ApiBackendError(
        ApiBackendErrorCode.unknownVersion,
        `target "${name}" has no version ${version}`,
      );
    }
    return summary;
  }

  /** Runs a registry operation, turning its failures into `ApiBackendError`s with a stable code. */
  private async guard<T>(what: string, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (error instanceof RegistryError) {
        if (error.code === RegistryErrorCode.unknownVersion) {
          throw new ApiBackendError(ApiBackendErrorCode.unknownVersion, error.message, { cause: error });
        }
        throw new ApiBackendError(ApiBackendErrorCode.unavailable, `cannot ${what}: ${error.message}`, {
          cause: error,
        });
      }
      throw error;
    }
  }
}

/** A metric-source failure the caller may retry becomes `unavailable` (503); anything else stays as it is. */
function sourceFailure(error: unknown, what: string): unknown {
  if (error instanceof MetricSourceError && error.retryable) {
    return new ApiBackendError(ApiBackendErrorCode.unavailable, `cannot ${what}: ${error.message}`, {
      cause: error,
    });
  }
  return error;
}
