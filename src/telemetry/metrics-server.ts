import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** Anything that renders Prometheus exposition text (e.g. `TrainingMetrics`). */
export interface MetricsSource {
  metrics(): Promise<string>;
  readonly contentType: string;
}

/**
 * The `/metrics` endpoint as a plain request handler (testable without a socket): `GET`/`HEAD /metrics`
 * answers the exposition text, `/healthz` answers `ok`, anything else 404; a failure to render is a
 * 500 without details.
 */
export function createMetricsHandler(
  source: MetricsSource,
): (request: IncomingMessage, response: ServerResponse) => Promise<void> {
  return async (request, response) => {
    const path = (request.url ?? "/").split("?")[0];
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    if (path === "/healthz") {
      response.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
      return;
    }
    if (path !== "/metrics") {
      response.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    try {
      const text = await source.metrics();
      response.writeHead(200, { "content-type": source.contentType });
      response.end(request.method === "HEAD" ? undefined : text);
    } catch {
      response.writeHead(500, { "content-type": "text/plain" }).end("metrics unavailable\n");
    }
  };
}

export interface MetricsServer {
  /** The port listened on (the OS's pick when 0 was asked for). */
  readonly port: number;
  close(): Promise<void>;
}

/** Serves `createMetricsHandler(source)` on `host:port` (port 0: any free port). */
export async function startMetricsServer(
  source: MetricsSource,
  port: number,
  host = "0.0.0.0",
): Promise<MetricsServer> {
  const handle = createMetricsHandler(source);
  const server = createServer((request, response) => {
    void handle(request, response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => {
          if (error) reject(error);
          else resolve();
        });
        server.closeAllConnections();
      }),
  };
}
