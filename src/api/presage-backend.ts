import type { ArtifactSummary, BacktestSummary } from "../../training/registry/model-artifact.js";
import type { DecisionRecord } from "../scaler/scaler-loop.js";
import type { CapacityStatusView } from "./capacity-status-view.js";

/**
 * The port the HTTP API serves: everything the routes read or change, behind one small interface so
 * the Fastify app knows nothing of Prometheus, Redis, Kubernetes or the simulated cluster. The
 * embedded composition (`npm start`) and the in-cluster one implement it; tests use an in-memory one.
 * Methods throw `ApiBackendError` (api-backend-error.ts) with a stable code for known failures.
 */
export interface PresageBackend {
  /** Every target the service knows: configured, trained or scaled. */
  listTargets(): Promise<TargetSummary[]>;
  /** One target, or undefined when unknown. */
  target(name: string): Promise<TargetSummary | undefined>;
  /**
   * The target's step (seconds between samples), or undefined when unknown: the existence check of
   * the hot forecast route, which needs nothing else of the target. Optional: without it the routes
   * ask {@link PresageBackend.target}, which builds the whole summary.
   */
  stepSeconds?(name: string): Promise<number | undefined>;
  /**
   * The forecast of the target's current model from its newest data, `horizonSteps` steps ahead, with
   * one interval per level. Implementations cache by (target, model version, data end, horizon,
   * levels) so repeated calls are cheap and a new model or new data recomputes.
   */
  forecast(name: string, request: ForecastRequest): Promise<ForecastView>;
  /** Observed history of the target's load over the last `rangeMs`, for plotting. */
  history(name: string, request: HistoryRequest): Promise<SeriesView>;
  /** Scaling decisions, newest first. */
  decisions(request: DecisionsRequest): Promise<DecisionRecord[]>;
  /** Every stored model version of a target, oldest first. */
  models(name: string): Promise<ArtifactSummary[]>;
  /** Makes `version` current (admin). */
  promote(name: string, version: number): Promise<ArtifactSummary>;
  /** Makes the previously current version current again (admin); undefined when there is none. */
  rollBack(name: string): Promise<ArtifactSummary | undefined>;
  /** Enqueues a retraining job (admin): a BullMQ job in cluster mode, an in-process one embedded. */
  enqueueTraining(name: string): Promise<TrainingEnqueued>;
  /** Dependencies and whether each is usable now (Redis, Prometheus, registry, Kubernetes…). */
  readiness(): Promise<DependencyCheck[]>;
  /**
   * Capacity planning as last planned: per capacity target the runway (p50/p90), daily usage and the
   * forecast with its 80% band, the backtest, the ticket and the accuracy ledger. Optional: a backend
   * without capacity planning leaves it out, and the capacity routes answer 404
   * `PRESAGE_API_CAPACITY_DISABLED`.
   */
  capacity?(): Promise<CapacityStatusView>;
}

/** A target as listed by the API. */
export interface TargetSummary {
  readonly name: string;
  /** Seconds between samples of the target's series. */
  readonly stepSeconds: number;
  /** Unit of the load, e.g. "requests/s". */
  readonly unit?: string;
  /** The current model, when one is trained. */
  readonly model?: ModelInfo;
  /** Scaler settings, when the target is scaled. */
  readonly scaler?: ScalerInfo;
}

export interface ModelInfo {
  readonly version: number;
  readonly modelName: string;
  readonly createdAt: string;
  /** Epoch ms of the newest training sample. */
  readonly trainedUntilMs: number;
  readonly backtest: BacktestSummary;
}

export interface ScalerInfo {
  /** `namespace/name` of the HPA. */
  readonly hpa: string;
  readonly mode: "shadow" | "active";
  readonly podCapacity: number;
  readonly quantile: number;
  readonly leadMs: number;
  readonly windowMs: number;
  /** The floor in force now (minReplicas as last decided), when known. */
  readonly floor?: number;
  readonly baselineMinReplicas?: number;
  readonly maxReplicas?: number;
  readonly currentReplicas?: number;
}

export interface ForecastRequest {
  readonly horizonSteps: number;
  /** Confidence levels in percent, each 50 ≤ level < 100. */
  readonly levels: readonly number[];
}

/** A forecast as served: times are explicit so clients need no step arithmetic. */
export interface ForecastView {
  readonly target: string;
  readonly model: string;
  readonly modelVersion: number;
  readonly stepSeconds: number;
  /** Epoch ms of the newest observation the forecast starts from. */
  readonly dataEndMs: number;
  /** Epoch ms of each forecast step (dataEndMs + k·step, k = 1…horizonSteps). */
  readonly timesMs: readonly number[];
  readonly mean: readonly number[];
  readonly intervals: readonly { level: number; lower: readonly number[]; upper: readonly number[] }[];
  readonly notes: readonly string[];
  /** When this forecast was computed (epoch ms); unchanged while served from cache. */
  readonly computedAtMs: number;
}

export interface HistoryRequest {
  readonly rangeMs: number;
}

export interface SeriesView {
  readonly target: string;
  readonly stepSeconds: number;
  readonly timesMs: readonly number[];
  /** Observed values; null where the sample is missing. */
  readonly values: readonly (number | null)[];
}

export interface DecisionsRequest {
  readonly target?: string;
  /** Newest first, at most this many. */
  readonly limit: number;
  /** Only decisions at or after this epoch ms. */
  readonly sinceMs?: number;
}

export interface TrainingEnqueued {
  readonly target: string;
  readonly jobId: string;
  /** False when an identical job (same target and window) was already queued or done. */
  readonly queued: boolean;
}

export interface DependencyCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail?: string;
}
