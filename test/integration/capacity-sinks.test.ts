import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SinkDeliveryError } from "../../src/capacity/capacity-error.js";
import { GithubTicketSink } from "../../src/capacity/github-ticket-sink.js";
import { JiraTicketSink } from "../../src/capacity/jira-ticket-sink.js";
import { SlackTicketSink } from "../../src/capacity/slack-ticket-sink.js";
import { ticketContent, ticketMarker, ticketMarkerLabel } from "../../src/capacity/ticket-content.js";
import { WebhookTicketSink } from "../../src/capacity/webhook-ticket-sink.js";
import { plannedWithRunway } from "../support/capacity-fixtures.js";
import { CapacityHttpReceiver, RememberingIssueTracker } from "../support/capacity-http-receiver.js";
import { freePort } from "../support/free-port.js";

const opened = ticketContent(plannedWithRunway(40), "open", "p90 runway 40 d is under the 90 d threshold", [
  "capacity",
  "cpu team",
]);
const updated = ticketContent(plannedWithRunway(20), "update", "p90 runway date moved 20 d", ["capacity"]);
const resolved = ticketContent(plannedWithRunway(undefined), "resolve", "runway recovered", ["capacity"]);

const githubLookup =
  "/repos/acme/infra/issues?labels=presage-capacity&state=all&sort=created&direction=desc&per_page=100&page=1";
const marker = ticketMarker("cluster-cpu/cpu", 1);
const markerLabel = ticketMarkerLabel("cluster-cpu/cpu", 1);
const jiraLookup = (version: 2 | 3, suffix = version === 3 ? "/jql" : ""): string =>
  `/rest/api/${version}/search${suffix}?jql=${encodeURIComponent(`project = "OPS" AND labels = "${markerLabel}" ORDER BY created ASC`)}&fields=summary&maxResults=1`;

let receiver: CapacityHttpReceiver;
beforeEach(async () => {
  receiver = new CapacityHttpReceiver(await freePort());
  await receiver.listen();
});
afterEach(async () => {
  await receiver.close();
});

describe("GitHub issues sink", () => {
  it("creates, updates (PATCH + comment) and closes an issue on the real REST paths", async () => {
    receiver.respond = (request) =>
      request.method === "POST" && request.path === "/repos/acme/infra/issues"
        ? { status: 201, body: { number: 42, html_url: "https://github.com/acme/infra/issues/42" } }
        : { status: 200, body: request.method === "GET" ? [] : {} };
    const sink = new GithubTicketSink({
      name: "gh",
      url: receiver.url,
      repo: "acme/infra",
      token: "ghp_secret",
    });
    expect(await sink.deliver({ content: opened, ref: undefined, generation: 1 })).toEqual({ ref: "42" });
    await sink.deliver({ content: updated, ref: "42", generation: 1 });
    await sink.deliver({ content: resolved, ref: "42", generation: 1 });
    expect(receiver.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET ${githubLookup}`,
      "POST /repos/acme/infra/issues",
      "PATCH /repos/acme/infra/issues/42",
      "POST /repos/acme/infra/issues/42/comments",
      "POST /repos/acme/infra/issues/42/comments",
      "PATCH /repos/acme/infra/issues/42",
    ]);
    const [, create, patch, comment, , close] = receiver.requests;
    expect(create?.headers).toMatchObject({
      authorization: "Bearer ghp_secret",
      accept: "application/vnd.github+json",
      "x-github-api-version": "2022-11-28",
      "content-type": "application/json",
    });
    expect(create?.body).toEqual({
      title: opened.title,
      body: `${marker}\n${opened.body}`,
      labels: ["capacity", "cpu team", "presage-capacity"],
    });
    expect(marker).toBe("<!-- presage-ticket: cluster-cpu/cpu#1 -->");
    expect(opened.body).toContain("<!-- presage-capacity-fingerprint: cluster-cpu/cpu -->");
    expect(patch?.body).toEqual({ title: updated.title, body: `${marker}\n${updated.body}` });
    expect(comment?.body).toEqual({ body: updated.summary });
    expect(close?.body).toEqual({ state: "closed", state_reason: "completed" });
  });

  it("reads the token from a file, and reports 401 as a non-retryable failure naming the request", async () => {
    const dir = await mkdtemp(join(tmpdir(), "presage-sink-"));
    try {
      await writeFile(join(dir, "token"), "from-file\n");
      receiver.respond = () => ({ status: 401, body: { message: "Bad credentials" } });
      const sink = new GithubTicketSink({
        name: "gh",
        url: receiver.url,
        repo: "acme/infra",
        tokenFile: join(dir, "token"),
      });
      const failure = await sink
        .deliver({ content: opened, ref: undefined, generation: 1 })
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(SinkDeliveryError);
      expect(failure).toMatchObject({ status: 401, retryable: false });
      expect((failure as Error).message).toMatch(
        /github sink "gh" look up the issue of cluster-cpu\/cpu#1: GET http:\/\/127\.0\.0\.1:\d+\/repos\/acme\/infra\/issues answered 401: .*Bad credentials/,
      );
      expect((failure as Error).message).not.toContain("from-file");
      expect(receiver.requests[0]?.headers.authorization).toBe("Bearer from-file");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("creates the issue when an update has no ref, and has nothing to close without one", async () => {
    receiver.respond = (request) =>
      request.method === "POST" ? { status: 201, body: { number: 7 } } : { status: 200, body: [] };
    const sink = new GithubTicketSink({ name: "gh", url: receiver.url, repo: "acme/infra", token: "t" });
    expect(await sink.deliver({ content: updated, ref: undefined, generation: 1 })).toEqual({ ref: "7" });
    expect(await sink.deliver({ content: resolved, ref: undefined, generation: 1 })).toEqual({});
    expect(receiver.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET ${githubLookup}`,
      "POST /repos/acme/infra/issues",
    ]);
  });
});

