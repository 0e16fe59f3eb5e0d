import type { ResolvedSink } from "./capacity-config.js";
import { GithubTicketSink } from "./github-ticket-sink.js";
import { JiraTicketSink } from "./jira-ticket-sink.js";
import { SlackTicketSink } from "./slack-ticket-sink.js";
import type { TicketSink } from "./ticket-sink.js";
import { WebhookTicketSink } from "./webhook-ticket-sink.js";

/** The sink adapters the config declares, by name. Throws `CapacityError` for an unreadable token file. */
export function createTicketSinks(
  sinks: readonly ResolvedSink[],
  timeoutMs?: number,
): Map<string, TicketSink> {
  const timeout = timeoutMs === undefined ? {} : { timeoutMs };
  return new Map(
    sinks.map((sink): [string, TicketSink] => {
      switch (sink.type) {
        case "webhook":
          return [sink.name, new WebhookTicketSink({ ...sink, ...timeout })];
        case "github":
          return [sink.name, new GithubTicketSink({ ...sink, ...timeout })];
        case "jira":
          return [sink.name, new JiraTicketSink({ ...sink, ...timeout })];
        case "slack":
          return [sink.name, new SlackTicketSink({ ...sink, ...timeout })];
      }
    }),
  );
}
