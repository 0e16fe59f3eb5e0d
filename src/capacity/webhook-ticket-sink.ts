import type { SinkDelivery, TicketSink } from "./ticket-sink.js";
import { readSinkToken, sendJson } from "./ticket-sink.js";

export interface WebhookTicketSinkOptions {
  readonly name: string;
  readonly url: string;
  readonly token?: string | undefined;
  readonly tokenFile?: string | undefined;
  /** @defaultValue `{}` */
  readonly headers?: Readonly<Record<string, string>>;
  /** @defaultValue 10000 */
  readonly timeoutMs?: number;
}

/**
 * Generic webhook: POSTs `{"event": "open"|"update"|"resolve", "fingerprint", "ticket": {…}}` (the
 * whole ticket content, chart SVG included) to `url`, with `Authorization: Bearer <token>` when a token
 * is configured. Any 2xx is delivered. Receivers deduplicate with `fingerprint` + `generation` + `event`.
 */
export class WebhookTicketSink implements TicketSink {
  readonly type = "webhook";
  readonly name: string;
  private readonly headers: Readonly<Record<string, string>>;

  constructor(private readonly options: WebhookTicketSinkOptions) {
    this.name = options.name;
    const token = readSinkToken(options);
    this.headers = {
      ...(options.headers ?? {}),
      ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }),
    };
  }

  async deliver(delivery: SinkDelivery): Promise<{ ref?: string }> {
    const { content } = delivery;
    await sendJson({
      method: "POST",
      url: this.options.url,
      headers: this.headers,
      body: { event: content.event, fingerprint: content.fingerprint, ticket: content },
      timeoutMs: this.options.timeoutMs ?? 10_000,
      signal: delivery.signal,
      description: `webhook sink "${this.name}" ${content.event}`,
    });
    return { ref: content.fingerprint };
  }
}
