import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import type { RemediationEngine } from "../../remediation/execution/remediation-engine.js";
import { RemediationError, RemediationErrorCode } from "../../remediation/remediation-error.js";
import { ApiErrorCode } from "../api-error-code.js";
import { handleApiError } from "../api-error-handler.js";
import { ApiProblem, PROBLEM_CONTENT_TYPE } from "../api-problem.js";
import { ApiRole } from "../auth/api-token.js";
import { requireRole, type BearerAuth } from "../auth/bearer-auth.js";

/** Options of {@link remediationRoutes}. */
export interface RemediationRoutesOptions {
  readonly engine: RemediationEngine;
  /** The API's bearer auth: reads need a read token, decisions an admin token. */
  readonly auth: BearerAuth;
}

const incidentParams = z.object({
  id: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[0-9a-z-]+$/, "must be an incident id"),
});
const runbookParams = z.object({
  runbook: z
    .string()
    .min(1)
    .max(63)
    .regex(/^[a-z0-9][a-z0-9-]*$/, "must be a runbook name"),
});
const listQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) });
const rejectBody = z
  .object({ reason: z.string().min(1).max(1000).default("rejected by an admin") })
  .default({ reason: "rejected by an admin" });

/** Remediation's own problem codes (404 unknown incident, 409 not awaiting approval). */
const REMEDIATION_PROBLEMS: Partial<Record<RemediationErrorCode, { status: number; title: string }>> = {
  [RemediationErrorCode.unknownIncident]: { status: 404, title: "Unknown incident" },
  [RemediationErrorCode.notAwaitingApproval]: { status: 409, title: "Not awaiting approval" },
};

function parse<T>(schema: z.ZodType<T>, value: unknown, part: string): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new ApiProblem(
      ApiErrorCode.invalidRequest,
      result.error.issues
        .map(
          (issue) => `${part}${issue.path.length === 0 ? "" : `/${issue.path.join("/")}`}: ${issue.message}`,
        )
        .join("; "),
    );
  }
  return result.data;
}

/**
 * The incident ledger and approvals (mounted under the API prefix):
 *
 * - `GET /remediation/incidents?limit=` (read): newest first, with timelines and MTTR;
 * - `GET /remediation/incidents/:id` (read);
 * - `POST /remediation/incidents/:id/approve` / `…/reject` (admin): decide an `approval`-mode plan;
 * - `GET /remediation/stats` (read): success, false-positive, manual-intervention and coverage rates;
 * - `GET /remediation/guards` (read): cooldowns, hourly counts, in-flight work, breakers;
 * - `POST /remediation/breakers/:runbook/reset` (admin).
 */
export const remediationRoutes: FastifyPluginAsync<RemediationRoutesOptions> = (app, options) => {
  const { engine } = options;
  const read = requireRole(options.auth, ApiRole.read);
  const admin = requireRole(options.auth, ApiRole.admin);
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof RemediationError) {
      const problem = REMEDIATION_PROBLEMS[error.code];
      if (problem !== undefined) return sendRemediationProblem(request, reply, error, problem);
      if (error.code === RemediationErrorCode.storeUnavailable) {
        return handleApiError(
          new ApiProblem(ApiErrorCode.unavailable, error.message, {}, { cause: error }),
          request,
          reply,
        );
      }
    }
    return handleApiError(error, request, reply);
  });
  const tags = ["remediation"];
  const security = [{ bearer: [] }];
  app.get(
    "/remediation/incidents",
    { onRequest: read, schema: { summary: "Incidents, newest first", tags, security } },
    async (request) => {
      const { limit } = parse(listQuery, request.query, "querystring");
      return { incidents: await engine.incidents(limit) };
    },
  );
  app.get(
    "/remediation/incidents/:id",
    { onRequest: read, schema: { summary: "One incident with its timeline", tags, security } },
    async (request) => {
      const { id } = parse(incidentParams, request.params, "params");
      const incident = await engine.incident(id);
      if (incident === undefined)
        throw new RemediationError(RemediationErrorCode.unknownIncident, `no incident ${JSON.stringify(id)}`);
      return incident;
    },
  );
  app.post(
    "/remediation/incidents/:id/approve",
    { onRequest: admin, schema: { summary: "Approve a pending remediation (admin)", tags, security } },
    async (request) => {
      const { id } = parse(incidentParams, request.params, "params");
      return engine.approve(id, request.principal?.name ?? "admin");
    },
  );
  app.post(
    "/remediation/incidents/:id/reject",
    { onRequest: admin, schema: { summary: "Reject a pending remediation (admin)", tags, security } },
    async (request) => {
      const { id } = parse(incidentParams, request.params, "params");
      const { reason } = parse(rejectBody, request.body ?? undefined, "body");
      return engine.reject(id, request.principal?.name ?? "admin", reason);
    },
  );
  app.get(
    "/remediation/stats",
    { onRequest: read, schema: { summary: "Self-healing outcome rates", tags, security } },
    async () => {
      const stats = await engine.stats();
      const { mttrMs, ...rates } = stats;
      const quantile = (q: number): number | null =>
        mttrMs.length === 0
          ? null
          : (mttrMs[Math.min(mttrMs.length - 1, Math.floor(q * mttrMs.length))] ?? null);
      return { ...rates, mttrMedianMs: quantile(0.5), mttrP95Ms: quantile(0.95) };
    },
  );
  app.get(
    "/remediation/guards",
    { onRequest: read, schema: { summary: "Guard state: cooldowns, counts, breakers", tags, security } },
    () => engine.guardState(),
  );
  app.post(
    "/remediation/breakers/:runbook/reset",
    { onRequest: admin, schema: { summary: "Close a runbook's circuit breaker (admin)", tags, security } },
    async (request) => {
      const { runbook } = parse(runbookParams, request.params, "params");
      await engine.resetBreaker(runbook);
      return { runbook, breaker: "closed" };
    },
  );
  return Promise.resolve();
};

function sendRemediationProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  error: RemediationError,
  problem: { status: number; title: string },
): FastifyReply {
  return reply
    .code(problem.status)
    .type(PROBLEM_CONTENT_TYPE)
    .send(
      JSON.stringify({
        type: `urn:presage:problem:${error.code}`,
        title: problem.title,
        status: problem.status,
        detail: error.message,
        code: error.code,
        instance: request.url.split("?")[0],
      }),
    );
}
