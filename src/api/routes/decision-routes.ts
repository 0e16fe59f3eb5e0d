import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { ApiRouteContext } from "../api-route-context.js";
import { decisionListSchema, decisionsQuerySchema, problemResponses } from "../api-schemas.js";
import { requireRole } from "../auth/bearer-auth.js";
import { ApiRole } from "../auth/api-token.js";

/** `GET /decisions` (read): the scaler's decision log, newest first. */
export const decisionRoutes: FastifyPluginAsyncZod<ApiRouteContext> = (app, context) => {
  app.get(
    "/decisions",
    {
      onRequest: requireRole(context.auth, ApiRole.read),
      schema: {
        summary: "Scaling decisions (applied or shadow), newest first, with their reasons",
        tags: ["decisions"],
        security: [{ bearer: [] }],
        querystring: decisionsQuerySchema,
        response: { 200: decisionListSchema, ...problemResponses },
      },
    },
    async (request) => {
      const { target, limit, since } = request.query;
      const decisions = await context.backend.decisions({
        limit,
        ...(target === undefined ? {} : { target }),
        ...(since === undefined ? {} : { sinceMs: since }),
      });
      return { decisions };
    },
  );
  return Promise.resolve();
};
