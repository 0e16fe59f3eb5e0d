import type { FastifyInstance } from "fastify";
import { Counter, Registry } from "prom-client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { bearer, buildInMemoryApi, type InMemoryBackend } from "../support/in-memory-backend.js";

describe("API health, metrics and docs", () => {
  let app: FastifyInstance;
  let backend: InMemoryBackend;
  const registry = new Registry();
  new Counter({ name: "presage_test_things_total", help: "Things.", registers: [registry] }).inc(3);

  beforeEach(async () => {
    ({ app, backend } = await buildInMemoryApi({ metrics: [registry] }));
  });

  afterEach(async () => {
    await app.close();
  });

  it("answers /healthz without a token", async () => {
    const response = await app.inject({ method: "GET", url: "/healthz" });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: "ok" });
  });

  it("answers /readyz 200 when every dependency is usable and 503 naming the one that is not", async () => {
    const ready = await app.inject({ method: "GET", url: "/readyz" });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ ready: true });
    backend.dependencies[1] = { name: "metric source", ok: false, detail: "connection refused" };
    const notReady = await app.inject({ method: "GET", url: "/readyz" });
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json()).toEqual({
      ready: false,
      checks: [
        { name: "registry", ok: true },
        { name: "metric source", ok: false, detail: "connection refused" },
      ],
    });
  });

  it("answers /readyz 503 when the readiness check itself throws", async () => {
    backend.failNextWith(new Error("boom"));
    const response = await app.inject({ method: "GET", url: "/readyz" });
    expect(response.statusCode).toBe(503);
    expect(response.body).not.toContain("boom");
  });

  it("serves the prom-client registry at /metrics as text without a token", async () => {
    const response = await app.inject({ method: "GET", url: "/metrics" });
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toMatch(/^text\/plain/);
    expect(response.body).toContain("presage_test_things_total 3");
  });

  it("counts requests per route template and status in /metrics", async () => {
    await app.inject({ method: "GET", url: "/api/v1/targets/shop.web", headers: bearer("read") });
    await app.inject({ method: "GET", url: "/api/v1/targets/shop.web" });
    await app.inject({ method: "GET", url: "/nowhere" });
    const text = (await app.inject({ method: "GET", url: "/metrics" })).body;
    expect(text).toContain(
      'presage_api_requests_total{route="/api/v1/targets/:name",method="GET",status="200"} 1',
    );
    expect(text).toContain(
      'presage_api_requests_total{route="/api/v1/targets/:name",method="GET",status="401"} 1',
    );
    expect(text).toContain('presage_api_requests_total{route="unmatched",method="GET",status="404"} 1');
    expect(text).toContain(
      'presage_api_request_duration_seconds_count{route="/api/v1/targets/:name",method="GET"} 2',
    );
  });

  it("serves an OpenAPI 3 document listing every route with its schemas", async () => {
    const response = await app.inject({ method: "GET", url: "/docs/json" });
    expect(response.statusCode).toBe(200);
    const document = response.json<{
      openapi: string;
      paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>>;
      components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
    }>();
    expect(document.openapi).toMatch(/^3\./);
    expect(Object.keys(document.paths).sort()).toEqual(
      [
        "/api/v1/capacity",
        "/api/v1/capacity/{name}",
        "/api/v1/decisions",
        "/api/v1/targets",
        "/api/v1/targets/{name}",
        "/api/v1/targets/{name}/forecast",
        "/api/v1/targets/{name}/history",
        "/api/v1/targets/{name}/models",
        "/api/v1/targets/{name}/models/rollback",
        "/api/v1/targets/{name}/models/{version}/promote",
        "/api/v1/targets/{name}/train",
        "/healthz",
        "/metrics",
        "/readyz",
      ].sort(),
    );
    const forecastParameters = document.paths["/api/v1/targets/{name}/forecast"]?.get?.parameters ?? [];
    expect(forecastParameters.map((parameter) => `${parameter.in}:${parameter.name}`).sort()).toEqual([
      "path:name",
      "query:horizon",
      "query:horizonSteps",
      "query:levels",
    ]);
    expect(Object.keys(document.components.schemas)).toEqual(
      expect.arrayContaining([
        "ForecastView",
        "TargetSummary",
        "DecisionRecord",
        "ArtifactSummary",
        "CapacityTargetView",
        "CapacityTargetSummary",
        "Problem",
      ]),
    );
    expect(document.components.securitySchemes).toHaveProperty("bearer");
  });

  it("serves the documentation page from its own assets (no CDN)", async () => {
    const response = await app.inject({ method: "GET", url: "/docs" });
    const page =
      response.statusCode === 302
        ? await app.inject({ method: "GET", url: response.headers.location as string })
        : response;
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain("swagger");
    expect(page.body).not.toMatch(/https?:\/\/(cdn|unpkg)/);
  });
});
