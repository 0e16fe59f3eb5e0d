import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { ApiRouteContext } from "../api-route-context.js";
import { livenessSchema, readinessSchema } from "../api-schemas.js";
import type { DependencyCheck } from "../presage-backend.js";

/**
 * `/healthz` (liveness: the process answers), `/readyz` (200 when every dependency the backend
 * reports is usable, else 503) and `/metrics` (Prometheus text). None needs a token: probes and
 * Prometheus scrapes come from the cluster, and neither reveals anything a token protects (metrics
 * carry target names and numbers, no secrets); put the API behind a NetworkPolicy if that matters.
 */
export const healthRoutes: FastifyPluginAsyncZod<ApiRouteContext> = (app, context) => {
  app.get(
    "/healthz",
    {
      schema: { summary: "Liveness", tags: ["health"], response: { 200: livenessSchema } },
    },
    () => Promise.resolve({ status: "ok" as const }),
  );
  app.get(
    "/readyz",
    {
      schema: {
        summary: "Readiness: every dependency usable (200) or not (503)",
        tags: ["health"],
        response: { 200: readinessSchema, 503: readinessSchema },
      },
    },
    async (request, reply) => {
      let checks: DependencyCheck[];
      try {
        checks = await context.backend.readiness();
      } catch (error) {
        request.log.warn({ err: error }, "readiness check failed");
        checks = [{ name: "backend", ok: false, detail: "the readiness check itself failed" }];
      }
      const ready = checks.every((check) => check.ok);
      return reply.code(ready ? 200 : 503).send({ ready, checks });
    },
  );
  app.get(
    "/metrics",
    {
      schema: {
        summary: "Prometheus metrics (text exposition format)",
        tags: ["health"],
        response: { 200: z.string() },
      },
    },
    async (_request, reply) => {
      const texts = await Promise.all(context.metrics.map((source) => source.metrics()));
      return reply
        .type(context.metrics[0]?.contentType ?? "text/plain; version=0.0.4; charset=utf-8")
        .send(texts.join("\n"));
    },
  );
  return Promise.resolve();
};
