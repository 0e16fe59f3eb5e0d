import { SinkDeliveryError } from "./capacity-error.js";
import type { SinkDelivery, TicketSink } from "./ticket-sink.js";
import { shownUrl } from "../http/shown-url.js";
import { joinUrl, readSinkToken } from "./ticket-sink.js";
import { deliverToIssueTracker, sinkRequest } from "./deliver-to-issue-tracker.js";
import { ticketMarker } from "./ticket-content.js";

/** Label every issue presage opens carries, so its own issues can be listed (see {@link GithubTicketSink}). */
export const GITHUB_TICKET_LABEL = "presage-capacity";

/** Pages of 100 issues (newest first) the lookup reads before concluding there is no issue yet. */
const LOOKUP_PAGES = 10;
/** How far before a message was queued its issue is looked for (clock difference with GitHub). */
const LOOKUP_CLOCK_MARGIN_MS = 3_600_000;

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
 * - open: `POST /repos/{owner}/{repo}/issues` `{title, body, labels}` → the issue `number` is the ref.
 *   The body carries the ticket's marker (`<!-- presage-ticket: <fingerprint>#<generation> -->`) and the
 *   labels add {@link GITHUB_TICKET_LABEL}. Before creating, the sink lists
 *   `GET /repos/{owner}/{repo}/issues?labels=presage-capacity&state=all&sort=created&direction=desc`
 *   (up to 10 pages of 100) and reuses an issue whose body has the marker: an open whose ref was lost
 *   (crash or failed state write after GitHub accepted it) never opens a second issue. Listing is
 *   read-after-write consistent; the search API (`GET /search/issues?q=… in:body`) is not — its
 *   index lags behind new issues, exactly the window of a quick redelivery — so it is not used.
 *   GitHub silently drops labels when the token may not set them: it needs issues write access.
 * - update: `PATCH /repos/{owner}/{repo}/issues/{number}` `{title, body}` and a comment
 *   (`POST …/issues/{number}/comments` `{body}`) saying what moved;
 * - resolve: a comment, then `PATCH …/issues/{number}` `{state: "closed", state_reason: "completed"}`.
 *
 * Events without a ref follow {@link deliverToIssueTracker}. A retried update may comment twice; it
 * never opens a second issue. Updates keep the marker in the body.
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
    const marker = ticketMarker(content.fingerprint, delivery.generation);
    const body = `${marker}\n${content.body}`;
    const labels = [...new Set([...content.labels, GITHUB_TICKET_LABEL])];
    return deliverToIssueTracker(delivery, {
      find: async () => {
        // An issue this message created was updated after it was queued: list only those (normally
        // none or one), with an hour's margin for the difference between our clock and GitHub's.
        const since =
          delivery.queuedAtMs === undefined
            ? ""
            : `&since=${encodeURIComponent(new Date(delivery.queuedAtMs - LOOKUP_CLOCK_MARGIN_MS).toISOString())}`;
        const what = `look up the issue of ${content.fingerprint}#${delivery.generation}`;
        for (let page = 1; page <= LOOKUP_PAGES; page += 1) {
          const query = `labels=${encodeURIComponent(GITHUB_TICKET_LABEL)}&state=all&sort=created&direction=desc&per_page=100&page=${page}${since}`;
          const answer = await request("GET", `${issues}?${query}`, undefined, what);
          if (!Array.isArray(answer)) {
            throw new SinkDeliveryError(
              `github sink "${this.name}" ${what}: GET ${shownUrl(issues, { compact: true })} answered something other than a list of issues`,
              undefined,
              true,
            );
          }
          for (const item of answer as unknown[]) {
            const found = item as { number?: unknown; body?: unknown; pull_request?: unknown } | null;
            if (
              typeof found?.number === "number" &&
              found.pull_request === undefined &&
              typeof found.body === "string" &&
              found.body.includes(marker)
            ) {
              return String(found.number);
            }
          }
          if (answer.length < 100) return undefined;
        }
        return undefined;
      },
      create: async () => {
        const created = await request("POST", issues, { title: content.title, body, labels }, "create issue");
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
        await request("PATCH", issue(ref), { title: content.title, body }, `update issue #${ref}`);
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
