import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ApiBackendError, ApiBackendErrorCode } from "../../src/api/api-backend-error.js";
import type { ProblemDocument } from "../../src/api/api-problem.js";
import { bearer, buildInMemoryApi, type InMemoryBackend } from "../support/in-memory-backend.js";

interface RouteCase {
  readonly method: "GET" | "POST";
  readonly url: string;
  readonly role: "read" | "admin";
  readonly okStatus: number;
  /** The same route with a schema violation, and the field the 400 must name. */
  readonly invalid: { readonly url: string; readonly field: string };
  /** The route on a target that does not exist (undefined for routes without a target). */
  readonly unknownTargetUrl?: string;
}

/** Every authenticated route of the API. */
const ROUTES: readonly RouteCase[] = [
  {
    method: "GET",
    url: "/api/v1/targets",
    role: "read",
    okStatus: 200,
    invalid: { url: "/api/v1/targets/Not%20A%20Name", field: "params/name" },
  },
  {
    method: "GET",
    url: "/api/v1/targets/shop.web",
    role: "read",
    okStatus: 200,
    invalid: { url: "/api/v1/targets/-bad", field: "params/name" },
    unknownTargetUrl: "/api/v1/targets/nope",
  },
  {
    method: "GET",
    url: "/api/v1/targets/shop.web/forecast?horizon=30m&levels=80,95",
    role: "read",
    okStatus: 200,
    invalid: { url: "/api/v1/targets/shop.web/forecast?levels=80,120", field: "querystring/levels" },
    unknownTargetUrl: "/api/v1/targets/nope/forecast",
  },
  {
    method: "GET",
    url: "/api/v1/targets/shop.web/history?range=2h",
    role: "read",
    okStatus: 200,
    invalid: { url: "/api/v1/targets/shop.web/history?range=yesterday", field: "querystring/range" },
    unknownTargetUrl: "/api/v1/targets/nope/history",
  },
  {
    method: "GET",
    url: "/api/v1/decisions?target=shop.web&limit=3",
    role: "read",
    okStatus: 200,
    invalid: { url: "/api/v1/decisions?limit=0", field: "querystring/limit" },
  },
  {
    method: "GET",
    url: "/api/v1/targets/shop.web/models",
    role: "read",
    okStatus: 200,
    invalid: { url: "/api/v1/targets/SHOP/models", field: "params/name" },
    unknownTargetUrl: "/api/v1/targets/nope/models",
  },
  {
    method: "POST",
    url: "/api/v1/targets/shop.web/models/1/promote",
    role: "admin",
    okStatus: 200,
    invalid: { url: "/api/v1/targets/shop.web/models/first/promote", field: "params/version" },
    unknownTargetUrl: "/api/v1/targets/nope/models/1/promote",
  },
  {
    method: "POST",
    url: "/api/v1/targets/shop.web/models/rollback",
    role: "admin",
    okStatus: 200,
    invalid: { url: "/api/v1/targets/a%2Fb/models/rollback", field: "params/name" },
    unknownTargetUrl: "/api/v1/targets/nope/models/rollback",
  },
  {
    method: "GET",
    url: "/api/v1/capacity",
    role: "read",
    okStatus: 200,
    invalid: { url: "/api/v1/capacity/-bad", field: "params/name" },
  },
  {
    method: "GET",
    url: "/api/v1/capacity/cluster.cpu?historyDays=30",
    role: "read",
    okStatus: 200,
    invalid: { url: "/api/v1/capacity/cluster.cpu?historyDays=1", field: "querystring/historyDays" },
  },
  {
    method: "POST",
    url: "/api/v1/targets/shop.web/train",
    role: "admin",
    okStatus: 202,
    invalid: { url: "/api/v1/targets/_x/train", field: "params/name" },
    unknownTargetUrl: "/api/v1/targets/nope/train",
  },
];

function problemOf(response: { headers: Record<string, unknown>; json: () => unknown }): ProblemDocument {
  expect(response.headers["content-type"]).toMatch(/^application\/problem\+json/);
  return response.json() as ProblemDocument;
}