describe("Jira sink", () => {
  it("creates (POST /rest/api/2/issue), updates (PUT + comment) and transitions by name", async () => {
    receiver.respond = (request) => {
      if (request.method === "POST" && request.path === "/rest/api/2/issue") {
        return {
          status: 201,
          body: { id: "10001", key: "OPS-12", self: `${receiver.url}/rest/api/2/issue/10001` },
        };
      }
      if (request.method === "GET" && request.path === "/rest/api/2/issue/OPS-12/transitions") {
        return {
          status: 200,
          body: {
            transitions: [
              { id: "11", name: "Start Progress", to: { name: "In Progress" } },
              { id: "31", name: "Close Issue", to: { name: "Done" } },
            ],
          },
        };
      }
      if (request.method === "GET" && request.path.startsWith("/rest/api/2/search?")) {
        return { status: 200, body: { startAt: 0, maxResults: 1, total: 0, issues: [] } };
      }
      if (request.method === "PUT" || request.path.endsWith("/transitions")) return { status: 204 };
      return { status: 201, body: { id: "c1" } };
    };
    const sink = new JiraTicketSink({
      name: "jira",
      url: receiver.url,
      project: "OPS",
      issueType: "Task",
      user: "bot@acme.example",
      token: "api-token",
      resolveTransition: "Done",
    });
    expect(await sink.deliver({ content: opened, ref: undefined, generation: 1 })).toEqual({ ref: "OPS-12" });
    await sink.deliver({ content: updated, ref: "OPS-12", generation: 1 });
    await sink.deliver({ content: resolved, ref: "OPS-12", generation: 1 });
    expect(receiver.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET ${jiraLookup(2)}`,
      "POST /rest/api/2/issue",
      "PUT /rest/api/2/issue/OPS-12",
      "POST /rest/api/2/issue/OPS-12/comment",
      "POST /rest/api/2/issue/OPS-12/comment",
      "GET /rest/api/2/issue/OPS-12/transitions",
      "POST /rest/api/2/issue/OPS-12/transitions",
    ]);
    const [, create, put, comment] = receiver.requests;
    expect(create?.headers.authorization).toBe(
      `Basic ${Buffer.from("bot@acme.example:api-token").toString("base64")}`,
    );
    expect(create?.body).toEqual({
      fields: {
        project: { key: "OPS" },
        summary: opened.title,
        description: `${marker}\n${opened.body}`,
        issuetype: { name: "Task" },
        labels: ["capacity", "cpu-team", markerLabel],
      },
    });
    expect(markerLabel).toMatch(/^presage-ticket-[0-9a-f]{16}$/);
    expect(put?.body).toEqual({
      fields: { summary: updated.title, description: `${marker}\n${updated.body}` },
    });
    expect(comment?.body).toEqual({ body: updated.summary });
    expect(receiver.requests.at(-1)?.body).toEqual({ transition: { id: "31" } });
  });

  it("speaks REST v3 with Atlassian Document Format texts when configured", async () => {
    receiver.respond = (request) =>
      request.method === "POST" && request.path === "/rest/api/3/issue"
        ? { status: 201, body: { id: "1", key: "OPS-3" } }
        : request.method === "GET"
          ? { status: 200, body: { isLast: true, issues: [] } }
          : { status: 204 };
    const sink = new JiraTicketSink({
      name: "jira",
      url: receiver.url,
      project: "OPS",
      token: "t",
      apiVersion: 3,
    });
    expect(await sink.deliver({ content: opened, ref: undefined, generation: 1 })).toEqual({ ref: "OPS-3" });
    await sink.deliver({ content: updated, ref: "OPS-3", generation: 1 });
    expect(receiver.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET ${jiraLookup(3)}`,
      "POST /rest/api/3/issue",
      "PUT /rest/api/3/issue/OPS-3",
      "POST /rest/api/3/issue/OPS-3/comment",
    ]);
    const description = (
      receiver.requests[1]?.body as { fields: { description: { type: string; content: unknown[] } } }
    ).fields.description;
    expect(description).toMatchObject({ type: "doc", version: 1 });
    expect(description.content.slice(0, 2)).toEqual([
      { type: "paragraph", content: [{ type: "text", text: marker }] },
      {
        type: "paragraph",
        content: [{ type: "text", text: "<!-- presage-capacity-fingerprint: cluster-cpu/cpu -->" }],
      },
    ]);
    expect(receiver.requests[3]?.body).toEqual({
      body: {
        type: "doc",
        version: 1,
        content: [{ type: "paragraph", content: [{ type: "text", text: updated.summary }] }],
      },
    });
  });

  it("uses a bearer token without a user, and names the available transitions when the configured one is missing", async () => {
    receiver.respond = (request) =>
      request.method === "GET"
        ? {
            status: 200,
            body: { transitions: [{ id: "5", name: "Resolve Issue", to: { name: "Resolved" } }] },
          }
        : { status: 201, body: {} };
    const sink = new JiraTicketSink({ name: "jira", url: receiver.url, project: "OPS", token: "pat" });
    await expect(sink.deliver({ content: resolved, ref: "OPS-1", generation: 1 })).rejects.toThrow(
      /OPS-1 has no transition "Done" \(available: Resolve Issue → Resolved\); set resolveTransition/,
    );
    expect(receiver.requests[0]?.headers.authorization).toBe("Bearer pat");
  });
});

