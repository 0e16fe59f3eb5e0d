import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { API_PREFIX } from "../../src/api/api-app.js";
import type { ProblemDocument } from "../../src/api/api-problem.js";
import { requireRole } from "../../src/api/auth/bearer-auth.js";
import type { TrainingEnqueued } from "../../src/api/presage-backend.js";
import { bearer, buildInMemoryApi, type InMemoryBackend } from "../support/in-memory-backend.js";

describe("API admin routes", () => {
  let app: FastifyInstance;
  let backend: InMemoryBackend;

  beforeEach(async () => {
    ({ app, backend } = await buildInMemoryApi());
  });

  afterEach(async () => {
    await app.close();
  });

  const post = (url: string, headers: Record<string, string> = bearer("admin"), payload?: string) =>
    app.inject({ method: "POST", url, headers, ...(payload === undefined ? {} : { payload }) });
  const currentVersion = async (): Promise<number | undefined> =>
    (await app.inject({ method: "GET", url: "/api/v1/targets/shop.web", headers: bearer("read") })).json<{
      model?: { version: number };
    }>().model?.version;

  it("promotes a version and rolls back to the one before", async () => {
    const promoted = await post("/api/v1/targets/shop.web/models/1/promote");
    expect(promoted.statusCode).toBe(200);
    expect(promoted.json()).toMatchObject({ version: 1, current: true });
    expect(await currentVersion()).toBe(1);
    const rolledBack = await post("/api/v1/targets/shop.web/models/rollback");
    expect(rolledBack.json()).toMatchObject({ version: 2, current: true });
    expect(await currentVersion()).toBe(2);
  });

  it("answers 404 naming an unknown version", async () => {
    const response = await post("/api/v1/targets/shop.web/models/9/promote");
    expect(response.statusCode).toBe(404);
    expect(response.json<ProblemDocument>()).toMatchObject({
      code: "PRESAGE_API_UNKNOWN_VERSION",
      detail: 'target "shop.web" has no version 9',
    });
  });

  it("answers 409 when there is nothing to roll back to", async () => {
    expect((await post("/api/v1/targets/shop.web/models/rollback")).statusCode).toBe(200);
    const response = await post("/api/v1/targets/shop.web/models/rollback");
    expect(response.statusCode).toBe(409);
    expect(response.json<ProblemDocument>().code).toBe("PRESAGE_API_NOTHING_TO_ROLL_BACK");
  });

  it("enqueues training with 202 and reports a second request for the same window as not queued", async () => {
    const first = await post("/api/v1/targets/shop.web/train");
    expect(first.statusCode).toBe(202);
    expect(first.json<TrainingEnqueued>()).toMatchObject({ target: "shop.web", queued: true });
    const second = await post("/api/v1/targets/shop.web/train");
    expect(second.json<TrainingEnqueued>()).toEqual({ ...first.json<TrainingEnqueued>(), queued: false });
  });

  it("accepts an empty JSON body and rejects malformed JSON with 400", async () => {
    const empty = await post(
      "/api/v1/targets/shop.web/train",
      { ...bearer("admin"), "content-type": "application/json" },
      "",
    );
    expect(empty.statusCode).toBe(202);
    const malformed = await post(
      "/api/v1/targets/shop.web/train",
      { ...bearer("admin"), "content-type": "application/json" },
      "{not json",
    );
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json<ProblemDocument>().detail).toMatch(/^body: is not valid JSON/);
  });

  it("answers 413 problem+json for a body over the limit", async () => {
    const payload = JSON.stringify({ padding: "x".repeat(70 * 1024) });
    const response = await post(
      "/api/v1/targets/shop.web/train",
      { ...bearer("admin"), "content-type": "application/json" },
      payload,
    );
    expect(response.statusCode).toBe(413);
    expect(response.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(response.json<ProblemDocument>().code).toBe("PRESAGE_API_BODY_TOO_LARGE");
    expect(backend.calls.some((call) => call.method === "enqueueTraining")).toBe(false);
  });

  it("answers 415 problem+json for a body type it does not read", async () => {
    const response = await post(
      "/api/v1/targets/shop.web/train",
      { ...bearer("admin"), "content-type": "application/xml" },
      "<train/>",
    );
    expect(response.statusCode).toBe(415);
    expect(response.json<ProblemDocument>().code).toBe("PRESAGE_API_UNSUPPORTED_MEDIA_TYPE");
  });
});

describe("API rate limit", () => {
  it("answers 429 with Retry-After once a token has used its burst, per token", async () => {
    let nowMs = 0;
    const { app } = await buildInMemoryApi({
      rateLimit: { requestsPerSecond: 2, burst: 3 },
      nowMs: () => nowMs,
    });
    try {
      const get = (role: "read" | "admin") =>
        app.inject({ method: "GET", url: "/api/v1/targets", headers: bearer(role) });
      for (let index = 0; index < 3; index++) expect((await get("read")).statusCode).toBe(200);
      const limited = await get("read");
      expect(limited.statusCode).toBe(429);
      expect(limited.headers["retry-after"]).toBe("1");
      expect(limited.json<ProblemDocument>()).toMatchObject({
        code: "PRESAGE_API_RATE_LIMITED",
        detail: expect.stringContaining('token "reader" is over its rate limit of 2 requests/s') as unknown,
      });
      // Another token has its own budget.
      expect((await get("admin")).statusCode).toBe(200);
      nowMs += 500; // one request's worth refilled
      expect((await get("read")).statusCode).toBe(200);
      expect((await get("read")).statusCode).toBe(429);
    } finally {
      await app.close();
    }
  });

  it("does not charge health probes", async () => {
    const { app } = await buildInMemoryApi({ rateLimit: { requestsPerSecond: 1, burst: 1 } });
    try {
      for (let index = 0; index < 5; index++) {
        expect((await app.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
      }
    } finally {
      await app.close();
    }
  });
});

describe("API plugins", () => {
  it("registers more route groups with the same bearer auth and error handling", async () => {
    const { app } = await buildInMemoryApi({
      plugins: [
        (root, context) =>
          root.register(
            (scope) => {
              scope.get("/extra", { onRequest: requireRole(context.auth, "admin") }, () =>
                Promise.resolve({ extra: true }),
              );
              return Promise.resolve();
            },
            { prefix: API_PREFIX },
          ),
      ],
    });
    try {
      expect((await app.inject({ method: "GET", url: "/api/v1/extra" })).statusCode).toBe(401);
      const forbidden = await app.inject({ method: "GET", url: "/api/v1/extra", headers: bearer("read") });
      expect(forbidden.json<ProblemDocument>().code).toBe("PRESAGE_API_FORBIDDEN");
      const ok = await app.inject({ method: "GET", url: "/api/v1/extra", headers: bearer("admin") });
      expect(ok.json()).toEqual({ extra: true });
    } finally {
      await app.close();
    }
  });
});
