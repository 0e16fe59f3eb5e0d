import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A local HTTP receiver standing in for Slack or a pager: records every POST body. */
export interface CapturingReceiver {
  readonly url: string;
  readonly bodies: unknown[];
  /** Answers the next `count` requests with `status` instead of 200. */
  failNext(count: number, status?: number): void;
  waitFor(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startCapturingReceiver(): Promise<CapturingReceiver> {
  const bodies: unknown[] = [];
  let failures = 0;
  let failStatus = 500;
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      if (failures > 0) {
        failures -= 1;
        response.writeHead(failStatus).end("try later");
        return;
      }
      const text = Buffer.concat(chunks).toString("utf8");
      try {
        bodies.push(JSON.parse(text) as unknown);
      } catch {
        bodies.push(text);
      }
      response.writeHead(200, { "content-type": "text/plain" }).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    bodies,
    failNext: (count, status = 500) => {
      failures = count;
      failStatus = status;
    },
    waitFor: async (count, timeoutMs = 20_000) => {
      const deadline = Date.now() + timeoutMs;
      while (bodies.length < count) {
        if (Date.now() > deadline)
          throw new Error(`receiver: ${bodies.length} of ${count} bodies within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
