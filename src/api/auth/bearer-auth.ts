import type { FastifyReply, FastifyRequest } from "fastify";
import { ApiErrorCode } from "../api-error-code.js";
import { ApiProblem } from "../api-problem.js";
import { roleAllows, type ApiPrincipal, type ApiRole } from "./api-token.js";
import type { RequestRateLimiter } from "./request-rate-limiter.js";
import type { TokenVerifier } from "./token-verifier.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The token holder, set by the bearer-auth hook on authenticated routes. */
    principal?: ApiPrincipal;
  }
}

/** What the hook needs: who is who, and how fast each may go. */
export interface BearerAuth {
  readonly verifier: TokenVerifier;
  readonly limiter: RequestRateLimiter;
}

const CHALLENGE = { "www-authenticate": 'Bearer realm="presage"' } as const;
const INVALID_CHALLENGE = { "www-authenticate": 'Bearer realm="presage", error="invalid_token"' } as const;

/**
 * An `onRequest` hook that lets a request through only with a valid `Authorization: Bearer <token>`
 * whose role allows `required` (401 with `WWW-Authenticate`, else 403), then charges the token's rate
 * limit (429 with `Retry-After`). Runs before the body is read, so unauthenticated bodies are never
 * parsed.
 */
export function requireRole(
  auth: BearerAuth,
  required: ApiRole,
): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  return (request) => {
    const header = request.headers.authorization;
    if (header === undefined || header === "") {
      return Promise.reject(
        new ApiProblem(
          ApiErrorCode.unauthorized,
          "the Authorization header with a bearer token is missing",
          CHALLENGE,
        ),
      );
    }
    // A header value that verified before skips the parse and the hash (see TokenVerifier).
    const principal = auth.verifier.recall(header) ?? verifyAuthorization(auth.verifier, header);
    if (principal instanceof ApiProblem) return Promise.reject(principal);
    if (!roleAllows(principal.role, required)) {
      return Promise.reject(
        new ApiProblem(
          ApiErrorCode.forbidden,
          `token "${principal.name}" has role ${principal.role}; this route needs role ${required}`,
        ),
      );
    }
    const decision = auth.limiter.take(principal.name);
    if (!decision.allowed) {
      return Promise.reject(
        new ApiProblem(
          ApiErrorCode.rateLimited,
          `token "${principal.name}" is over its rate limit of ${auth.limiter.requestsPerSecond} requests/s (burst ${auth.limiter.burst}); retry after ${decision.retryAfterSeconds} s`,
          { "retry-after": String(decision.retryAfterSeconds) },
        ),
      );
    }
    request.principal = principal;
    return Promise.resolve();
  };
}

/** The holder of the bearer token in `header`, or the 401 to answer. */
function verifyAuthorization(verifier: TokenVerifier, header: string): ApiPrincipal | ApiProblem {
  const match = /^Bearer +(\S+) *$/i.exec(header);
  if (match === null) {
    return new ApiProblem(
      ApiErrorCode.unauthorized,
      'the Authorization header must be "Bearer <token>"',
      INVALID_CHALLENGE,
    );
  }
  return (
    verifier.verifyHeader(header, match[1] ?? "") ??
    new ApiProblem(ApiErrorCode.unauthorized, "the bearer token is not valid", INVALID_CHALLENGE)
  );
}
