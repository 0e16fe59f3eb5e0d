import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { parseDurationSeconds } from "../../config/duration.js";
import { ApiBackendError, ApiBackendErrorCode } from "../api-backend-error.js";
import { ApiErrorCode } from "../api-error-code.js";
import { ApiProblem } from "../api-problem.js";
import type { ApiRouteContext } from "../api-route-context.js";
import {
  forecastQuerySchema,
  forecastViewSchema,
  historyQuerySchema,
  MAX_HORIZON_STEPS,
  problemResponses,
  seriesViewSchema,
  targetParamsSchema,
} from "../api-schemas.js";
import { requireRole } from "../auth/bearer-auth.js";
import { ApiRole } from "../auth/api-token.js";
import type { ForecastView, PresageBackend, TargetSummary } from "../presage-backend.js";

const DEFAULT_HORIZON_SECONDS = 1800;

/**
 * `GET /targets/:name/forecast` and `GET /targets/:name/history` (read). The forecast route is the
 * hot path (dashboards poll it): the backend caches forecasts, and the JSON text of each cached
 * forecast object is kept too, so a cached forecast costs one map lookup and no serialization.
 */
export const forecastRoutes: FastifyPluginAsyncZod<ApiRouteContext> = (app, context) => {
  const onRequest = requireRole(context.auth, ApiRole.read);
  const serialized = new WeakMap<ForecastView, string>();
  app.get(
    "/targets/:name/forecast",
    {
      onRequest,
      // The backend hands out the same object while the forecast is cached: serialize it once.
      serializerCompiler: () => (data) => {
        if (typeof data !== "object" || data === null) return JSON.stringify(data);
        const view = data as ForecastView;
        let json = serialized.get(view);
        if (json === undefined) {
          json = JSON.stringify(view);
          serialized.set(view, json);
        }
        return json;
      },
      schema: {
        summary: "Forecast of the target's load from its newest data, with prediction intervals",
        description:
          "Cached per (model version, data end, horizon, levels): recomputed when the model or the data changes.",
        tags: ["forecasts"],
        security: [{ bearer: [] }],
        params: targetParamsSchema,
        querystring: forecastQuerySchema,
        response: { 200: forecastViewSchema, ...problemResponses },
      },
    },
    async (request) => {
      const target = await knownTarget(context.backend, request.params.name);
      const horizonSteps =
        request.query.horizonSteps ??
        Math.ceil(
          (request.query.horizon === undefined
            ? DEFAULT_HORIZON_SECONDS
            : (parseDurationSeconds(request.query.horizon) ?? DEFAULT_HORIZON_SECONDS)) / target.stepSeconds,
        );
      if (horizonSteps > MAX_HORIZON_STEPS) {
        throw new ApiProblem(
          ApiErrorCode.invalidRequest,
          `querystring/horizon: (${JSON.stringify(request.query.horizon)}) is ${horizonSteps} steps of ${target.stepSeconds} s; at most ${MAX_HORIZON_STEPS} steps`,
        );
      }
      return context.backend.forecast(target.name, { horizonSteps, levels: request.query.levels });
    },
  );
  app.get(
    "/targets/:name/history",
    {
      onRequest,
      schema: {
        summary: "Observed load of the target over the last `range`, for plotting",
        tags: ["forecasts"],
        security: [{ bearer: [] }],
        params: targetParamsSchema,
        querystring: historyQuerySchema,
        response: { 200: seriesViewSchema, ...problemResponses },
      },
    },
    async (request) => {
      const target = await knownTarget(context.backend, request.params.name);
      const rangeMs = (parseDurationSeconds(request.query.range) ?? 86_400) * 1000;
      return context.backend.history(target.name, { rangeMs });
    },
  );
  return Promise.resolve();
};

async function knownTarget(backend: PresageBackend, name: string): Promise<TargetSummary> {
  const target = await backend.target(name);
  if (target === undefined) {
    throw new ApiBackendError(ApiBackendErrorCode.unknownTarget, `no target named "${name}"`);
  }
  return target;
}
