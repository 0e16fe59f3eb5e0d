import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { ApiErrorCode } from "../api-error-code.js";
import { ApiProblem } from "../api-problem.js";
import type { ApiRouteContext } from "../api-route-context.js";
import { problemResponses, targetParamsSchema } from "../api-schemas.js";
import { requireRole } from "../auth/bearer-auth.js";
import { ApiRole } from "../auth/api-token.js";
import { capacityTargetSummary } from "../build-capacity-status-view.js";
import {
  capacityListSchema,
  capacityQuerySchema,
  capacityTargetResponseSchema,
} from "../capacity-schemas.js";
import type { CapacityStatusView, CapacityTargetView } from "../capacity-status-view.js";
import type { PresageBackend } from "../presage-backend.js";

/**
 * `GET /capacity` and `GET /capacity/:name` (read): capacity runway, tickets and forecast accuracy.
 * The list carries no time series (it stays small however long the history); one target's view
 * carries its daily usage and the forecast with the 80% band for plotting. A backend without capacity
 * planning answers 404 `PRESAGE_API_CAPACITY_DISABLED`.
 */
export const capacityRoutes: FastifyPluginAsyncZod<ApiRouteContext> = (app, context) => {
  const onRequest = requireRole(context.auth, ApiRole.read);
  app.get(
    "/capacity",
    {
      onRequest,
      schema: {
        summary: "Every capacity target: runway (p50/p90), ticket, backtest and ledger scores",
        tags: ["capacity"],
        security: [{ bearer: [] }],
        response: { 200: capacityListSchema, ...problemResponses },
      },
    },
    async () => {
      const status = await capacityOf(context.backend);
      return {
        plannedAtMs: status.plannedAtMs,
        targets: status.targets.map(capacityTargetSummary),
        pendingDeliveries: status.pendingDeliveries,
        notes: status.notes,
      };
    },
  );
  app.get(
    "/capacity/:name",
    {
      onRequest,
      schema: {
        summary: "One capacity target (every resource of it) with daily usage and the forecast band",
        description:
          "Usage is one value per UTC day (the max or p95 of its samples); the forecast covers days " +
          "1…horizon after the last observed day with p50 and the central 80% interval (p10–p90).",
        tags: ["capacity"],
        security: [{ bearer: [] }],
        params: targetParamsSchema,
        querystring: capacityQuerySchema,
        response: { 200: capacityTargetResponseSchema, ...problemResponses },
      },
    },
    async (request) => {
      const { name } = request.params;
      const { historyDays, resource } = request.query;
      const status = await capacityOf(context.backend);
      const ofName = status.targets.filter((target) => target.name === name);
      if (ofName.length === 0) {
        const known = status.targets.map((target) => target.name);
        throw new ApiProblem(
          ApiErrorCode.unknownCapacityTarget,
          `no capacity target named "${name}" (${known.length === 0 ? "none configured" : [...new Set(known)].join(", ")})`,
        );
      }
      const selected = ofName.filter((target) => resource === undefined || target.resource === resource);
      if (selected.length === 0) {
        throw new ApiProblem(
          ApiErrorCode.unknownCapacityTarget,
          `querystring/resource: capacity target "${name}" has no resource "${resource ?? ""}" (${ofName.map((target) => target.resource).join(", ")})`,
        );
      }
      return {
        name,
        plannedAtMs: status.plannedAtMs,
        resources: selected.map((target) => withHistoryDays(target, historyDays)),
        notes: status.notes,
      };
    },
  );
  return Promise.resolve();
};

async function capacityOf(backend: PresageBackend): Promise<CapacityStatusView> {
  if (backend.capacity === undefined) {
    throw new ApiProblem(
      ApiErrorCode.capacityDisabled,
      "this server does no capacity planning: its config has no capacity section",
    );
  }
  return backend.capacity();
}

/** The view with only the newest `historyDays` days of usage (all when undefined). */
function withHistoryDays(view: CapacityTargetView, historyDays: number | undefined): CapacityTargetView {
  if (historyDays === undefined || view.usage.timesMs.length <= historyDays) return view;
  const from = view.usage.timesMs.length - historyDays;
  return {
    ...view,
    usage: { timesMs: view.usage.timesMs.slice(from), values: view.usage.values.slice(from) },
  };
}