describe("every API route", () => {
  let app: FastifyInstance;
  let backend: InMemoryBackend;

  beforeEach(async () => {
    ({ app, backend } = await buildInMemoryApi());
  });

  afterEach(async () => {
    await app.close();
  });

  for (const route of ROUTES) {
    describe(`${route.method} ${route.url.split("?")[0]!}`, () => {
      it(`answers ${route.okStatus} JSON with a ${route.role} token`, async () => {
        const response = await app.inject({
          method: route.method,
          url: route.url,
          headers: bearer(route.role),
        });
        expect(response.statusCode).toBe(route.okStatus);
        expect(response.headers["content-type"]).toMatch(/^application\/json/);
        expect(typeof response.json()).toBe("object");
      });

      it("answers 400 problem+json naming the field for a schema violation", async () => {
        const response = await app.inject({
          method: route.method,
          url: route.invalid.url,
          headers: bearer("admin"),
        });
        expect(response.statusCode).toBe(400);
        const problem = problemOf(response);
        expect(problem).toMatchObject({ status: 400, code: "PRESAGE_API_INVALID_REQUEST" });
        expect(problem.detail).toContain(route.invalid.field);
      });

      it("answers 401 with a Bearer challenge when no token is sent", async () => {
        const response = await app.inject({ method: route.method, url: route.url });
        expect(response.statusCode).toBe(401);
        expect(response.headers["www-authenticate"]).toMatch(/^Bearer /);
        expect(problemOf(response)).toMatchObject({ status: 401, code: "PRESAGE_API_UNAUTHORIZED" });
        expect(backend.calls).toEqual([]);
      });

      it("answers 401 for a token that matches none", async () => {
        const response = await app.inject({
          method: route.method,
          url: route.url,
          headers: { authorization: "Bearer not-a-configured-token-at-all" },
        });
        expect(response.statusCode).toBe(401);
        expect(response.headers["www-authenticate"]).toContain('error="invalid_token"');
        expect(problemOf(response).code).toBe("PRESAGE_API_UNAUTHORIZED");
        expect(backend.calls).toEqual([]);
      });

      if (route.role === "admin") {
        it("answers 403 to a read token", async () => {
          const response = await app.inject({
            method: route.method,
            url: route.url,
            headers: bearer("read"),
          });
          expect(response.statusCode).toBe(403);
          const problem = problemOf(response);
          expect(problem.code).toBe("PRESAGE_API_FORBIDDEN");
          expect(problem.detail).toContain("needs role admin");
          expect(backend.calls).toEqual([]);
        });
      }

      if (route.unknownTargetUrl !== undefined) {
        const unknownTargetUrl = route.unknownTargetUrl;
        it("answers 404 for an unknown target", async () => {
          const response = await app.inject({
            method: route.method,
            url: unknownTargetUrl,
            headers: bearer(route.role),
          });
          expect(response.statusCode).toBe(404);
          const problem = problemOf(response);
          expect(problem).toMatchObject({ status: 404, code: "PRESAGE_API_UNKNOWN_TARGET" });
          expect(problem.detail).toContain('"nope"');
        });
      }

      it("answers 503 problem+json when the backend is unavailable", async () => {
        backend.failNextWith(
          new ApiBackendError(ApiBackendErrorCode.unavailable, "the model registry is unavailable"),
        );
        const response = await app.inject({
          method: route.method,
          url: route.url,
          headers: bearer(route.role),
        });
        expect(response.statusCode).toBe(503);
        expect(problemOf(response)).toMatchObject({
          status: 503,
          code: "PRESAGE_API_UNAVAILABLE",
          detail: "the model registry is unavailable",
        });
      });

      it("answers 500 without the message or stack of an unexpected error", async () => {
        const bug = new TypeError("Cannot read properties of undefined (reading 'secretInternalField')");
        backend.failNextWith(bug);
        const response = await app.inject({
          method: route.method,
          url: route.url,
          headers: bearer(route.role),
        });
        expect(response.statusCode).toBe(500);
        const problem = problemOf(response);
        expect(problem.code).toBe("PRESAGE_API_INTERNAL");
        expect(response.body).not.toContain("secretInternalField");
        expect(response.body).not.toMatch(/\bat .*\.ts:\d+/);
        expect(problem.detail).toMatch(/request id \S+/);
      });
    });
  }
});
