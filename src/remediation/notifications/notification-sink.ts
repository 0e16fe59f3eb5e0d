import { errorMessage } from "../remediation-error.js";
import type { SinkFormat } from "./notification-format.js";
import type { NotificationKind } from "./remediation-notification.js";

/** A place notifications go. */
export interface NotificationSink {
  readonly name: string;
  readonly format: SinkFormat;
  readonly url: string;
  /** Extra headers (e.g. `authorization`). @defaultValue none */
  readonly headers?: Readonly<Record<string, string>>;
  /** Kinds sent to this sink. @defaultValue all */
  readonly kinds?: readonly NotificationKind[];
}

/** Whether `sink` takes notifications of `kind`. */
export function sinkTakes(sink: NotificationSink, kind: NotificationKind): boolean {
  return sink.kinds === undefined || sink.kinds.includes(kind);
}

/** How {@link postToSink} sends. */
export interface PostToSinkOptions {
  readonly fetch: typeof fetch;
  /** Deadline of the request. */
  readonly timeoutMs: number;
}

/**
 * POSTs an already formatted body as JSON to a sink, with its headers. Undefined on a 2xx answer,
 * else why not (`HTTP 503`, the network error); never throws. The one delivery path of the outbox and
 * of direct pages.
 */
export async function postToSink(
  sink: NotificationSink,
  body: unknown,
  options: PostToSinkOptions,
): Promise<string | undefined> {
  try {
    const response = await options.fetch(sink.url, {
      method: "POST",
      headers: { "content-type": "application/json", ...sink.headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    await response.text().catch(() => "");
    return response.ok ? undefined : `HTTP ${response.status}`;
  } catch (error) {
    return errorMessage(error);
  }
}
