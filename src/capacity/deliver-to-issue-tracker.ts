import { sendJson, type SendJsonOptions, type SinkDelivery } from "./ticket-sink.js";

/** What an issue tracker (GitHub, Jira) does for each ticket event. */
export interface IssueTrackerCalls {
  /**
   * Looks for the issue presage already opened for this ticket and generation (by its
   * `ticketMarker`); resolves with its reference, or `undefined` when there is none. Throws
   * `SinkDeliveryError` when it cannot tell: a failed lookup must never lead to a blind create.
   */
  find(): Promise<string | undefined>;
  /** Opens the issue; resolves with its reference (issue number, Jira key) for later events. */
  create(): Promise<string>;
  update(ref: string): Promise<void>;
  resolve(ref: string): Promise<void>;
}

/**
 * The event flow issue trackers share: an open creates the issue, and so does an update without a
 * ref (the open went to an older configuration); a resolve without one has nothing to close. A
 * retried update may repeat its call; it never opens a second issue.
 *
 * Creating is idempotent: without a ref it first looks for the issue this ticket generation already
 * has (the create was accepted but the process stopped, or the state write failed, before the ref was
 * recorded) and reuses it — an open returns its ref, an update without a ref updates it. An open that
 * already has a ref keeps it.
 */
export async function deliverToIssueTracker(
  delivery: SinkDelivery,
  calls: IssueTrackerCalls,
): Promise<{ ref?: string }> {
  const { content, ref } = delivery;
  if (content.event === "open" || (content.event === "update" && ref === undefined)) {
    const found = ref ?? (await calls.find());
    if (found === undefined) return { ref: await calls.create() };
    if (content.event === "update") await calls.update(found);
    return { ref: found };
  }
  if (ref === undefined) return {};
  if (content.event === "update") await calls.update(ref);
  else await calls.resolve(ref);
  return { ref };
}

/** One JSON request of a sink: method, URL, body, and what it does (for errors, e.g. `close issue #7`). */
export type SinkRequest = (
  method: SendJsonOptions["method"],
  url: string,
  body: unknown,
  what: string,
) => Promise<unknown>;

/** {@link sendJson} bound to one sink's headers and deadline and one delivery's signal. */
export function sinkRequest(
  sink: {
    readonly type: string;
    readonly name: string;
    readonly headers: Readonly<Record<string, string>>;
    readonly timeoutMs: number;
  },
  signal: AbortSignal | undefined,
): SinkRequest {
  return (method, url, body, what) =>
    sendJson({
      method,
      url,
      headers: sink.headers,
      body,
      timeoutMs: sink.timeoutMs,
      signal,
      description: `${sink.type} sink "${sink.name}" ${what}`,
    });
}
