import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A stand-in for Prometheus' `GET /api/v1/query_range` that answers one series of a smooth daily cycle
 * on the requested grid, and can hold answers back: while `holding`, requests park until `release()`.
 * It lets a test catch a training job mid-way — waiting on its history fetch — deterministically,
 * without any sleep in presage itself.
 */
export interface FakePrometheus {
  readonly url: string;
  /** Range queries received so far (answered or parked). */
  readonly requests: number;
  /** Park requests from now on. */
  hold(): void;
  /** Answer every parked request and stop holding. */
  release(): void;
  /** Resolves once `count` requests have arrived. */
  waitForRequests(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startFakePrometheus(): Promise<FakePrometheus> {
  let requests = 0;
  let holding = false;
  const parked: (() => void)[] = [];
  const waiters = new Set<() => void>();

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    if (url.pathname !== "/api/v1/query_range") {
      answer(response, 404, { status: "error", errorType: "not_found", error: "not found" });
      return;
    }
    requests++;
    for (const wake of waiters) wake();
    const respond = (): void => {
      const startSeconds = Number(url.searchParams.get("start"));
      const endSeconds = Number(url.searchParams.get("end"));
      const stepSeconds = Number(url.searchParams.get("step"));
      const values: [number, string][] = [];
      for (let t = startSeconds; t <= endSeconds + 1e-9; t += stepSeconds) {
        const phase = ((t % 86_400) / 86_400) * 2 * Math.PI;
        values.push([t, String(200 + 80 * Math.sin(phase) + 10 * Math.sin(7 * phase))]);
      }
      answer(response, 200, {
        status: "success",
        data: { resultType: "matrix", result: [{ metric: { __name__: "requests" }, values }] },
      });
    };
    if (holding) parked.push(respond);
    else respond();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return requests;
    },
    hold: () => {
      holding = true;
    },
    release: () => {
      holding = false;
      for (const respond of parked.splice(0)) respond();
    },
    waitForRequests: (count, timeoutMs = 15_000) =>
      new Promise((resolve, reject) => {
        const check = (): boolean => {
          if (requests < count) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`fake Prometheus: ${requests} of ${count} requests within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

function answer(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}
