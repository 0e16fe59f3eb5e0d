import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ApiBackendError, ApiBackendErrorCode } from "../../src/api/api-backend-error.js";
import type { ProblemDocument } from "../../src/api/api-problem.js";
import type {
  CapacityStatusView,
  CapacityTargetSummaryView,
  CapacityTargetView,
} from "../../src/api/capacity-status-view.js";
import {
  bearer,
  buildInMemoryApi,
  CAPACITY_HISTORY_DAYS,
  CAPACITY_HORIZON_DAYS,
  type InMemoryBackend,
} from "../support/in-memory-backend.js";

interface CapacityTargetResponse {
  readonly name: string;
  readonly plannedAtMs: number;
  readonly resources: CapacityTargetView[];
  readonly notes: string[];
}

function problemOf(response: { headers: Record<string, unknown>; json: () => unknown }): ProblemDocument {
  expect(response.headers["content-type"]).toMatch(/^application\/problem\+json/);
  return response.json() as ProblemDocument;
}

describe("the capacity routes", () => {
  let app: FastifyInstance;
  let backend: InMemoryBackend;
  const get = (url: string, headers: Record<string, string> = bearer("read")) =>
    app.inject({ method: "GET", url, headers });

  beforeEach(async () => {
    ({ app, backend } = await buildInMemoryApi());
  });

  afterEach(async () => {
    await app.close();
  });

  describe("GET /api/v1/capacity", () => {
    it("lists every capacity target's runway, ticket, backtest and ledger, without time series", async () => {
      const response = await get("/api/v1/capacity");
      expect(response.statusCode).toBe(200);
      expect(response.headers["content-type"]).toMatch(/^application\/json/);
      const body = response.json<
        Omit<CapacityStatusView, "targets"> & { targets: CapacityTargetSummaryView[] }
      >();
      expect(body.pendingDeliveries).toBe(1);
      expect(body.notes).toEqual(["in-memory test backend"]);
      expect(body.targets.map((target) => target.fingerprint)).toEqual([
        "cluster.cpu/cpu",
        "cluster.cpu/memory",
      ]);
      const [cpu, memory] = body.targets;
      expect(cpu).toMatchObject({
        name: "cluster.cpu",
        resource: "cpu",
        unit: "cores",
        status: "planned",
        capacity: 100,
        capacitySource: "constant",
        limit: 80,
        lastObserved: 70,
        model: "long-horizon[damped]",
        decision: { action: "open" },
        ticket: { status: "open", generation: 1, pendingDeliveries: 1, resolvedAtMs: null },
        sinks: ["ops-hook"],
        ledger: { fingerprint: "cluster.cpu/cpu", horizons: [{ horizonDays: 90, scored: 2, mape: 0.04 }] },
      });
      // p50 grows 0.5 a day from 70: it reaches 80 on day 20; p90 (2 + 0.1·k above) earlier.
      expect(cpu!.runway!.p50.days).toBe(20);
      expect(cpu!.runway!.p90.days).toBeLessThan(20);
      expect(cpu!.runway!.p90.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(cpu!.ticket!.reportedP90Date).toBe(cpu!.runway!.p90.date);
      expect(cpu!.backtest!.mape).toBeCloseTo(2 / 62, 10);
      expect(cpu).not.toHaveProperty("usage");
      expect(cpu).not.toHaveProperty("forecast");
      expect(memory).toMatchObject({
        status: "unplanned",
        problem: { code: "PRESAGE_CAPACITY_INSUFFICIENT_HISTORY" },
        runway: null,
        ticket: null,
        limit: 80,
      });
      expect(backend.calls.map((call) => call.method)).toEqual(["capacity"]);
    });

    it("answers 401 without a token and for an unknown one, without asking the backend", async () => {
      const missing = await app.inject({ method: "GET", url: "/api/v1/capacity" });
      expect(missing.statusCode).toBe(401);
      expect(missing.headers["www-authenticate"]).toMatch(/^Bearer /);
      expect(problemOf(missing).code).toBe("PRESAGE_API_UNAUTHORIZED");
      const wrong = await get("/api/v1/capacity", { authorization: "Bearer not-a-configured-token-at-all" });
      expect(wrong.statusCode).toBe(401);
      expect(backend.calls).toEqual([]);
    });

    it("answers 404 PRESAGE_API_CAPACITY_DISABLED when the backend does no capacity planning", async () => {
      backend.capacity = undefined;
      for (const url of ["/api/v1/capacity", "/api/v1/capacity/cluster.cpu"]) {
        const response = await get(url);
        expect(response.statusCode, url).toBe(404);
        const problem = problemOf(response);
        expect(problem).toMatchObject({ status: 404, code: "PRESAGE_API_CAPACITY_DISABLED" });
        expect(problem.detail).toContain("no capacity section");
      }
    });

    it("answers 503 when the backend cannot read the capacity state", async () => {
      backend.failNextWith(new ApiBackendError(ApiBackendErrorCode.unavailable, "capacity state unreadable"));
      const response = await get("/api/v1/capacity");
      expect(response.statusCode).toBe(503);
      expect(problemOf(response)).toMatchObject({
        code: "PRESAGE_API_UNAVAILABLE",
        detail: "capacity state unreadable",
      });
    });
  });

  describe("GET /api/v1/capacity/:name", () => {
    it("serves every resource with daily usage and the forecast's 80% band for plotting", async () => {
      const response = await get("/api/v1/capacity/cluster.cpu");
      expect(response.statusCode).toBe(200);
      const body = response.json<CapacityTargetResponse>();
      expect(body.name).toBe("cluster.cpu");
      expect(body.resources.map((view) => view.resource)).toEqual(["cpu", "memory"]);
      const cpu = body.resources[0]!;
      expect(cpu.usage.timesMs).toHaveLength(CAPACITY_HISTORY_DAYS);
      expect(cpu.usage.values).toHaveLength(CAPACITY_HISTORY_DAYS);
      // The missing day is null (JSON has no NaN), the rest numbers; one value per UTC day.
      expect(cpu.usage.values[10]).toBeNull();
      expect(cpu.usage.values.filter((value) => value === null)).toHaveLength(1);
      expect(cpu.usage.timesMs.every((time) => time % 86_400_000 === 0)).toBe(true);
      expect(cpu.usage.values.at(-1)).toBe(70);
      const forecast = cpu.forecast!;
      expect(forecast.timesMs).toHaveLength(CAPACITY_HORIZON_DAYS);
      expect(forecast.timesMs[0]! - cpu.usage.timesMs.at(-1)!).toBe(86_400_000);
      forecast.p50.forEach((p50, index) => {
        expect(forecast.lower80[index]).toBeLessThan(p50);
        expect(forecast.upper80[index]).toBeGreaterThan(p50);
      });
      expect(forecast.notes).toEqual(["a test forecast"]);
      const memory = body.resources[1]!;
      expect(memory.forecast).toBeNull();
      expect(memory.usage.values).toHaveLength(12);
    });

    it("keeps one resource with ?resource=, and only the newest days with ?historyDays=", async () => {
      const all = (await get("/api/v1/capacity/cluster.cpu")).json<CapacityTargetResponse>().resources[0]!;
      const response = await get("/api/v1/capacity/cluster.cpu?resource=cpu&historyDays=14");
      expect(response.statusCode).toBe(200);
      const body = response.json<CapacityTargetResponse>();
      expect(body.resources.map((view) => view.fingerprint)).toEqual(["cluster.cpu/cpu"]);
      const cpu = body.resources[0]!;
      expect(cpu.usage.timesMs).toEqual(all.usage.timesMs.slice(-14));
      expect(cpu.usage.values).toEqual(all.usage.values.slice(-14));
      expect(cpu.forecast).toEqual(all.forecast);
    });

    it.each([
      ["/api/v1/capacity/cluster.cpu?historyDays=3", "querystring/historyDays: must be ≥ 7"],
      ["/api/v1/capacity/cluster.cpu?historyDays=ten", "querystring/historyDays"],
      ["/api/v1/capacity/cluster.cpu?historyDays=2000", "querystring/historyDays: must be ≤ 1100"],
      ["/api/v1/capacity/cluster.cpu?resource=CPU", "querystring/resource: must be 1–63"],
      ["/api/v1/capacity/Cluster%20CPU", "params/name: must be 1–63"],
    ])("answers 400 naming the field for %s", async (url, field) => {
      const response = await get(url);
      expect(response.statusCode).toBe(400);
      const problem = problemOf(response);
      expect(problem).toMatchObject({ status: 400, code: "PRESAGE_API_INVALID_REQUEST" });
      expect(problem.detail).toContain(field);
      expect(backend.calls).toEqual([]);
    });

    it("answers 401 without a token", async () => {
      const response = await app.inject({ method: "GET", url: "/api/v1/capacity/cluster.cpu" });
      expect(response.statusCode).toBe(401);
      expect(problemOf(response).code).toBe("PRESAGE_API_UNAUTHORIZED");
    });

    it("answers 404 naming the known targets for an unknown name, and the known resources for an unknown resource", async () => {
      const unknown = await get("/api/v1/capacity/nope");
      expect(unknown.statusCode).toBe(404);
      const problem = problemOf(unknown);
      expect(problem).toMatchObject({ status: 404, code: "PRESAGE_API_UNKNOWN_CAPACITY_TARGET" });
      expect(problem.detail).toBe('no capacity target named "nope" (cluster.cpu)');

      const resource = await get("/api/v1/capacity/cluster.cpu?resource=disk");
      expect(resource.statusCode).toBe(404);
      const resourceProblem = problemOf(resource);
      expect(resourceProblem.code).toBe("PRESAGE_API_UNKNOWN_CAPACITY_TARGET");
      expect(resourceProblem.detail).toContain('no resource "disk" (cpu, memory)');
    });
  });

  it("documents both routes in the OpenAPI document under the capacity tag", async () => {
    const response = await app.inject({ method: "GET", url: "/docs/json" });
    const document = response.json<{
      paths: Record<string, Record<string, { tags?: string[]; parameters?: { name: string; in: string }[] }>>;
    }>();
    expect(document.paths["/api/v1/capacity"]?.get?.tags).toEqual(["capacity"]);
    const detail = document.paths["/api/v1/capacity/{name}"]?.get;
    expect(detail?.tags).toEqual(["capacity"]);
    expect(detail?.parameters?.map((parameter) => `${parameter.in}:${parameter.name}`).sort()).toEqual([
      "path:name",
      "query:historyDays",
      "query:resource",
    ]);
  });
});
