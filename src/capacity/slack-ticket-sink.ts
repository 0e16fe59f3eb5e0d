import type { TicketContent } from "./ticket-content.js";
import type { SinkDelivery, TicketSink } from "./ticket-sink.js";
import { sendJson } from "./ticket-sink.js";

export interface SlackTicketSinkOptions {
  readonly name: string;
  /** The incoming-webhook URL (it is the secret; never logged in full). */
  readonly url: string;
  /** @defaultValue 10000 */
  readonly timeoutMs?: number;
}

const ICON: Record<TicketContent["event"], string> = {
  open: ":rotating_light:",
  update: ":arrows_counterclockwise:",
  resolve: ":white_check_mark:",
};

/**
 * Slack incoming webhook: one message per event (open, update, resolve) — `{"text", "blocks"}` with
 * `text` as the notification fallback and a section block in mrkdwn. Slack answers 200 `ok`.
 */
export class SlackTicketSink implements TicketSink {
  readonly type = "slack";
  readonly name: string;

  constructor(private readonly options: SlackTicketSinkOptions) {
    this.name = options.name;
  }

  async deliver(delivery: SinkDelivery): Promise<{ ref?: string }> {
    await sendJson({
      method: "POST",
      url: this.options.url,
      body: slackMessage(delivery.content),
      timeoutMs: this.options.timeoutMs ?? 10_000,
      signal: delivery.signal,
      description: `slack sink "${this.name}" ${delivery.content.event}`,
    });
    return {};
  }
}

/** The incoming-webhook payload of one ticket event. */
export function slackMessage(content: TicketContent): { text: string; blocks: unknown[] } {
  const text = `${ICON[content.event]} ${content.summary}`;
  const { runway } = content;
  const fields = [
    `*p90 crossing*\n${runway.p90Date ?? `none within ${runway.horizonDays} d`}`,
    `*p50 crossing*\n${runway.p50Date ?? `none within ${runway.horizonDays} d`}`,
    `*limit*\n${runway.limit} (${Math.round(runway.headroom * 100)}% of ${runway.capacity})`,
    `*backtest MAPE @${content.backtest.horizonDays} d*\n${content.backtest.mape === null ? "—" : `${(content.backtest.mape * 100).toFixed(1)}%`}`,
  ];
  return {
    text,
    blocks: [
      { type: "section", text: { type: "mrkdwn", text } },
      { type: "section", fields: fields.map((field) => ({ type: "mrkdwn", text: field })) },
      {
        type: "context",
        elements: [
          {
            type: "mrkdwn",
            text: `presage capacity · ${content.fingerprint} · forecast from ${content.originDay}`,
          },
        ],
      },
    ],
  };
}
