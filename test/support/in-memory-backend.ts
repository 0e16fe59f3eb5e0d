import type { FastifyInstance } from "fastify";
import { buildApiApp } from "../../src/api/api-app.js";
import { ApiBackendError, ApiBackendErrorCode } from "../../src/api/api-backend-error.js";
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
} from "../../src/api/presage-backend.js";
import type { DecisionRecord } from "../../src/scaler/scaler-loop.js";
import type { ArtifactSummary } from "../../training/registry/model-artifact.js";

const STEP_SECONDS = 300;
const DATA_END_MS = Date.UTC(2026, 10, 30, 12);

/**
 * A `PresageBackend` held in memory, for the API's `inject()` tests: two targets (`shop.web` with
 * models v1–v2, v2 current, and a scaler; `batch.jobs` without a model), a few decisions, a forecast
 * that is a deterministic function of the request (cached per request, like the real backends).
 * `failNextWith` makes the next call throw, e.g. `ApiBackendError(unavailable)` or a plain bug.
 */
export class InMemoryBackend implements PresageBackend {
  readonly calls: { method: string; args: unknown[] }[] = [];
  readonly forecastCache = new Map<string, ForecastView>();
  readonly dependencies: DependencyCheck[] = [
    { name: "registry", ok: true },
    { name: "metric source", ok: true },
  ];
  private readonly targets = new Map<string, TargetSummary>();
  private readonly versions = new Map<string, ArtifactSummary[]>();
  private readonly previous = new Map<string, number[]>();
  private readonly decisionLog: DecisionRecord[] = [];
  private readonly jobs = new Set<string>();
  private failure: Error | undefined;

  constructor() {
    this.versions.set("shop.web", [artifact("shop.web", 1, false), artifact("shop.web", 2, true)]);
    this.previous.set("shop.web", [1]);
    this.targets.set("shop.web", {
      name: "shop.web",
      stepSeconds: STEP_SECONDS,
      unit: "requests/s",
      scaler: {
        hpa: "shop/web",
        mode: "active",
        podCapacity: 25,
        quantile: 0.9,
        leadMs: 180_000,
        windowMs: 900_000,
        floor: 4,
        baselineMinReplicas: 2,
        maxReplicas: 40,
        currentReplicas: 5,
      },
    });
    this.targets.set("batch.jobs", { name: "batch.jobs", stepSeconds: 60 });
    for (let index = 0; index < 5; index++) {
      this.decisionLog.push(decision("shop.web", DATA_END_MS - (4 - index) * STEP_SECONDS * 1000, 2 + index));
    }
  }

  /** The next backend call throws `error`. */
  failNextWith(error: Error): void {
    this.failure = error;
  }

  listTargets(): Promise<TargetSummary[]> {
    return this.call("listTargets", [], () => [...this.targets.keys()].map((name) => this.summary(name)));
  }

  target(name: string): Promise<TargetSummary | undefined> {
    return this.call("target", [name], () => (this.targets.has(name) ? this.summary(name) : undefined));
  }

  forecast(name: string, request: ForecastRequest): Promise<ForecastView> {
    return this.call("forecast", [name, request], () => {
      const current = this.known(name).model;
      if (current === undefined) {
        throw new ApiBackendError(ApiBackendErrorCode.noModel, `target "${name}" has no trained model yet`);
      }
      const key = `${name}|${current.version}|${DATA_END_MS}|${request.horizonSteps}|${request.levels.join(",")}`;
      const cached = this.forecastCache.get(key);
      if (cached !== undefined) return cached;
      const stepMs = STEP_SECONDS * 1000;
      const steps = Array.from({ length: request.horizonSteps }, (_, index) => index + 1);
      const mean = steps.map((step) => 400 + 10 * step);
      const view: ForecastView = {
        target: name,
        model: current.modelName,
        modelVersion: current.version,
        stepSeconds: STEP_SECONDS,
        dataEndMs: DATA_END_MS,
        timesMs: steps.map((step) => DATA_END_MS + step * stepMs),
        mean,
        intervals: request.levels.map((level) => ({
          level,
          lower: mean.map((value) => value - level),
          upper: mean.map((value) => value + level),
        })),
        notes: [],
        computedAtMs: Date.now(),
      };
      this.forecastCache.set(key, view);
      return view;
    });
  }

  history(name: string, request: HistoryRequest): Promise<SeriesView> {
    return this.call("history", [name, request], () => {
      const target = this.known(name);
      const stepMs = target.stepSeconds * 1000;
      const count = Math.floor(request.rangeMs / stepMs);
      const timesMs = Array.from({ length: count }, (_, index) => DATA_END_MS - (count - 1 - index) * stepMs);
      return {
        target: name,
        stepSeconds: target.stepSeconds,
        timesMs,
        values: timesMs.map((_, index) => (index === 1 ? null : 300 + index)),
      };
    });
  }

  decisions(request: DecisionsRequest): Promise<DecisionRecord[]> {
    return this.call("decisions", [request], () =>
      this.decisionLog
        .filter(
          (record) =>
            (request.target === undefined ||
              record.target === request.target ||
              record.hpa === request.target) &&
            (request.sinceMs === undefined || record.atMs >= request.sinceMs),
        )
        .reverse()
        .slice(0, request.limit),
    );
  }

  models(name: string): Promise<ArtifactSummary[]> {
    return this.call("models", [name], () => {
      this.known(name);
      return [...(this.versions.get(name) ?? [])];
    });
  }

