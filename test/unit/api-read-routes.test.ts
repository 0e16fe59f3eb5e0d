import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ProblemDocument } from "../../src/api/api-problem.js";
import type { ForecastView, SeriesView, TargetSummary } from "../../src/api/presage-backend.js";
import type { DecisionRecord } from "../../src/scaler/scaler-loop.js";
import { bearer, buildInMemoryApi, type InMemoryBackend } from "../support/in-memory-backend.js";

describe("API read routes", () => {
  let app: FastifyInstance;
  let backend: InMemoryBackend;

  beforeEach(async () => {
    ({ app, backend } = await buildInMemoryApi());
  });

  afterEach(async () => {
    await app.close();
  });

  const get = (url: string) => app.inject({ method: "GET", url, headers: bearer("read") });

  it("lists targets with their model and scaler settings", async () => {
    const response = await get("/api/v1/targets");
    const { targets } = response.json<{ targets: TargetSummary[] }>();
    expect(targets.map((target) => target.name)).toEqual(["shop.web", "batch.jobs"]);
    expect(targets[0]).toMatchObject({
      stepSeconds: 300,
      model: { version: 2, modelName: expect.stringMatching(/^auto\[/) as unknown },
      scaler: { hpa: "shop/web", mode: "active", floor: 4 },
    });
    expect(targets[1]!.model).toBeUndefined();
  });

  it("writes a MASE that could not be computed as null", async () => {
    const target = (await get("/api/v1/targets/shop.web")).json<{ model: { backtest: { mase: unknown } } }>();
    expect(target.model.backtest.mase).toBeNull();
  });

  it("forecasts 30 minutes with 80% and 95% intervals by default", async () => {
    const response = await get("/api/v1/targets/shop.web/forecast");
    expect(response.statusCode).toBe(200);
    const view = response.json<ForecastView>();
    expect(view.timesMs).toHaveLength(6);
    expect(view.mean).toHaveLength(6);
    expect(view.intervals.map((interval) => interval.level)).toEqual([80, 95]);
    expect(backend.calls.find((call) => call.method === "forecast")?.args).toEqual([
      "shop.web",
      { horizonSteps: 6, levels: [80, 95] },
    ]);
  });

  it("rounds a horizon up to whole steps and sorts and de-duplicates levels", async () => {
    await get("/api/v1/targets/shop.web/forecast?horizon=1h1m&levels=95,%2080,95");
    expect(backend.calls.find((call) => call.method === "forecast")?.args[1]).toEqual({
      horizonSteps: 13,
      levels: [80, 95],
    });
  });

  it("takes horizonSteps instead of horizon, but not both", async () => {
    const steps = await get("/api/v1/targets/shop.web/forecast?horizonSteps=3&levels=90");
    expect(steps.json<ForecastView>().mean).toHaveLength(3);
    const both = await get("/api/v1/targets/shop.web/forecast?horizon=30m&horizonSteps=3");
    expect(both.statusCode).toBe(400);
    expect(both.json<ProblemDocument>().detail).toContain(
      "querystring/horizonSteps: give horizon or horizonSteps, not both",
    );
  });

  it.each([
    ["horizon=soon", "querystring/horizon: must be a duration"],
    ["horizon=8d", "querystring/horizon: must be at most 7 days"],
    ["horizonSteps=0", "querystring/horizonSteps: must be ≥ 1"],
    ["horizonSteps=2.5", "querystring/horizonSteps: must be an integer"],
    ["levels=", "querystring/levels"],
    ["levels=40", "querystring/levels"],
    ["levels=80,abc", 'querystring/levels: ("80,abc") must be 1–5 comma-separated numbers'],
  ])("rejects %s with 400 naming the field", async (query, detail) => {
    const response = await get(`/api/v1/targets/shop.web/forecast?${query}`);
    expect(response.statusCode).toBe(400);
    expect(response.json<ProblemDocument>().detail).toContain(detail);
  });

  it("rejects a horizon longer than the step limit of the target, in steps", async () => {
    // batch.jobs has 60 s steps: 7 days are 10 080 steps.
    const response = await get("/api/v1/targets/batch.jobs/forecast?horizon=7d");
    expect(response.statusCode).toBe(400);
    expect(response.json<ProblemDocument>().detail).toMatch(
      /querystring\/horizon: .*10080 steps of 60 s; at most 2016/,
    );
  });

  it("answers 409 when the target has no trained model", async () => {
    const response = await get("/api/v1/targets/batch.jobs/forecast");
    expect(response.statusCode).toBe(409);
    expect(response.json<ProblemDocument>().code).toBe("PRESAGE_API_NO_MODEL");
  });

  it("serves a cached forecast unchanged (same body, same computedAtMs)", async () => {
    const first = await get("/api/v1/targets/shop.web/forecast?horizon=2h");
    const second = await get("/api/v1/targets/shop.web/forecast?horizon=2h");
    expect(second.body).toBe(first.body);
    expect(backend.forecastCache.size).toBe(1);
  });

  it("returns history with missing samples as null", async () => {
    const view = (await get("/api/v1/targets/shop.web/history?range=1h")).json<SeriesView>();
    expect(view.timesMs).toHaveLength(12);
    expect(view.values[1]).toBeNull();
    expect(backend.calls.find((call) => call.method === "history")?.args).toEqual([
      "shop.web",
      { rangeMs: 3_600_000 },
    ]);
  });

  it("defaults history to one day and refuses more than 35 days", async () => {
    await get("/api/v1/targets/shop.web/history");
    expect(backend.calls.find((call) => call.method === "history")?.args[1]).toEqual({ rangeMs: 86_400_000 });
    const response = await get("/api/v1/targets/shop.web/history?range=36d");
    expect(response.statusCode).toBe(400);
    expect(response.json<ProblemDocument>().detail).toContain("querystring/range: must be at most 35 days");
  });

  it("returns decisions newest first, filtered by target, limit and since", async () => {
    const all = (await get("/api/v1/decisions")).json<{ decisions: DecisionRecord[] }>().decisions;
    expect(all).toHaveLength(5);
    expect(all[0]!.atMs).toBeGreaterThan(all[1]!.atMs);
    const since = new Date(all[1]!.atMs).toISOString();
    const recent = (await get(`/api/v1/decisions?target=shop/web&since=${since}&limit=10`)).json<{
      decisions: DecisionRecord[];
    }>().decisions;
    expect(recent.map((record) => record.atMs)).toEqual([all[0]!.atMs, all[1]!.atMs]);
    const sinceMs = (await get(`/api/v1/decisions?since=${all[0]!.atMs}`)).json<{
      decisions: DecisionRecord[];
    }>();
    expect(sinceMs.decisions).toHaveLength(1);
    expect(
      (await get("/api/v1/decisions?target=other")).json<{ decisions: DecisionRecord[] }>().decisions,
    ).toEqual([]);
  });

  it("rejects a since that is no time", async () => {
    const response = await get("/api/v1/decisions?since=last-tuesday");
    expect(response.statusCode).toBe(400);
    expect(response.json<ProblemDocument>().detail).toContain(
      'querystring/since: ("last-tuesday") must be epoch milliseconds',
    );
  });

  it("lists model versions oldest first with the current one marked", async () => {
    const { models } = (await get("/api/v1/targets/shop.web/models")).json<{
      models: { version: number; current: boolean }[];
    }>();
    expect(models.map((model) => [model.version, model.current])).toEqual([
      [1, false],
      [2, true],
    ]);
  });

  it("answers unknown routes with 404 problem+json", async () => {
    const response = await get("/api/v1/nothing-here");
    expect(response.statusCode).toBe(404);
    expect(response.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(response.json<ProblemDocument>()).toMatchObject({
      code: "PRESAGE_API_ROUTE_NOT_FOUND",
      detail: expect.stringContaining("GET /api/v1/nothing-here") as unknown,
    });
  });
});
