import { SinkDeliveryError } from "./capacity-error.js";
import type { SinkDelivery, TicketSink } from "./ticket-sink.js";
import { joinUrl, readSinkToken } from "./ticket-sink.js";
import { deliverToIssueTracker, sinkRequest } from "./deliver-to-issue-tracker.js";

export interface GithubTicketSinkOptions {
  readonly name: string;
  /** API base: `https://api.github.com`, or `https://<host>/api/v3` for GitHub Enterprise Server. */
  readonly url: string;
  /** `owner/name`. */
  readonly repo: string;
  readonly token?: string | undefined;
  readonly tokenFile?: string | undefined;
  /** @defaultValue 10000 */
  readonly timeoutMs?: number;
}

/**
 * GitHub issues through the REST API (version 2022-11-28):
 *
 * - open: `POST /repos/{owner}/{repo}/issues` `{title, body, labels}` → the issue `number` is the ref;
 * - update: `PATCH /repos/{owner}/{repo}/issues/{number}` `{title, body}` and a comment
 *   (`POST …/issues/{number}/comments` `{body}`) saying what moved;
 * - resolve: a comment, then `PATCH …/issues/{number}` `{state: "closed", state_reason: "completed"}`.
 *
 * Events without a ref follow {@link deliverToIssueTracker}. A retried update may comment twice; it
 * never opens a second issue.
 */
export class GithubTicketSink implements TicketSink {
  readonly type = "github";
  readonly name: string;
  private readonly headers: Readonly<Record<string, string>>;
  private readonly timeoutMs: number;

  constructor(private readonly options: GithubTicketSinkOptions) {
    this.name = options.name;
    const token = readSinkToken(options);
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.headers = {
      Accept: "application/vnd.github+json",
      "X-GitHub-Api-Version": "2022-11-28",
      "User-Agent": "presage-capacity",
      ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }),
    };
  }

  deliver(delivery: SinkDelivery): Promise<{ ref?: string }> {
    const { content } = delivery;
    const { type, name, headers, timeoutMs } = this;
    const request = sinkRequest({ type, name, headers, timeoutMs }, delivery.signal);
    const issues = joinUrl(this.options.url, `/repos/${this.options.repo}/issues`);
    const issue = (ref: string): string => `${issues}/${encodeURIComponent(ref)}`;
    const comment = (ref: string): Promise<unknown> =>
      request("POST", `${issue(ref)}/comments`, { body: content.summary }, `comment on issue #${ref}`);
    return deliverToIssueTracker(delivery, {
      create: async () => {
        const created = await request(
          "POST",
          issues,
          { title: content.title, body: content.body, labels: content.labels },
          "create issue",
        );
        const number =
          typeof created === "object" && created !== null && "number" in created ? created.number : undefined;
        if (typeof number !== "number") {
          throw new SinkDeliveryError(
            `github sink "${this.name}": the created issue has no number`,
            undefined,
            false,
          );
        }
        return String(number);
      },
      update: async (ref) => {
        await request(
          "PATCH",
          issue(ref),
          { title: content.title, body: content.body },
          `update issue #${ref}`,
        );
        await comment(ref);
      },
      resolve: async (ref) => {
        await comment(ref);
        await request(
          "PATCH",
          issue(ref),
          { state: "closed", state_reason: "completed" },
          `close issue #${ref}`,
        );
      },
    });
  }
}
