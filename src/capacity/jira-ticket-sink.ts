import { SinkDeliveryError } from "./capacity-error.js";
import type { SinkDelivery, TicketSink } from "./ticket-sink.js";
import { joinUrl, readSinkToken } from "./ticket-sink.js";
import { deliverToIssueTracker, sinkRequest } from "./deliver-to-issue-tracker.js";
import { ticketMarker, ticketMarkerLabel } from "./ticket-content.js";

export interface JiraTicketSinkOptions {
  readonly name: string;
  /** Base URL of Jira, e.g. `https://example.atlassian.net`. */
  readonly url: string;
  /** Project key, e.g. `OPS`. */
  readonly project: string;
  /** @defaultValue "Task" */
  readonly issueType?: string;
  /** With a user: basic auth `user:token` (Jira Cloud API tokens); without: `Bearer token` (Data Center PATs). */
  readonly user?: string | undefined;
  readonly token?: string | undefined;
  readonly tokenFile?: string | undefined;
  /** Name (or id) of the workflow transition that resolves a ticket, or the name of its target status. @defaultValue "Done" */
  readonly resolveTransition?: string;
  /**
   * REST API version: 2 sends descriptions and comments as plain text; 3 (Jira Cloud) as Atlassian
   * Document Format, one paragraph per line.
   * @defaultValue 2
   */
  readonly apiVersion?: 2 | 3;
  /** @defaultValue 10000 */
  readonly timeoutMs?: number;
}

/**
 * Jira through REST API v2 (plain-text descriptions, Cloud and Data Center alike) or v3 (the same
 * paths under `/rest/api/3`, texts as Atlassian Document Format):
 *
 * - open: `POST /rest/api/2/issue` `{fields: {project: {key}, summary, description, issuetype: {name}, labels}}`
 *   → the issue `key` is the ref. The labels add the ticket's marker label
 *   (`presage-ticket-<hash of fingerprint#generation>`) and the description starts with its marker.
 *   Before creating, the sink searches `project = "<key>" AND labels = "<marker label>"` and reuses
 *   the oldest match, so an open whose ref was lost (crash or failed state write after Jira accepted
 *   it) never opens a second issue: v2 through `GET /rest/api/2/search` (Data Center), falling back
 *   to `GET /rest/api/2/search/jql` when that answers 410 Gone (Jira Cloud removed `/search` in
 *   2025); v3 (Cloud only) through `GET /rest/api/3/search/jql`. Both return `issues[].key`. Jira
 *   Cloud's search is eventually consistent (typically seconds): a redelivery sooner than that (the
 *   first backoff is 5 s) could still miss the issue. A lookup that fails is a retryable failure,
 *   never a blind create.
 * - update: `PUT /rest/api/2/issue/{key}` `{fields: {summary, description}}` and a comment
 *   (`POST /rest/api/2/issue/{key}/comment` `{body}`);
 * - resolve: a comment, `GET /rest/api/2/issue/{key}/transitions` to find the configured transition by
 *   name, id or target status (ids differ between workflows), then
 *   `POST /rest/api/2/issue/{key}/transitions` `{transition: {id}}`.
 */
export class JiraTicketSink implements TicketSink {
  readonly type = "jira";
  readonly name: string;
  private readonly headers: Readonly<Record<string, string>>;
  private readonly timeoutMs: number;

  constructor(private readonly options: JiraTicketSinkOptions) {
    this.name = options.name;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    const token = readSinkToken(options) ?? "";
    this.headers = {
      Authorization:
        options.user === undefined
          ? `Bearer ${token}`
          : `Basic ${Buffer.from(`${options.user}:${token}`).toString("base64")}`,
    };
  }

