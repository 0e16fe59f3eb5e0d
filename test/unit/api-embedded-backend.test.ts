import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApiApp } from "../../src/api/api-app.js";
import { ApiBackendError } from "../../src/api/api-backend-error.js";
import { EmbeddedService } from "../../src/api/embedded/embedded-service.js";
import type { ForecastView } from "../../src/api/presage-backend.js";

const START_MS = Date.UTC(2026, 10, 30, 9, 0);
const STEP_MS = 300_000;
const REQUEST = { horizonSteps: 6, levels: [80, 95] } as const;

async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("the embedded backend (real registry files, trained models, simulated cluster)", () => {
  let dir = "";
  let service: EmbeddedService;
  let app: FastifyInstance;
  const trained: number[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "presage-embedded-"));
    service = await EmbeddedService.start(
      { targets: 3, model: "snaive", extraModel: "snaive", tickMs: 0, startMs: START_MS, directory: dir },
      (done) => trained.push(done),
    );
    app = await buildApiApp({
      backend: service.backend,
      tokens: [{ name: "t", role: "admin", token: "embedded-test-token-0123" }],
      metrics: service.metrics,
    });
  });

  afterAll(async () => {
    await app.close();
    await service.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("trains every workload into the file registry before it starts", async () => {
    expect(trained).toEqual([1, 2, 3]);
    expect((await readdir(dir)).sort()).toEqual(["shop.svc-002", "shop.svc-003", "shop.web"]);
    expect(await readdir(join(dir, "shop.web"))).toEqual(
      expect.arrayContaining(["v000001.json", "current.json"]),
    );
    const targets = await service.backend.listTargets();
    expect(targets.map((target) => [target.name, target.model?.version, target.model?.modelName])).toEqual([
      ["shop.web", 1, "snaive(288)"],
      ["shop.svc-002", 1, "snaive(288)"],
      ["shop.svc-003", 1, "snaive(288)"],
    ]);
    expect(targets[0]!.scaler).toMatchObject({
      hpa: "shop/web",
      mode: "active",
      floor: 2,
      baselineMinReplicas: 2,
    });
    expect(await service.backend.readiness()).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: "models", ok: true })]),
    );
  });

  it("serves a cached forecast until the data moves on, then recomputes from the newest point", async () => {
    const first = await service.backend.forecast("shop.web", REQUEST);
    expect(first.dataEndMs).toBe(START_MS);
    expect(first.timesMs[0]).toBe(START_MS + STEP_MS);
    expect(first.mean).toHaveLength(6);
    expect(first.intervals.map((interval) => interval.level)).toEqual([80, 95]);
    for (const [index, mean] of first.mean.entries()) {
      expect(first.intervals[0]!.lower[index]!).toBeLessThanOrEqual(mean);
      expect(first.intervals[1]!.upper[index]!).toBeGreaterThanOrEqual(first.intervals[0]!.upper[index]!);
    }
    expect(await service.backend.forecast("shop.web", REQUEST)).toBe(first);
    const otherLevels = await service.backend.forecast("shop.web", { horizonSteps: 6, levels: [90] });
    expect(otherLevels).not.toBe(first);

    await service.tick();
    const next = await service.backend.forecast("shop.web", REQUEST);
    expect(next).not.toBe(first);
    expect(next.dataEndMs).toBe(START_MS + STEP_MS);
    expect(next.timesMs[0]).toBe(START_MS + 2 * STEP_MS);
    expect(await service.backend.forecast("shop.web", REQUEST)).toBe(next);
  });

  it("records scaler decisions newest first and acts on the simulated HPAs", async () => {
    await service.tick();
    const decisions = await service.backend.decisions({ limit: 100 });
    expect(decisions.length).toBeGreaterThanOrEqual(6);
    expect(decisions[0]!.atMs).toBeGreaterThanOrEqual(decisions.at(-1)!.atMs);
    const web = await service.backend.decisions({ target: "shop/web", limit: 1 });
    expect(web).toHaveLength(1);
    expect(web[0]!.forecast?.modelVersion).toBe(1);
    const since = await service.backend.decisions({ limit: 100, sinceMs: decisions[0]!.atMs });
    expect(since.every((record) => record.atMs === decisions[0]!.atMs)).toBe(true);
  });

  it("returns the observed history up to the data end", async () => {
    const history = await service.backend.history("shop.web", { rangeMs: 3_600_000 });
    expect(history.timesMs).toHaveLength(12);
    expect(history.timesMs.at(-1)).toBe(service.nowMs);
    expect(history.values.every((value) => value !== null && value > 0)).toBe(true);
  });

  it("retrains on request once per window, and a promote or roll back changes the forecast's model", async () => {
    const enqueued = await service.backend.enqueueTraining("shop.svc-002");
    expect(enqueued).toMatchObject({ target: "shop.svc-002", queued: true });
    expect(enqueued.jobId).toBe(`train-shop.svc-002-${service.nowMs}`);
    expect(await service.backend.enqueueTraining("shop.svc-002")).toEqual({ ...enqueued, queued: false });
    const models = await eventually(async () => {
      const list = await service.backend.models("shop.svc-002");
      return list.length === 2 ? list : undefined;
    });
    expect(models.map((model) => model.version)).toEqual([1, 2]);
    expect(models[1]!.dataRange.endMs).toBe(service.nowMs);

    const target = models.find((model) => !model.current)!.version;
    const before = await service.backend.forecast("shop.svc-002", REQUEST);
    const promoted = await service.backend.promote("shop.svc-002", target);
    expect(promoted).toMatchObject({ version: target, current: true });
    const after = await service.backend.forecast("shop.svc-002", REQUEST);
    expect(after.modelVersion).toBe(target);
    expect(after).not.toBe(before);
    const back = await service.backend.rollBack("shop.svc-002");
    expect(back?.version).toBe(before.modelVersion);
    expect((await service.backend.forecast("shop.svc-002", REQUEST)).modelVersion).toBe(before.modelVersion);
  });

  it("refuses unknown targets and versions with stable codes", async () => {
    await expect(service.backend.forecast("shop.nope", REQUEST)).rejects.toMatchObject({
      code: "PRESAGE_API_UNKNOWN_TARGET",
    });
    const error = await service.backend.promote("shop.web", 99).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiBackendError);
    expect(error).toMatchObject({ code: "PRESAGE_API_UNKNOWN_VERSION" });
    expect(await service.backend.target("shop.nope")).toBeUndefined();
  });

  it("serves it all through the HTTP API, metrics included", async () => {
    const headers = { authorization: "Bearer embedded-test-token-0123" };
    const response = await app.inject({
      method: "GET",
      url: "/api/v1/targets/shop.web/forecast?horizon=1h",
      headers,
    });
    expect(response.statusCode).toBe(200);
    const view = response.json<ForecastView>();
    expect(view).toMatchObject({ target: "shop.web", dataEndMs: service.nowMs });
    expect(view.mean).toHaveLength(12);
    const metrics = await app.inject({ method: "GET", url: "/metrics" });
    expect(metrics.body).toContain('presage_model_current_version{target="shop.web"} 1');
    expect(metrics.body).toContain("presage_scaler_decisions_total");
    expect((await app.inject({ method: "GET", url: "/readyz" })).statusCode).toBe(200);
  });
});

describe("EmbeddedService.stop", () => {
  it("restores every floor to its declared baseline", async () => {
    const service = await EmbeddedService.start({
      targets: 1,
      model: "snaive",
      tickMs: 0,
      startMs: Date.UTC(2026, 10, 30, 7, 0),
    });
    // Morning ramp: the forecast asks for more than the baseline within a few ticks.
    for (let tick = 0; tick < 6; tick++) await service.tick();
    const raised = service.cluster.hpa({ namespace: "shop", name: "web" })!.minReplicas;
    expect(raised).toBeGreaterThan(2);
    await service.stop();
    expect(service.cluster.hpa({ namespace: "shop", name: "web" })!.minReplicas).toBe(2);
    expect((await service.backend.readiness()).find((check) => check.name === "scaler loop")?.ok).toBe(false);
  });

  it("rejects a model name that is not in the catalog", async () => {
    await expect(EmbeddedService.start({ model: "prophet", tickMs: 0 })).rejects.toThrow(
      /`model` \("prophet"\) is not a model/,
    );
  });
});
