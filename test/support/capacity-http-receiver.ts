import { createServer, type IncomingHttpHeaders, type Server } from "node:http";

/** One request a receiver got. */
export interface ReceivedRequest {
  readonly method: string;
  /** Path and query, e.g. `/repos/acme/infra/issues`. */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** Parsed JSON body, or the text when it is not JSON, `undefined` when empty. */
  readonly body: unknown;
}

/** What the receiver answers: status, JSON (or text) body. */
export interface ReceiverAnswer {
  readonly status: number;
  readonly body?: unknown;
  /** Extra response headers, e.g. `Retry-After`. */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * A small real HTTP server on 127.0.0.1 that records every request and answers with `respond`
 * (default: 200 `{}`). It can be closed and listened again on the same port to play a receiver that
 * is down for a while.
 */
export class CapacityHttpReceiver {
  readonly requests: ReceivedRequest[] = [];
  /** Requests answered with a non-2xx status (also in `requests`). */
  rejected = 0;
  respond: (request: ReceivedRequest) => ReceiverAnswer = () => ({ status: 200, body: {} });
  private server: Server | undefined;

  constructor(readonly port: number) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Requests that were answered 2xx. */
  get accepted(): ReceivedRequest[] {
    return this.requests.filter((request) => !this.rejectedSet.has(request));
  }

  private readonly rejectedSet = new Set<ReceivedRequest>();

  async listen(): Promise<void> {
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let body: unknown = text === "" ? undefined : text;
        try {
          if (text !== "") body = JSON.parse(text);
        } catch {
          // keep the text
        }
        const received = {
          method: request.method ?? "",
          path: request.url ?? "",
          headers: request.headers,
          body,
        };
        this.requests.push(received);
        const answer = this.respond(received);
        if (answer.status < 200 || answer.status > 299) {
          this.rejected += 1;
          this.rejectedSet.add(received);
        }
        const payload =
          answer.body === undefined
            ? ""
            : typeof answer.body === "string"
              ? answer.body
              : JSON.stringify(answer.body);
        response.writeHead(answer.status, {
          "Content-Type": typeof answer.body === "string" ? "text/plain" : "application/json",
          ...answer.headers,
        });
        response.end(payload);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => {
        resolve();
      });
    });
    this.server = server;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) =>
      server.close(() => {
        resolve();
      }),
    );
  }
}

/** One issue a {@link RememberingIssueTracker} holds. */
export interface RememberedIssue {
  /** GitHub issue number as text, or Jira key. */
  readonly ref: string;
  readonly body: unknown;
  readonly labels: readonly string[];
}

/**
 * Answers like GitHub's and Jira's REST APIs for the calls the ticket sinks make, remembering the issues
 * created so a later lookup finds them: GitHub `POST /repos/{repo}/issues` (→ `number`) and
 * `GET /repos/{repo}/issues?labels=…` (label filter, newest first, `per_page`/`page`); Jira
 * `POST /rest/api/{2,3}/issue` (→ `key` `OPS-n`) and `GET /rest/api/{2,3}/search[/jql]?jql=…` (only the
 * `labels = "…"` clause is honoured, oldest first). `searchGone` answers Jira's legacy
 * `/rest/api/{2,3}/search` with 410 like Jira Cloud; `failLookups` answers every lookup with that status.
 * Anything else is 200 `{}`.
 */
export class RememberingIssueTracker {
  readonly issues: RememberedIssue[] = [];
  searchGone = false;
  failLookups: number | undefined;

  readonly respond = (request: ReceivedRequest): ReceiverAnswer => {
    const url = new URL(request.path, "http://receiver");
    const isGithubIssues = /^\/repos\/[^/]+\/[^/]+\/issues$/.test(url.pathname);
    const jiraSearch = /^\/rest\/api\/[23]\/search(\/jql)?$/.exec(url.pathname);
    if (request.method === "GET" && (isGithubIssues || jiraSearch !== null)) {
      if (this.failLookups !== undefined) return { status: this.failLookups, body: "lookup down" };
      if (jiraSearch !== null) return this.jiraSearch(url, jiraSearch[1] !== undefined);
      return this.githubList(url);
    }
    if (request.method === "POST" && isGithubIssues) {
      const body = request.body as { body?: unknown; labels?: string[] };
      const ref = String(this.issues.length + 1);
      this.issues.push({ ref, body: body.body, labels: body.labels ?? [] });
      return { status: 201, body: { number: Number(ref) } };
    }
    if (request.method === "POST" && /^\/rest\/api\/[23]\/issue$/.test(url.pathname)) {
      const fields = (request.body as { fields?: { description?: unknown; labels?: string[] } }).fields;
      const ref = `OPS-${this.issues.length + 1}`;
      this.issues.push({ ref, body: fields?.description, labels: fields?.labels ?? [] });
      return { status: 201, body: { id: String(10_000 + this.issues.length), key: ref } };
    }
    return { status: 200, body: {} };
  };

  private githubList(url: URL): ReceiverAnswer {
    const wanted = (url.searchParams.get("labels") ?? "").split(",").filter((label) => label !== "");
    const perPage = Number(url.searchParams.get("per_page") ?? "30");
    const page = Number(url.searchParams.get("page") ?? "1");
    const matching = this.issues
      .filter((issue) => wanted.every((label) => issue.labels.includes(label)))
      .reverse()
      .slice((page - 1) * perPage, page * perPage);
    return {
      status: 200,
      body: matching.map((issue) => ({
        number: Number(issue.ref),
        body: issue.body,
        labels: issue.labels.map((name) => ({ name })),
      })),
    };
  }

  private jiraSearch(url: URL, enhanced: boolean): ReceiverAnswer {
    if (this.searchGone && !enhanced) {
      return { status: 410, body: { errorMessages: ["The requested API has been removed."] } };
    }
    const label = /labels = "([^"]+)"/.exec(url.searchParams.get("jql") ?? "")?.[1];
    const maxResults = Number(url.searchParams.get("maxResults") ?? "50");
    const matching = this.issues
      .filter((issue) => label !== undefined && issue.labels.includes(label))
      .slice(0, maxResults)
      .map((issue) => ({ id: issue.ref.replace("OPS-", "1000"), key: issue.ref, fields: {} }));
    return {
      status: 200,
      body: enhanced ? { isLast: true, issues: matching } : { total: matching.length, issues: matching },
    };
  }
}
