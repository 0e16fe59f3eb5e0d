import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { ApiBackendError, ApiBackendErrorCode } from "../api-backend-error.js";
import type { ApiRouteContext } from "../api-route-context.js";
import {
  problemResponses,
  targetListSchema,
  targetParamsSchema,
  targetSummarySchema,
} from "../api-schemas.js";
import { requireRole } from "../auth/bearer-auth.js";
import { ApiRole } from "../auth/api-token.js";

/** `GET /targets` and `GET /targets/:name` (read). */
export const targetRoutes: FastifyPluginAsyncZod<ApiRouteContext> = (app, context) => {
  const onRequest = requireRole(context.auth, ApiRole.read);
  app.get(
    "/targets",
    {
      onRequest,
      schema: {
        summary: "Every target, with its current model and scaler settings",
        tags: ["targets"],
        security: [{ bearer: [] }],
        response: { 200: targetListSchema, ...problemResponses },
      },
    },
    async () => ({ targets: await context.backend.listTargets() }),
  );
  app.get(
    "/targets/:name",
    {
      onRequest,
      schema: {
        summary: "One target",
        tags: ["targets"],
        security: [{ bearer: [] }],
        params: targetParamsSchema,
        response: { 200: targetSummarySchema, ...problemResponses },
      },
    },
    async (request) => {
      const target = await context.backend.target(request.params.name);
      if (target === undefined) {
        throw new ApiBackendError(
          ApiBackendErrorCode.unknownTarget,
          `no target named "${request.params.name}"`,
        );
      }
      return target;
    },
  );
  return Promise.resolve();
};
