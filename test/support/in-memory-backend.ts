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
import { buildCapacityStatusView } from "../../src/api/build-capacity-status-view.js";
import type { CapacityStatusView } from "../../src/api/capacity-status-view.js";
import type { ResolvedCapacityConfig } from "../../src/capacity/capacity-config.js";
import type { CapacityPlan } from "../../src/capacity/capacity-plan.js";
import { DAY_MS, utcDayStart } from "../../src/capacity/daily-series.js";
import { computeRunway } from "../../src/capacity/runway.js";
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
  /** Capacity planning (see {@link capacityStatus}); set it to undefined for a backend without it. */
  capacity: (() => Promise<CapacityStatusView>) | undefined = () =>
    this.call("capacity", [], () => capacityStatus());

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

  stepSeconds(name: string): Promise<number | undefined> {
    return this.call("stepSeconds", [name], () => this.targets.get(name)?.stepSeconds);
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

/** Days of daily usage and of forecast in {@link capacityStatus}. */
export const CAPACITY_HISTORY_DAYS = 60;
export const CAPACITY_HORIZON_DAYS = 30;

/**
 * Capacity planning of the in-memory backend, built by the real view builder from a hand-made run:
 * `cluster.cpu` (resource `cpu`, capacity 100, headroom 0.8) planned on 60 days of usage growing by
 * 0.5 a day to 70, forecast to keep growing (p90 reaches 80 first) with an open ticket; `cluster.cpu`
 * resource `memory` unplanned (too little history).
 */
export function capacityStatus(): CapacityStatusView {
  const lastDayMs = utcDayStart(DATA_END_MS) - DAY_MS;
  const startMs = lastDayMs - (CAPACITY_HISTORY_DAYS - 1) * DAY_MS;
  const usage = Array.from({ length: CAPACITY_HISTORY_DAYS }, (_, day) =>
    day === 10 ? Number.NaN : 40.5 + 0.5 * day + (day % 7 === 5 ? -2 : 0),
  );
  const horizon = Array.from({ length: CAPACITY_HORIZON_DAYS }, (_, index) => index + 1);
  const p50 = horizon.map((day) => 70 + 0.5 * day);
  const p90 = p50.map((value, index) => value + 2 + 0.1 * index);
  const p10 = p50.map((value, index) => value - 2 - 0.1 * index);
  const runway = computeRunway({
    lastObservedDayMs: lastDayMs,
    lastObserved: 70,
    p50,
    p90,
    capacity: 100,
    headroom: 0.8,
  });
  const target = {
    usageQuery: "sum(kube_pod_container_resource_requests)",
    capacity: { constant: 100 },
    aggregate: "max",
    stepSeconds: 3600,
    headroom: 0.8,
    thresholdDays: 90,
    horizonDays: CAPACITY_HORIZON_DAYS,
    historyDays: 365,
    labels: [],
    sinks: ["ops-hook"],
  } as const;
  const config: ResolvedCapacityConfig = {
    schedule: "0 6 * * *",
    stateFile: "/nonexistent/capacity-state.json",
    updateShiftDays: 7,
    updateShiftFraction: 0.2,
    resolveMargin: 0.25,
    delivery: { baseDelayMs: 5000, maxDelayMs: 3_600_000, perSinkPerMinute: 30, leaseMs: 60_000 },
    sinks: [{ name: "ops-hook", type: "webhook", url: "http://127.0.0.1:9/hook", headers: {} }],
    targets: [
      { ...target, name: "cluster.cpu", resource: "cpu", fingerprint: "cluster.cpu/cpu" },
      { ...target, name: "cluster.cpu", resource: "memory", fingerprint: "cluster.cpu/memory" },
    ],
  };
  const plan: CapacityPlan = {
    status: "planned",
    target: "cluster.cpu",
    resource: "cpu",
    fingerprint: "cluster.cpu/cpu",
    lastObservedDayMs: lastDayMs,
    observedDays: CAPACITY_HISTORY_DAYS - 1,
    capacity: 100,
    capacitySource: "constant",
    runway,
    thresholdDays: 90,
    forecast: { model: "long-horizon[damped]", p50, p10, p90, notes: ["a test forecast"] },
    backtest: {
      horizonDays: runway.p90.days ?? CAPACITY_HORIZON_DAYS,
      folds: [
        {
          lastTrainDayMs: lastDayMs - 40 * DAY_MS,
          predicted: 60,
          actual: 62,
          absolutePercentError: 2 / 62,
          belowP90: true,
        },
      ],
      mape: 2 / 62,
      failures: 0,
    },
    predictions: [],
    chartSvg: "<svg/>",
  };
  const atMs = lastDayMs + DAY_MS + 6 * 3_600_000;
  return buildCapacityStatusView({
    config,
    run: {
      atMs,
      targets: [
        {
          target: "cluster.cpu",
          resource: "cpu",
          fingerprint: "cluster.cpu/cpu",
          plan,
          decision: {
            action: "open",
            reason: `p90 runway ${runway.p90.days ?? "?"} d is under the 90 d threshold`,
          },
          ticket: undefined,
          retryable: false,
        },
        {
          target: "cluster.cpu",
          resource: "memory",
          fingerprint: "cluster.cpu/memory",
          plan: {
            status: "unplanned",
            target: "cluster.cpu",
            resource: "memory",
            fingerprint: "cluster.cpu/memory",
            code: "PRESAGE_CAPACITY_INSUFFICIENT_HISTORY",
            reason: "usage has 12 observed days; at least 28 are needed",
          },
          decision: { action: "none", reason: "no usable forecast; ticket left as it is" },
          ticket: undefined,
          retryable: false,
        },
      ],
      delivery: { delivered: 0, failed: 0, pending: 1 },
    },
    status: {
      tickets: [
        {
          fingerprint: "cluster.cpu/cpu",
          target: "cluster.cpu",
          resource: "cpu",
          status: "open",
          generation: 1,
          openedAtMs: atMs,
          updatedAtMs: atMs,
          reported: {
            originDay: new Date(lastDayMs).toISOString().slice(0, 10),
            p50Date: runway.p50.date,
            p90Date: runway.p90.date,
            p90Days: runway.p90.days,
            limit: runway.limit,
            capacity: 100,
          },
          refs: {},
        },
      ],
      outbox: [
        {
          id: "m1",
          fingerprint: "cluster.cpu/cpu",
          sink: "ops-hook",
          event: "open",
          attempts: 1,
          nextAttemptAtMs: atMs + 5000,
          lastError: "connection refused",
        },
      ],
      ledger: [
        {
          fingerprint: "cluster.cpu/cpu",
          horizons: [{ horizonDays: 90, scored: 2, pending: 1, mape: 0.04, within15: 1, belowP90: 0.5 }],
          runway: { scored: 0, right: null },
          tickets: { recorded: 1, scored: 0, right: null },
        },
      ],
    },
    usage: new Map([
      ["cluster.cpu/cpu", { startMs, values: usage }],
      [
        "cluster.cpu/memory",
        { startMs: lastDayMs - 11 * DAY_MS, values: Array.from({ length: 12 }, () => 512) },
      ],
    ]),
    units: new Map([["cluster.cpu/cpu", "cores"]]),
    notes: ["in-memory test backend"],
  });
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
