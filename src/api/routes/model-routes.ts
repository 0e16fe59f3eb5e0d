import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { ApiErrorCode } from "../api-error-code.js";
import { ApiProblem } from "../api-problem.js";
import type { ApiRouteContext } from "../api-route-context.js";
import {
  artifactSummarySchema,
  modelListSchema,
  problemResponses,
  targetParamsSchema,
  versionParamsSchema,
} from "../api-schemas.js";
import { requireRole } from "../auth/bearer-auth.js";
import { ApiRole } from "../auth/api-token.js";

/** Model versions of a target (read) and moving its current pointer (admin). */
export const modelRoutes: FastifyPluginAsyncZod<ApiRouteContext> = (app, context) => {
  const read = requireRole(context.auth, ApiRole.read);
  const admin = requireRole(context.auth, ApiRole.admin);
  app.get(
    "/targets/:name/models",
    {
      onRequest: read,
      schema: {
        summary: "Every stored model version of the target, oldest first, with backtest scores",
        tags: ["models"],
        security: [{ bearer: [] }],
        params: targetParamsSchema,
        response: { 200: modelListSchema, ...problemResponses },
      },
    },
    async (request) => ({ models: await context.backend.models(request.params.name) }),
  );
  app.post(
    "/targets/:name/models/:version/promote",
    {
      onRequest: admin,
      schema: {
        summary: "Make a version current (admin)",
        tags: ["models"],
        security: [{ bearer: [] }],
        params: versionParamsSchema,
        response: { 200: artifactSummarySchema, ...problemResponses },
      },
    },
    async (request) => {
      const { name, version } = request.params;
      request.log.info({ target: name, version, by: request.principal?.name }, "model promoted");
      return context.backend.promote(name, version);
    },
  );
  app.post(
    "/targets/:name/models/rollback",
    {
      onRequest: admin,
      schema: {
        summary: "Make the previously current version current again (admin)",
        tags: ["models"],
        security: [{ bearer: [] }],
        params: targetParamsSchema,
        response: { 200: artifactSummarySchema, ...problemResponses },
      },
    },
    async (request) => {
      const { name } = request.params;
      const restored = await context.backend.rollBack(name);
      if (restored === undefined) {
        throw new ApiProblem(
          ApiErrorCode.nothingToRollBack,
          `target "${name}" has no earlier current version to roll back to`,
        );
      }
      request.log.info(
        { target: name, version: restored.version, by: request.principal?.name },
        "model rolled back",
      );
      return restored;
    },
  );
  return Promise.resolve();
};
