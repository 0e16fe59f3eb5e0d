import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
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
import type { ForecastView, PresageBackend } from "../presage-backend.js";

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
      const { name } = request.params;
      const stepSeconds = await knownStepSeconds(context.backend, name);
      // `horizon` arrives parsed (seconds): the schema parsed the text once.
      const horizonSeconds = request.query.horizon ?? DEFAULT_HORIZON_SECONDS;
      const horizonSteps = request.query.horizonSteps ?? Math.ceil(horizonSeconds / stepSeconds);
      if (horizonSteps > MAX_HORIZON_STEPS) {
        throw new ApiProblem(
          ApiErrorCode.invalidRequest,
          `querystring/horizon: (${horizonSeconds} s) is ${horizonSteps} steps of ${stepSeconds} s; at most ${MAX_HORIZON_STEPS} steps`,
        );
      }
      return context.backend.forecast(name, { horizonSteps, levels: request.query.levels });
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
      const { name } = request.params;
      await knownStepSeconds(context.backend, name);
      return context.backend.history(name, { rangeMs: request.query.range * 1000 });
    },
  );
  return Promise.resolve();
};

/** The target's step; 404 when there is no such target. Uses the backend's cheap lookup when it has one. */
async function knownStepSeconds(backend: PresageBackend, name: string): Promise<number> {
  const stepSeconds =
    backend.stepSeconds === undefined
      ? (await backend.target(name))?.stepSeconds
      : await backend.stepSeconds(name);
  if (stepSeconds === undefined) {
    throw new ApiBackendError(ApiBackendErrorCode.unknownTarget, `no target named "${name}"`);
  }
  return stepSeconds;
}
