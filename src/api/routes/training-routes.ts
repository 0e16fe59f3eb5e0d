import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { ApiRouteContext } from "../api-route-context.js";
import { problemResponses, targetParamsSchema, trainingEnqueuedSchema } from "../api-schemas.js";
import { requireRole } from "../auth/bearer-auth.js";
import { ApiRole } from "../auth/api-token.js";

/** `POST /targets/:name/train` (admin): enqueue a retraining job; 202 with the job id. */
export const trainingRoutes: FastifyPluginAsyncZod<ApiRouteContext> = (app, context) => {
  app.post(
    "/targets/:name/train",
    {
      onRequest: requireRole(context.auth, ApiRole.admin),
      schema: {
        summary: "Retrain the target on its newest window (admin); the job runs in the background",
        description:
          "Job ids are target + window end, so asking twice for the same window queues one job (queued: false the second time).",
        tags: ["training"],
        security: [{ bearer: [] }],
        params: targetParamsSchema,
        response: { 202: trainingEnqueuedSchema, ...problemResponses },
      },
    },
    async (request, reply) => {
      const enqueued = await context.backend.enqueueTraining(request.params.name);
      request.log.info(
        {
          target: enqueued.target,
          jobId: enqueued.jobId,
          queued: enqueued.queued,
          by: request.principal?.name,
        },
        "training enqueued",
      );
      return reply.code(202).send(enqueued);
    },
  );
  return Promise.resolve();
};
