import { readFileSync } from "node:fs";
import { CapacityError, CapacityErrorCode, SinkDeliveryError } from "./capacity-error.js";
import type { TicketContent } from "./ticket-content.js";
import { parseRetryAfter } from "../http/parse-retry-after.js";
import { shownUrl } from "../http/shown-url.js";

/** One delivery a sink is asked to make. */
export interface SinkDelivery {
  readonly content: TicketContent;
  /** What this sink returned when it opened the ticket (issue number, Jira key), if anything. */
  readonly ref: string | undefined;
  /** The ticket's generation (a reopened ticket is a new one); with the fingerprint it marks the issue. */
  readonly generation: number;
  /** When the outbox queued this message: an issue it created can be no older (bounds lookups). */
  readonly queuedAtMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * Port for where tickets go. `deliver` either succeeds (returning a reference for later updates when
 * it created something) or throws `SinkDeliveryError`; the outbox retries every failure.
 */
export interface TicketSink {
  readonly name: string;
  readonly type: "webhook" | "github" | "jira" | "slack";
  deliver(delivery: SinkDelivery): Promise<{ readonly ref?: string }>;
}

/** Reads a sink's token from `token` or `tokenFile` (once, at construction). */
export function readSinkToken(sink: {
  readonly name: string;
  readonly token?: string | undefined;
  readonly tokenFile?: string | undefined;
}): string | undefined {
  if (sink.tokenFile === undefined) return sink.token;
  try {
    return readFileSync(sink.tokenFile, "utf8").trim();
  } catch (error) {
    throw new CapacityError(
      CapacityErrorCode.sinkInvalid,
      `capacity.sinks "${sink.name}": tokenFile (${sink.tokenFile}) cannot be read`,
      { cause: error },
    );
  }
}

/** Options of {@link sendJson}. */
export interface SendJsonOptions {
  readonly method: "GET" | "POST" | "PUT" | "PATCH";
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
  /** Names the request in errors, e.g. `github "ops" create issue`. */
  readonly description: string;
}

/**
 * One HTTP request with a JSON body; resolves with the parsed JSON answer (or `undefined` for an empty
 * or non-JSON one) on 2xx, throws `SinkDeliveryError` otherwise: network errors, timeouts, 408, 429 and
 * 5xx are retryable, other statuses are not (a token or project to fix). The answer's text is quoted
 * (shortened) in the message; tokens never are.
 */
export async function sendJson(options: SendJsonOptions): Promise<unknown> {
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal === undefined ? deadline : AbortSignal.any([options.signal, deadline]);
  let response: Response;
  try {
    response = await fetch(options.url, {
      method: options.method,
      headers: {
        Accept: "application/json",
        ...(options.body === undefined ? {} : { "Content-Type": "application/json" }),
        ...options.headers,
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      signal,
    });
  } catch (error) {
    options.signal?.throwIfAborted();
    const why = deadline.aborted ? `timed out after ${options.timeoutMs} ms` : describe(error);
    throw new SinkDeliveryError(
      `${options.description}: ${options.method} ${shownUrl(options.url, { compact: true })} failed: ${why}`,
      undefined,
      true,
      {
        cause: error,
      },
    );
  }
  const text = await response.text().catch(() => "");
  if (!response.ok) {
    const status = response.status;
    const retryable = status === 408 || status === 429 || status >= 500;
    const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"), Date.now());
    throw new SinkDeliveryError(
      `${options.description}: ${options.method} ${shownUrl(options.url, { compact: true })} answered ${status}${text === "" ? "" : `: ${text.slice(0, 300)}`}`,
      status,
      retryable,
      retryAfterMs === undefined ? undefined : { retryAfterMs },
    );
  }
  if (text === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : "";
    return `${error.message}${cause}`;
  }
  return String(error);
}

/** Joins a base URL and a path without doubling slashes. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, "")}${path}`;
}