describe("issue trackers after a lost ref (create accepted, ref never recorded)", () => {
  const paths = (): string[] =>
    receiver.requests.map((r) => `${r.method} ${new URL(r.path, receiver.url).pathname}`);

  it("GitHub: a redelivered open finds the issue by its marker and opens no second one", async () => {
    const tracker = new RememberingIssueTracker();
    receiver.respond = tracker.respond;
    const sink = new GithubTicketSink({ name: "gh", url: receiver.url, repo: "acme/infra", token: "t" });
    expect(await sink.deliver({ content: opened, ref: undefined, generation: 1 })).toEqual({ ref: "1" });
    expect(await sink.deliver({ content: opened, ref: undefined, generation: 1 })).toEqual({ ref: "1" });
    expect(tracker.issues.map((issue) => issue.ref)).toEqual(["1"]);
    expect(paths()).toEqual([
      "GET /repos/acme/infra/issues",
      "POST /repos/acme/infra/issues",
      "GET /repos/acme/infra/issues",
    ]);
    // An update without a ref updates that issue; a reopened ticket (generation 2) gets its own issue.
    expect(await sink.deliver({ content: updated, ref: undefined, generation: 1 })).toEqual({ ref: "1" });
    expect(receiver.requests.at(-2)).toMatchObject({ method: "PATCH", path: "/repos/acme/infra/issues/1" });
    expect(await sink.deliver({ content: opened, ref: undefined, generation: 2 })).toEqual({ ref: "2" });
    expect(tracker.issues.map((issue) => issue.ref)).toEqual(["1", "2"]);
  });

  it("GitHub: the lookup lists only issues updated since the message was queued (an hour's margin)", async () => {
    const tracker = new RememberingIssueTracker();
    receiver.respond = tracker.respond;
    const sink = new GithubTicketSink({ name: "gh", url: receiver.url, repo: "acme/infra", token: "t" });
    const queuedAtMs = Date.UTC(2026, 10, 28, 12);
    await sink.deliver({ content: opened, ref: undefined, generation: 1, queuedAtMs });
    const lookup = receiver.requests.find((request) => request.method === "GET");
    expect(lookup?.path).toContain(`since=${encodeURIComponent("2026-11-28T11:00:00.000Z")}`);
  });

  it("GitHub: the lookup reads past a full page of newer presage issues", async () => {
    const tracker = new RememberingIssueTracker();
    receiver.respond = tracker.respond;
    const sink = new GithubTicketSink({ name: "gh", url: receiver.url, repo: "acme/infra", token: "t" });
    expect(await sink.deliver({ content: opened, ref: undefined, generation: 1 })).toEqual({ ref: "1" });
    for (let generation = 2; generation <= 101; generation += 1) {
      tracker.issues.push({
        ref: String(generation),
        body: ticketMarker("other/cpu", generation),
        labels: ["presage-capacity"],
      });
    }
    receiver.requests.length = 0;
    expect(await sink.deliver({ content: opened, ref: undefined, generation: 1 })).toEqual({ ref: "1" });
    expect(receiver.requests.map((r) => new URL(r.path, receiver.url).searchParams.get("page"))).toEqual([
      "1",
      "2",
    ]);
    expect(tracker.issues).toHaveLength(101);
  });

  it("Jira (v2): a redelivered open finds the issue by its marker label and opens no second one", async () => {
    const tracker = new RememberingIssueTracker();
    receiver.respond = tracker.respond;
    const sink = new JiraTicketSink({ name: "jira", url: receiver.url, project: "OPS", token: "t" });
    expect(await sink.deliver({ content: opened, ref: undefined, generation: 1 })).toEqual({ ref: "OPS-1" });
    expect(await sink.deliver({ content: opened, ref: undefined, generation: 1 })).toEqual({ ref: "OPS-1" });
    expect(tracker.issues).toHaveLength(1);
    expect(tracker.issues[0]?.labels).toContain(markerLabel);
    expect(receiver.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET ${jiraLookup(2)}`,
      "POST /rest/api/2/issue",
      `GET ${jiraLookup(2)}`,
    ]);
    expect(await sink.deliver({ content: opened, ref: undefined, generation: 2 })).toEqual({ ref: "OPS-2" });
  });

  it("Jira: v3 searches /rest/api/3/search/jql, v2 falls back to it when /search is gone (410)", async () => {
    const tracker = new RememberingIssueTracker();
    tracker.searchGone = true;
    receiver.respond = tracker.respond;
    const v3 = new JiraTicketSink({
      name: "jira",
      url: receiver.url,
      project: "OPS",
      token: "t",
      apiVersion: 3,
    });
    expect(await v3.deliver({ content: opened, ref: undefined, generation: 1 })).toEqual({ ref: "OPS-1" });
    expect(await v3.deliver({ content: opened, ref: undefined, generation: 1 })).toEqual({ ref: "OPS-1" });
    const v2 = new JiraTicketSink({ name: "jira", url: receiver.url, project: "OPS", token: "t" });
    expect(await v2.deliver({ content: opened, ref: undefined, generation: 1 })).toEqual({ ref: "OPS-1" });
    expect(tracker.issues).toHaveLength(1);
    expect(receiver.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET ${jiraLookup(3)}`,
      "POST /rest/api/3/issue",
      `GET ${jiraLookup(3)}`,
      `GET ${jiraLookup(2)}`,
      `GET ${jiraLookup(2, "/jql")}`,
    ]);
  });

  it("a lookup answered 503 fails the delivery as retryable, without any create request", async () => {
    const tracker = new RememberingIssueTracker();
    tracker.failLookups = 503;
    receiver.respond = tracker.respond;
    const github = new GithubTicketSink({ name: "gh", url: receiver.url, repo: "acme/infra", token: "t" });
    const jira = new JiraTicketSink({ name: "jira", url: receiver.url, project: "OPS", token: "t" });
    for (const sink of [github, jira]) {
      for (const content of [opened, updated]) {
        const failure = await sink
          .deliver({ content, ref: undefined, generation: 1 })
          .catch((error: unknown) => error);
        expect(failure).toBeInstanceOf(SinkDeliveryError);
        expect(failure).toMatchObject({ status: 503, retryable: true });
        expect((failure as Error).message).toContain("look up the issue of cluster-cpu/cpu#1");
      }
    }
    expect(receiver.requests.map((r) => r.method)).toEqual(["GET", "GET", "GET", "GET"]);
    expect(tracker.issues).toEqual([]);
  });
});

