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
