import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import { parseAlertmanagerPayload } from "../../remediation/alerting/alertmanager-payload.js";
import type { RemediationEngine } from "../../remediation/execution/remediation-engine.js";
import { RemediationError, RemediationErrorCode } from "../../remediation/remediation-error.js";
import { ApiErrorCode } from "../api-error-code.js";
import { handleApiError } from "../api-error-handler.js";
import { ApiProblem } from "../api-problem.js";

/** Options of {@link alertWebhookRoutes}. */
export interface AlertWebhookRoutesOptions {
  readonly engine: RemediationEngine;
  /**
   * Bearer tokens Alertmanager may send (`http_config.authorization.credentials` in its
   * `webhook_configs`). Dedicated to the webhook: an API read or admin token is not accepted here.
   * Empty: every delivery is refused with 401.
   */
  readonly tokens: readonly string[];
  /** Largest body accepted (413 above). @defaultValue 2 MiB (1,000 alerts with generous labels) */
  readonly bodyLimitBytes?: number;
  /** Route path. @defaultValue "/alerts/alertmanager" */
  readonly path?: string;
}

const CHALLENGE = { "www-authenticate": 'Bearer realm="presage-alertmanager"' } as const;

/** Timing-safe comparison of a presented token with each accepted one. */
function tokenAccepted(presented: string, tokens: readonly string[]): boolean {
  // Digests have one length whatever the token's, so the comparison time says nothing about it.
  const given = sha256(presented);
  let accepted = false;
  for (const token of tokens) if (timingSafeEqual(sha256(token), given)) accepted = true;
  return accepted;
}

function sha256(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/**
 * `POST /alerts/alertmanager`: Alertmanager's webhook receiver (payload version 4).
 *
 * - Auth: `Authorization: Bearer <token>` with one of `tokens` (401 otherwise), checked before the
 *   body is read.
 * - Input: JSON only (415 otherwise), at most `bodyLimitBytes` (413), validated with zod; anything
 *   invalid is a 400 problem+json naming the fields — never a 5xx, never an action.
 * - Each alert is claimed once (fingerprint + startsAt + status) in the shared store, so duplicates
 *   from HA pairs are acknowledged and ignored; `resolved` closes the incident. Remediation runs in
 *   the background: the answer (200, one receipt per alert) comes at once.
 * - A store that cannot be reached is a 503 (Alertmanager retries the delivery).
 */
export const alertWebhookRoutes: FastifyPluginAsync<AlertWebhookRoutesOptions> = (app, options) => {
  app.setErrorHandler(handleApiError);
  // JSON only: text/plain (which Fastify parses by default) is a 415 here like any other type.
  app.removeContentTypeParser(["application/json", "text/plain"]);
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_request, body, done) => {
    const text = typeof body === "string" ? body : body.toString("utf8");
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
  const authenticate = (request: FastifyRequest): Promise<void> => {
    const match = /^Bearer +(\S+) *$/i.exec(request.headers.authorization ?? "");
    if (match === null) {
      return Promise.reject(
        new ApiProblem(
          ApiErrorCode.unauthorized,
          "the Authorization header with the webhook's bearer token is missing",
          CHALLENGE,
        ),
      );
    }
    if (!tokenAccepted(match[1] ?? "", options.tokens)) {
      return Promise.reject(
        new ApiProblem(
          ApiErrorCode.unauthorized,
          "the bearer token is not an accepted webhook token",
          CHALLENGE,
        ),
      );
    }
    return Promise.resolve();
  };
  app.post(
    options.path ?? "/alerts/alertmanager",
    {
      onRequest: authenticate,
      bodyLimit: options.bodyLimitBytes ?? 2 * 1024 * 1024,
      schema: {
        summary: "Alertmanager webhook receiver (payload version 4); acts on matching runbooks",
        tags: ["remediation"],
        security: [{ bearer: [] }],
      },
    },
    async (request, reply) => {
      if (request.body === undefined) {
        throw new ApiProblem(
          ApiErrorCode.invalidRequest,
          "body: a JSON Alertmanager webhook payload is required",
        );
      }
      const parsed = parseAlertmanagerPayload(request.body);
      if (!parsed.ok) {
        throw new ApiProblem(
          ApiErrorCode.invalidRequest,
          `not an Alertmanager webhook payload (version 4): ${parsed.problems.map((problem) => `${problem.field}: ${problem.rule}`).join("; ")}`,
        );
      }
      let receipts;
      try {
        receipts = await options.engine.receive(parsed.alerts);
      } catch (error) {
        if (error instanceof RemediationError && error.code === RemediationErrorCode.storeUnavailable) {
          throw new ApiProblem(
            ApiErrorCode.unavailable,
            `the remediation store is unavailable; retry the delivery (${error.message})`,
            {},
            { cause: error },
          );
        }
        throw error;
      }
      return reply
        .code(200)
        .send({ received: parsed.alerts.length, truncatedAlerts: parsed.truncatedAlerts, receipts });
    },
  );
  return Promise.resolve();
};
