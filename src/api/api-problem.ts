import type { FastifyReply } from "fastify";
import { API_ERRORS, type ApiErrorCode } from "./api-error-code.js";

/** An RFC 9457 problem document, as every API error response carries it. */
export interface ProblemDocument {
  /** `urn:presage:problem:<code>`: stable, like `code`. */
  readonly type: string;
  readonly title: string;
  readonly status: number;
  /** What went wrong with this request, naming the field, value and rule when there is one. */
  readonly detail: string;
  readonly code: ApiErrorCode;
  /** The request path. */
  readonly instance?: string;
}

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

/**
 * A failure a route or hook raises on purpose, with its catalogue code; the error handler turns it
 * into a problem response (with `headers`, e.g. `WWW-Authenticate` or `Retry-After`).
 */
export class ApiProblem extends Error {
  override readonly name = "ApiProblem";
  constructor(
    readonly code: ApiErrorCode,
    readonly detail: string,
    readonly headers: Readonly<Record<string, string>> = {},
    options?: ErrorOptions,
  ) {
    super(detail, options);
  }

  get status(): number {
    return API_ERRORS[this.code].status;
  }
}

/** The problem document of `code` with `detail`. */
export function problemDocument(code: ApiErrorCode, detail: string, instance?: string): ProblemDocument {
  const { status, title } = API_ERRORS[code];
  return {
    type: `urn:presage:problem:${code}`,
    title,
    status,
    detail,
    code,
    ...(instance === undefined ? {} : { instance }),
  };
}

/** Sends a problem response (status, `application/problem+json`, extra headers). */
export function sendProblem(
  reply: FastifyReply,
  code: ApiErrorCode,
  detail: string,
  headers: Readonly<Record<string, string>> = {},
): FastifyReply {
  const document = problemDocument(code, detail, reply.request.url.split("?")[0]);
  return reply
    .code(document.status)
    .headers(headers)
    .type(PROBLEM_CONTENT_TYPE)
    .send(JSON.stringify(document));
}
