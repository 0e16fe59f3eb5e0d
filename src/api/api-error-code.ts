import { ApiBackendErrorCode } from "./api-backend-error.js";

/**
 * Every `code` an API error response can carry, with its HTTP status: one catalogue, like Fastify's
 * `FST_ERR_*`. Clients may switch on `code`; `title` and `detail` are for people.
 *
 * | code | status | when |
 * | --- | --- | --- |
 * | `PRESAGE_API_INVALID_REQUEST` | 400 | a path parameter, query parameter or body breaks its schema |
 * | `PRESAGE_API_UNAUTHORIZED` | 401 | no bearer token, or one that matches no configured token |
 * | `PRESAGE_API_FORBIDDEN` | 403 | the token's role may not use the route (admin routes need `admin`) |
 * | `PRESAGE_API_UNKNOWN_TARGET` | 404 | no such target |
 * | `PRESAGE_API_UNKNOWN_VERSION` | 404 | no such model version |
 * | `PRESAGE_API_UNKNOWN_CAPACITY_TARGET` | 404 | no such capacity target (or resource of it) |
 * | `PRESAGE_API_CAPACITY_DISABLED` | 404 | this server does no capacity planning (no `capacity:` section) |
 * | `PRESAGE_API_ROUTE_NOT_FOUND` | 404 | no such route |
 * | `PRESAGE_API_NO_MODEL` | 409 | the target has no trained model yet |
 * | `PRESAGE_API_NO_DATA` | 409 | the target has no data to forecast from |
 * | `PRESAGE_API_NOTHING_TO_ROLL_BACK` | 409 | roll back asked for, but no earlier version was current |
 * | `PRESAGE_API_BODY_TOO_LARGE` | 413 | the request body is over the body limit |
 * | `PRESAGE_API_UNSUPPORTED_MEDIA_TYPE` | 415 | a body in a content type the API does not read |
 * | `PRESAGE_API_RATE_LIMITED` | 429 | the token used up its request budget; see `Retry-After` |
 * | `PRESAGE_API_INTERNAL` | 500 | a bug or unexpected failure (details only in the server log) |
 * | `PRESAGE_API_UNAVAILABLE` | 503 | a dependency (registry, metric source) is unavailable |
 */
export const ApiErrorCode = {
  invalidRequest: "PRESAGE_API_INVALID_REQUEST",
  unauthorized: "PRESAGE_API_UNAUTHORIZED",
  forbidden: "PRESAGE_API_FORBIDDEN",
  unknownTarget: ApiBackendErrorCode.unknownTarget,
  unknownVersion: ApiBackendErrorCode.unknownVersion,
  unknownCapacityTarget: "PRESAGE_API_UNKNOWN_CAPACITY_TARGET",
  capacityDisabled: "PRESAGE_API_CAPACITY_DISABLED",
  routeNotFound: "PRESAGE_API_ROUTE_NOT_FOUND",
  noModel: ApiBackendErrorCode.noModel,
  noData: ApiBackendErrorCode.noData,
  nothingToRollBack: "PRESAGE_API_NOTHING_TO_ROLL_BACK",
  bodyTooLarge: "PRESAGE_API_BODY_TOO_LARGE",
  unsupportedMediaType: "PRESAGE_API_UNSUPPORTED_MEDIA_TYPE",
  rateLimited: "PRESAGE_API_RATE_LIMITED",
  internal: "PRESAGE_API_INTERNAL",
  unavailable: ApiBackendErrorCode.unavailable,
} as const;
export type ApiErrorCode = (typeof ApiErrorCode)[keyof typeof ApiErrorCode];

/** HTTP status and title of each code. */
export const API_ERRORS: Readonly<Record<ApiErrorCode, { readonly status: number; readonly title: string }>> =
  {
    [ApiErrorCode.invalidRequest]: { status: 400, title: "Invalid request" },
    [ApiErrorCode.unauthorized]: { status: 401, title: "Unauthorized" },
    [ApiErrorCode.forbidden]: { status: 403, title: "Forbidden" },
    [ApiErrorCode.unknownTarget]: { status: 404, title: "Unknown target" },
    [ApiErrorCode.unknownVersion]: { status: 404, title: "Unknown model version" },
    [ApiErrorCode.unknownCapacityTarget]: { status: 404, title: "Unknown capacity target" },
    [ApiErrorCode.capacityDisabled]: { status: 404, title: "Capacity planning not configured" },
    [ApiErrorCode.routeNotFound]: { status: 404, title: "Not found" },
    [ApiErrorCode.noModel]: { status: 409, title: "No trained model" },
    [ApiErrorCode.noData]: { status: 409, title: "No data" },
    [ApiErrorCode.nothingToRollBack]: { status: 409, title: "Nothing to roll back to" },
    [ApiErrorCode.bodyTooLarge]: { status: 413, title: "Request body too large" },
    [ApiErrorCode.unsupportedMediaType]: { status: 415, title: "Unsupported media type" },
    [ApiErrorCode.rateLimited]: { status: 429, title: "Too many requests" },
    [ApiErrorCode.internal]: { status: 500, title: "Internal server error" },
    [ApiErrorCode.unavailable]: { status: 503, title: "Service unavailable" },
  };
