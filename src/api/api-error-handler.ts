import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { ApiBackendError } from "./api-backend-error.js";
import { ApiErrorCode } from "./api-error-code.js";
import { ApiProblem, sendProblem } from "./api-problem.js";

/** Fastify's own request errors whose messages are safe to show, by the catalogue code they become. */
const FASTIFY_CODES: Readonly<Record<string, ApiErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: ApiErrorCode.bodyTooLarge,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ApiErrorCode.unsupportedMediaType,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ApiErrorCode.invalidRequest,
  FST_ERR_CTP_EMPTY_JSON_BODY: ApiErrorCode.invalidRequest,
  FST_ERR_CTP_INVALID_JSON_BODY: ApiErrorCode.invalidRequest,
  FST_ERR_BAD_URL: ApiErrorCode.invalidRequest,
  FST_ERR_ASYNC_CONSTRAINT: ApiErrorCode.invalidRequest,
};

interface ValidationIssue {
  readonly instancePath?: string;
  readonly message?: string;
}

/**
 * The one error handler: every failure becomes `application/problem+json` with a catalogue code.
 * Schema violations are 400 naming the part and field (`querystring/levels: …`); `ApiProblem`s keep
 * their code and headers; backend codes map to 404/409/503; Fastify's request errors (body too large,
 * bad JSON) keep their status. Anything else is a 500 whose detail names only the request id — the
 * error itself goes to the server log, never to the client.
 */
export function handleApiError(caught: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (caught instanceof ApiProblem) return sendProblem(reply, caught.code, caught.detail, caught.headers);
  const error = (typeof caught === "object" && caught !== null ? caught : {}) as Partial<FastifyError>;
  if (Array.isArray(error.validation) && error.validation.length > 0) {
    const part = error.validationContext ?? "request";
    const detail = (error.validation as readonly ValidationIssue[])
      .map((issue) => `${part}${issue.instancePath ?? ""}: ${issue.message ?? "is invalid"}`)
      .join("; ");
    return sendProblem(reply, ApiErrorCode.invalidRequest, detail);
  }
  if (caught instanceof ApiBackendError) {
    if (caught.code === ApiErrorCode.unavailable) {
      request.log.warn({ err: caught }, "backend unavailable");
    }
    return sendProblem(reply, caught.code, caught.message);
  }
  const fastifyCode = typeof error.code === "string" ? FASTIFY_CODES[error.code] : undefined;
  if (fastifyCode !== undefined) return sendProblem(reply, fastifyCode, error.message ?? "invalid request");
  request.log.error({ err: caught }, "request failed");
  return sendProblem(
    reply,
    ApiErrorCode.internal,
    `an internal error occurred; the server log has the details (request id ${request.id})`,
  );
}

/** Unknown routes: 404 problem+json. */
export function handleRouteNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendProblem(
    reply,
    ApiErrorCode.routeNotFound,
    `no route ${request.method} ${request.url.split("?")[0] ?? ""}; see /docs for the API`,
  );
}
