import fastifySwagger from "@fastify/swagger";
import fastifySwaggerUi from "@fastify/swagger-ui";
import Fastify, { type FastifyInstance } from "fastify";
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  validatorCompiler,
  type ZodTypeProvider,
} from "fastify-type-provider-zod";
import type { MetricsSource } from "../telemetry/metrics-server.js";
import { API_DEFAULTS } from "./api-config.js";
import { ApiErrorCode } from "./api-error-code.js";
import { ApiMetrics } from "./api-metrics.js";
import { handleApiError, handleRouteNotFound } from "./api-error-handler.js";
import { ApiProblem } from "./api-problem.js";
import type { ApiRouteContext } from "./api-route-context.js";
import type { ApiToken } from "./auth/api-token.js";
import { RequestRateLimiter } from "./auth/request-rate-limiter.js";
import { TokenVerifier } from "./auth/token-verifier.js";
import type { PresageBackend } from "./presage-backend.js";
import { capacityRoutes } from "./routes/capacity-routes.js";
import { dashboardRoutes, type DashboardRoutesOptions } from "./routes/dashboard-routes.js";
import { decisionRoutes } from "./routes/decision-routes.js";
import { forecastRoutes } from "./routes/forecast-routes.js";
import { healthRoutes } from "./routes/health-routes.js";
import { modelRoutes } from "./routes/model-routes.js";
import { targetRoutes } from "./routes/target-routes.js";
import { trainingRoutes } from "./routes/training-routes.js";

/** Options of {@link buildApiApp}. */
export interface ApiAppOptions {
  /** Everything the routes read and change. */
  readonly backend: PresageBackend;
  /** Accepted bearer tokens (see `resolveApiTokens`); with none, every authenticated route answers 401. */
  readonly tokens: readonly ApiToken[];
  /**
   * Per-token request budget: `requestsPerSecond` sustained (0: no limit), `burst` at once.
   * @defaultValue 100 requests/s, burst 200
   */
  readonly rateLimit?: { readonly requestsPerSecond: number; readonly burst?: number };
  /** Largest request body accepted (413 above it). @defaultValue 65 536 */
  readonly bodyLimitBytes?: number;
  /**
   * prom-client registries (or anything with `metrics()` and `contentType`) `/metrics` serves after the
   * API's own request metrics (api-metrics.ts). @defaultValue none
   */
  readonly metrics?: readonly MetricsSource[];
  /**
   * Server log level (JSON lines on stderr): failures are logged at `error` (500s, with the stack) and
   * `warn` (unavailable dependencies); requests themselves at `info`. @defaultValue "silent"
   */
  readonly logLevel?: "silent" | "error" | "warn" | "info" | "debug";
  /** The version the OpenAPI document states. @defaultValue "1" */
  readonly version?: string;
  /**
   * The dashboard (`/` and `/dashboard/*`, no token: the page holds no data), or false for none.
   * @defaultValue the built dashboard of this package (`dist/dashboard`)
   */
  readonly dashboard?: DashboardRoutesOptions | false;
  /**
   * More route groups (e.g. remediation), registered after the core routes with the same context
   * (backend, bearer auth, metrics); each decides its own prefix (use {@link API_PREFIX}).
   * @defaultValue none
   */
  readonly plugins?: readonly ApiPlugin[];
  /** Monotonic clock of the rate limiter (tests). @defaultValue `performance.now` */
  readonly nowMs?: () => number;
}

/** Registers a route group on the app, e.g. `(app, context) => app.register(routes, { ...context, prefix: API_PREFIX })`. */
export type ApiPlugin = (app: FastifyInstance, context: ApiRouteContext) => PromiseLike<unknown>;

/** Prefix of every versioned API route. */
export const API_PREFIX = "/api/v1";

/**
 * The HTTP API as a Fastify instance, not listening (call `listen`, or `inject` in tests): routes
 * under `/api/v1` behind bearer tokens (read/admin) with a per-token rate limit, `/healthz`,
 * `/readyz` and `/metrics` without, OpenAPI 3 at `/docs` (JSON at `/docs/json`), the dashboard at
 * `/`. Requests are
 * validated with zod; every error is `application/problem+json` with a stable code (api-error-code.ts).
 */
export async function buildApiApp(options: ApiAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger:
      (options.logLevel ?? "silent") === "silent"
        ? false
        : { level: options.logLevel ?? "silent", stream: process.stderr },
    bodyLimit: options.bodyLimitBytes ?? API_DEFAULTS.bodyLimitBytes,
    // Clients send ids like "shop.web" and durations like "30m": nothing needs case folding or
    // trailing-slash aliases, and strict routes keep the OpenAPI document exact.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
  });
  app.setValidatorCompiler(validatorCompiler);
  // Responses are typed and documented by their zod schemas but written with JSON.stringify: the
  // backend's values are already of those types, and re-validating every response would cost the
  // hot forecast route more than it serves.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  app.setErrorHandler(handleApiError);
  app.setNotFoundHandler(handleRouteNotFound);
  // POST routes take no body; an empty JSON body is fine, and bad JSON is a clear 400.
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_request, body, done) => {
    const text = typeof body === "string" ? body : body.toString("utf8");
    if (text.trim() === "") {
      done(null, undefined);
      return;
    }
    try {
      done(null, JSON.parse(text) as unknown);
    } catch (error) {
      done(
        new ApiProblem(
          ApiErrorCode.invalidRequest,
          `body: is not valid JSON (${error instanceof Error ? error.message : String(error)})`,
        ),
        undefined,
      );
    }
  });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: "3.0.3",
      info: {
        title: "presage API",
        description:
          "Forecasts, scaling decisions and models of presage. Send `Authorization: Bearer <token>`; " +
          "read routes need a read or admin token, changes an admin token. Errors are " +
          "application/problem+json with a stable `code`.",
        version: options.version ?? "1",
      },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(fastifySwaggerUi, { routePrefix: "/docs" });

  const apiMetrics = new ApiMetrics();
  app.addHook("onResponse", (request, reply, done) => {
    apiMetrics.observe(
      request.routeOptions.url ?? "unmatched",
      request.method,
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
    done();
  });

  const context: ApiRouteContext = {
    backend: options.backend,
    auth: {
      verifier: new TokenVerifier(options.tokens),
      limiter: new RequestRateLimiter({
        requestsPerSecond: options.rateLimit?.requestsPerSecond ?? API_DEFAULTS.requestsPerSecond,
        ...(options.rateLimit?.burst === undefined ? {} : { burst: options.rateLimit.burst }),
        ...(options.nowMs === undefined ? {} : { nowMs: options.nowMs }),
      }),
    },
    metrics: [apiMetrics, ...(options.metrics ?? [])],
  };
  const api = app.withTypeProvider<ZodTypeProvider>();
  await api.register(healthRoutes, context);
  for (const routes of [
    targetRoutes,
    forecastRoutes,
    decisionRoutes,
    modelRoutes,
    trainingRoutes,
    capacityRoutes,
  ]) {
    await api.register(routes, { ...context, prefix: API_PREFIX });
  }
  for (const plugin of options.plugins ?? []) await plugin(app, context);
  if (options.dashboard !== false) await app.register(dashboardRoutes, options.dashboard ?? {});
  return app;
}