  promote(name: string, version: number): Promise<ArtifactSummary> {
    return this.call("promote", [name, version], () => {
      this.known(name);
      const list = this.versions.get(name) ?? [];
      if (!list.some((entry) => entry.version === version)) {
        throw new ApiBackendError(
          ApiBackendErrorCode.unknownVersion,
          `target "${name}" has no version ${version}`,
        );
      }
      const current = list.find((entry) => entry.current);
      if (current !== undefined && current.version !== version) {
        this.previous.set(name, [...(this.previous.get(name) ?? []), current.version]);
      }
      return this.makeCurrent(name, version);
    });
  }

  rollBack(name: string): Promise<ArtifactSummary | undefined> {
    return this.call("rollBack", [name], () => {
      this.known(name);
      const back = this.previous.get(name)?.pop();
      return back === undefined ? undefined : this.makeCurrent(name, back);
    });
  }

  enqueueTraining(name: string): Promise<TrainingEnqueued> {
    return this.call("enqueueTraining", [name], () => {
      this.known(name);
      const jobId = `train-${name}-${DATA_END_MS}`;
      const queued = !this.jobs.has(jobId);
      this.jobs.add(jobId);
      return { target: name, jobId, queued };
    });
  }

  readiness(): Promise<DependencyCheck[]> {
    return this.call("readiness", [], () => this.dependencies.map((check) => ({ ...check })));
  }

  private call<T>(method: string, args: unknown[], body: () => T): Promise<T> {
    this.calls.push({ method, args });
    const failure = this.failure;
    this.failure = undefined;
    if (failure !== undefined) return Promise.reject(failure);
    try {
      return Promise.resolve(body());
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private known(name: string): TargetSummary {
    if (!this.targets.has(name)) {
      throw new ApiBackendError(ApiBackendErrorCode.unknownTarget, `no target named "${name}"`);
    }
    return this.summary(name);
  }

  private summary(name: string): TargetSummary {
    const target = this.targets.get(name)!;
    const current = this.versions.get(name)?.find((entry) => entry.current);
    return current === undefined
      ? target
      : {
          ...target,
          model: {
            version: current.version,
            modelName: current.modelName,
            createdAt: current.createdAt,
            trainedUntilMs: current.dataRange.endMs,
            backtest: current.backtest,
          },
        };
  }

  private makeCurrent(name: string, version: number): ArtifactSummary {
    const list = (this.versions.get(name) ?? []).map((entry) => ({
      ...entry,
      current: entry.version === version,
    }));
    this.versions.set(name, list);
    return list.find((entry) => entry.version === version)!;
  }
}

function artifact(target: string, version: number, current: boolean): ArtifactSummary {
  return {
    target,
    version,
    createdAt: new Date(DATA_END_MS - (3 - version) * 86_400_000).toISOString(),
    codeVersion: "presage 0.1.0 (test)",
    modelKind: "auto",
    modelName: version === 1 ? "snaive(288)" : "auto[mstl(288,2016;log)+snaive(2016)]",
    dataRange: {
      startMs: DATA_END_MS - 14 * 86_400_000,
      endMs: DATA_END_MS - (3 - version) * 86_400_000,
      stepSeconds: STEP_SECONDS,
      points: 4032,
      missing: 0,
    },
    backtest: {
      horizonSteps: 6,
      originsMs: [DATA_END_MS - 86_400_000],
      mase: version === 1 ? 0.9 : Number.NaN,
      smape: 5.1,
      coverage80: 0.8,
      coverage95: 0.95,
    },
    decision: {
      promoted: true,
      reason: `v${version} beats the champion`,
      decidedAt: new Date(DATA_END_MS).toISOString(),
    },
    current,
  };
}

function decision(target: string, atMs: number, floor: number): DecisionRecord {
  return {
    atMs,
    target,
    hpa: "shop/web",
    mode: "active",
    leader: true,
    acting: true,
    currentFloor: floor - 1,
    baselineMinReplicas: 2,
    maxReplicas: 40,
    currentReplicas: floor,
    outage: false,
    decision: { floor, reason: "raise", detail: `forecast asks ${floor}, raised ${floor - 1} → ${floor}` },
    forecast: {
      requiredReplicas: floor,
      peakLoad: floor * 25,
      quantile: 0.9,
      model: "auto",
      modelVersion: 2,
      dataEndMs: atMs,
      fromStep: 1,
      toStep: 4,
    },
    change: { previousMinReplicas: floor - 1, minReplicas: floor, changed: true },
  };
}

/** Tokens of {@link buildInMemoryApi}. */
export const TEST_TOKENS = {
  read: "read-token-0123456789abcdef",
  admin: "admin-token-0123456789abcdef",
} as const;

/** The API app over a fresh {@link InMemoryBackend}, with a read and an admin token. */
export async function buildInMemoryApi(
  options: Partial<Omit<Parameters<typeof buildApiApp>[0], "backend">> = {},
): Promise<{ app: FastifyInstance; backend: InMemoryBackend }> {
  const backend = new InMemoryBackend();
  const app = await buildApiApp({
    backend,
    tokens: [
      { name: "reader", role: "read", token: TEST_TOKENS.read },
      { name: "operator", role: "admin", token: TEST_TOKENS.admin },
    ],
    rateLimit: { requestsPerSecond: 0 },
    ...options,
  });
  return { app, backend };
}

/** `Authorization` header of a test token. */
export function bearer(role: keyof typeof TEST_TOKENS): { authorization: string } {
  return { authorization: `Bearer ${TEST_TOKENS[role]}` };
}