describe("Slack incoming-webhook sink", () => {
  it("posts {text, blocks} for open, update and resolve", async () => {
    receiver.respond = () => ({ status: 200, body: "ok" });
    const sink = new SlackTicketSink({ name: "chat", url: `${receiver.url}/services/T000/B000/XXXX` });
    for (const content of [opened, updated, resolved])
      await sink.deliver({ content, ref: undefined, generation: 1 });
    expect(receiver.requests.map((r) => `${r.method} ${r.path}`)).toEqual(
      Array(3).fill("POST /services/T000/B000/XXXX"),
    );
    const bodies = receiver.requests.map((r) => r.body as { text: string; blocks: { type: string }[] });
    expect(bodies[0]?.text).toMatch(/^:rotating_light: Opened: cluster-cpu \(cpu\) reaches 80/);
    expect(bodies[1]?.text).toMatch(/^:arrows_counterclockwise: Updated/);
    expect(bodies[2]?.text).toMatch(/^:white_check_mark: Resolved/);
    expect(bodies[0]?.blocks.map((block) => block.type)).toEqual(["section", "section", "context"]);
  });

  it("treats a 5xx as retryable, reads a 429's Retry-After, and a closed port as a network failure", async () => {
    receiver.respond = () => ({ status: 503, body: "busy" });
    const sink = new SlackTicketSink({ name: "chat", url: `${receiver.url}/services/x` });
    await expect(sink.deliver({ content: opened, ref: undefined, generation: 1 })).rejects.toMatchObject({
      status: 503,
      retryable: true,
    });
    receiver.respond = () => ({ status: 429, body: "slow down", headers: { "Retry-After": "7" } });
    await expect(sink.deliver({ content: opened, ref: undefined, generation: 1 })).rejects.toMatchObject({
      status: 429,
      retryable: true,
      retryAfterMs: 7000,
    });
    await receiver.close();
    await expect(sink.deliver({ content: opened, ref: undefined, generation: 1 })).rejects.toMatchObject({
      status: undefined,
      retryable: true,
      retryAfterMs: undefined,
    });
  });
});

describe("generic webhook sink", () => {
  it("posts the event and the whole ticket, with the bearer token and extra headers", async () => {
    const sink = new WebhookTicketSink({
      name: "hook",
      url: `${receiver.url}/in`,
      token: "s3cret",
      headers: { "X-Team": "infra" },
    });
    expect(await sink.deliver({ content: opened, ref: undefined, generation: 1 })).toEqual({
      ref: "cluster-cpu/cpu",
    });
    const [request] = receiver.requests;
    expect(request?.headers).toMatchObject({ authorization: "Bearer s3cret", "x-team": "infra" });
    expect(request?.body).toMatchObject({
      event: "open",
      fingerprint: "cluster-cpu/cpu",
      ticket: { runway: { p90Days: 40, limit: 80 }, chartSvg: "<svg/>" },
    });
  });
});