  deliver(delivery: SinkDelivery): Promise<{ ref?: string }> {
    const { content } = delivery;
    const { type, name, headers, timeoutMs } = this;
    const request = sinkRequest({ type, name, headers, timeoutMs }, delivery.signal);
    const version = this.options.apiVersion ?? 2;
    const api = joinUrl(this.options.url, `/rest/api/${version}/issue`);
    const issue = (ref: string): string => `${api}/${encodeURIComponent(ref)}`;
    const text = (plain: string): unknown => (version === 2 ? plain : documentFormat(plain));
    const comment = (ref: string): Promise<unknown> =>
      request("POST", `${issue(ref)}/comment`, { body: text(content.summary) }, `comment on ${ref}`);
    const marker = ticketMarker(content.fingerprint, delivery.generation);
    const markerLabel = ticketMarkerLabel(content.fingerprint, delivery.generation);
    const description = text(`${marker}\n${content.body}`);
    const searchBase = joinUrl(this.options.url, `/rest/api/${version}/search`);
    return deliverToIssueTracker(delivery, {
      find: async () => {
        const jql = `project = "${this.options.project}" AND labels = "${markerLabel}" ORDER BY created ASC`;
        const query = `jql=${encodeURIComponent(jql)}&fields=summary&maxResults=1`;
        const what = `look up the issue of ${content.fingerprint}#${delivery.generation}`;
        const search = (path: string): Promise<unknown> =>
          request("GET", `${searchBase}${path}?${query}`, undefined, what);
        let answer: unknown;
        if (version === 3) {
          answer = await search("/jql");
        } else {
          try {
            answer = await search("");
          } catch (error) {
            if (!(error instanceof SinkDeliveryError) || error.status !== 410) throw error;
            answer = await search("/jql");
          }
        }
        if (
          typeof answer !== "object" ||
          answer === null ||
          !("issues" in answer) ||
          !Array.isArray(answer.issues)
        ) {
          throw new SinkDeliveryError(
            `jira sink "${this.name}" ${what}: the search answer has no issues list`,
            undefined,
            true,
          );
        }
        const [first] = answer.issues as unknown[];
        if (first === undefined) return undefined;
        const key = typeof first === "object" && first !== null && "key" in first ? first.key : undefined;
        if (typeof key !== "string") {
          throw new SinkDeliveryError(
            `jira sink "${this.name}" ${what}: the search found an issue without a key`,
            undefined,
            false,
          );
        }
        return key;
      },
      create: async () => {
        const created = await request(
          "POST",
          api,
          {
            fields: {
              project: { key: this.options.project },
              summary: content.title.slice(0, 254),
              description,
              issuetype: { name: this.options.issueType ?? "Task" },
              // Jira labels cannot contain spaces.
              labels: [...content.labels.map((label) => label.replace(/\s+/g, "-")), markerLabel],
            },
          },
          "create issue",
        );
        const key =
          typeof created === "object" && created !== null && "key" in created ? created.key : undefined;
        if (typeof key !== "string") {
          throw new SinkDeliveryError(
            `jira sink "${this.name}": the created issue has no key`,
            undefined,
            false,
          );
        }
        return key;
      },
      update: async (ref) => {
        await request(
          "PUT",
          issue(ref),
          { fields: { summary: content.title.slice(0, 254), description } },
          `update ${ref}`,
        );
        await comment(ref);
      },
      resolve: async (ref) => {
        await comment(ref);
        const wanted = (this.options.resolveTransition ?? "Done").toLowerCase();
        const answer = await request(
          "GET",
          `${issue(ref)}/transitions`,
          undefined,
          `list transitions of ${ref}`,
        );
        const transitions = readTransitions(answer);
        const transition = transitions.find(
          (one) => one.id === wanted || one.name.toLowerCase() === wanted || one.to.toLowerCase() === wanted,
        );
        if (transition === undefined) {
          throw new SinkDeliveryError(
            `jira sink "${this.name}": ${ref} has no transition "${this.options.resolveTransition ?? "Done"}" (available: ${transitions.map((one) => `${one.name} → ${one.to}`).join(", ") || "none"}); set resolveTransition`,
            undefined,
            false,
          );
        }
        await request(
          "POST",
          `${issue(ref)}/transitions`,
          { transition: { id: transition.id } },
          `transition ${ref}`,
        );
      },
    });
  }
}

function readTransitions(answer: unknown): { id: string; name: string; to: string }[] {
  if (
    typeof answer !== "object" ||
    answer === null ||
    !("transitions" in answer) ||
    !Array.isArray(answer.transitions)
  ) {
    return [];
  }
  return (answer.transitions as unknown[]).flatMap((item) => {
    if (typeof item !== "object" || item === null) return [];
    const record = item as { id?: unknown; name?: unknown; to?: { name?: unknown } };
    if (typeof record.id !== "string" && typeof record.id !== "number") return [];
    return [
      {
        id: String(record.id),
        name: typeof record.name === "string" ? record.name : "",
        to: typeof record.to?.name === "string" ? record.to.name : "",
      },
    ];
  });
}

/** Plain text as an Atlassian Document Format document: one paragraph per non-empty line. */
export function documentFormat(plain: string): unknown {
  return {
    type: "doc",
    version: 1,
    content: plain
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => ({ type: "paragraph", content: [{ type: "text", text: line }] })),
  };
}
