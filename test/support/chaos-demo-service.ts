import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/*
 * The chaos test's demo service: one "container" of a Deployment, run as its own process by the
 * chaos cluster controller (chaos-demo-pod.ts). It imports node builtins only, so the controller can
 * transpile it on its own and spawn it with plain `node`.
 *
 * Load is synthetic: an internal generator "serves" `requestsPerSecond` requests every tick and counts
 * them as an instrumented HTTP server would (status codes, latency histogram), so error ratios and CPU
 * saturation exist without a load generator. Faults are injected through `POST /control` or the
 * environment, and some are properties of the version (the image tag) itself:
 *
 * - a version containing `crash` exits with status 1 shortly after start-up, before it is Ready (a
 *   crash loop after a bad deploy);
 * - a version containing `errors` answers `BAD_VERSION_ERROR_RATIO` of its requests with 500.
 */

/** The control endpoint: POST a JSON {@link DemoControl}. */
export const DEMO_CONTROL_PATH = "/control";
/** cAdvisor-style container series (working set, CPU), scraped by the `cadvisor` job. */
export const DEMO_CADVISOR_PATH = "/metrics/cadvisor";
/** Share of requests a version tagged `errors` fails. */
export const BAD_VERSION_ERROR_RATIO = 0.3;
/** A leak grows the working set to this share of the limit and holds there (GC thrashing, no OOM kill). */
export const LEAK_PLATEAU_RATIO = 0.96;

/** Faults and load a running demo process can be told about. */
export interface DemoControl {
  /** Requests per second this pod serves. */
  readonly requestsPerSecond?: number;
  /** Share of requests answered with 500 (an error burst), on top of the version's own. */
  readonly errorRatio?: number;
  /** Working-set growth in bytes per second (a memory leak); 0 stops it. */
  readonly leakBytesPerSecond?: number;
}

/** How the process is started (environment variables `DEMO_*`). */
export interface DemoServiceOptions {
  /** @defaultValue 0 (any free port) */
  readonly port?: number;
  readonly version: string;
  /** Simulated start-up before the port opens (the readiness delay). @defaultValue 150 */
  readonly startupMs?: number;
  /** A `crash` version exits this long after start-up. @defaultValue 250 */
  readonly crashAfterMs?: number;
  /** @defaultValue 268 435 456 (256 MiB) */
  readonly memoryLimitBytes?: number;
  /** CPU seconds a request costs. @defaultValue 0.005 */
  readonly cpuSecondsPerRequest?: number;
  /** CPU the pod requests (cores), for the saturation gauge. @defaultValue 0.5 */
  readonly cpuRequestCores?: number;
  readonly control?: DemoControl;
  /**
   * Labels added to every series (`namespace`, `pod`, … — as cAdvisor labels its own series, since
   * the chaos run's scrape slots carry no pod identity). @defaultValue none
   */
  readonly seriesLabels?: Readonly<Record<string, string>>;
  /** @defaultValue 100 */
  readonly tickMs?: number;
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] as const;
const BASE_MEMORY_RATIO = 0.35;

/** A running demo service. */
export interface DemoService {
  readonly port: number;
  /** Applies a control message (as `POST /control` does). */
  control(message: DemoControl): void;
  close(): Promise<void>;
}

/** Counters and gauges of one demo process. */
class DemoState {
  requestsOk = 0;
  requestsFailed = 0;
  latencyCounts: number[] = LATENCY_BUCKETS.map(() => 0);
  latencySum = 0;
  cpuSeconds = 0;
  workingSetBytes: number;
  queueDepth = 0;
  requestsPerSecond: number;
  errorRatio: number;
  leakBytesPerSecond: number;
  private requestCarry = 0;
  private errorCarry = 0;

  constructor(
    private readonly options: Required<Omit<DemoServiceOptions, "port" | "control" | "seriesLabels">> & {
      control: DemoControl;
    },
  ) {
    this.workingSetBytes = options.memoryLimitBytes * BASE_MEMORY_RATIO;
    this.requestsPerSecond = options.control.requestsPerSecond ?? 20;
    this.errorRatio = options.control.errorRatio ?? 0;
    this.leakBytesPerSecond = options.control.leakBytesPerSecond ?? 0;
  }

  versionErrorRatio(): number {
    return this.options.version.includes("errors") ? BAD_VERSION_ERROR_RATIO : 0;
  }

  /** Serves one tick of synthetic load (deterministic: carried fractions, no randomness). */
  tick(seconds: number): void {
    const demandCores = this.requestsPerSecond * this.options.cpuSecondsPerRequest;
    const saturation = demandCores / this.options.cpuRequestCores;
    this.requestCarry += this.requestsPerSecond * seconds;
    const requests = Math.floor(this.requestCarry);
    this.requestCarry -= requests;
    const ratio = Math.min(1, this.errorRatio + this.versionErrorRatio());
    this.errorCarry += requests * ratio;
    const failed = Math.min(requests, Math.floor(this.errorCarry));
    this.errorCarry -= failed;
    this.requestsFailed += failed;
    this.requestsOk += requests - failed;
    // Latency rises steeply once demand passes the requested CPU (queueing).
    const latency = 0.02 * (saturation < 0.8 ? 1 : 1 + 20 * (saturation - 0.8));
    this.latencySum += latency * requests;
    LATENCY_BUCKETS.forEach((bound, index) => {
      if (latency <= bound) this.latencyCounts[index]! += requests;
    });
    this.cpuSeconds += (0.002 + demandCores) * seconds;
    this.queueDepth = Math.max(0, Math.round((saturation - 0.8) * 100));
    if (this.leakBytesPerSecond > 0) {
      const plateau = this.options.memoryLimitBytes * LEAK_PLATEAU_RATIO;
      this.workingSetBytes = Math.min(plateau, this.workingSetBytes + this.leakBytesPerSecond * seconds);
    }
  }

  appMetrics(): string {
    const requests = this.requestsOk + this.requestsFailed;
    const lines = [
      "# HELP http_requests_total Requests served, by status code.",
      "# TYPE http_requests_total counter",
      `http_requests_total{code="200"} ${this.requestsOk}`,
      `http_requests_total{code="500"} ${this.requestsFailed}`,
      "# HELP demo_errors_total Requests that failed.",
      "# TYPE demo_errors_total counter",
      `demo_errors_total ${this.requestsFailed}`,
      "# HELP http_request_duration_seconds Request latency.",
      "# TYPE http_request_duration_seconds histogram",
      ...LATENCY_BUCKETS.map(
        (bound, index) =>
          `http_request_duration_seconds_bucket{le="${bound}"} ${this.latencyCounts[index] ?? 0}`,
      ),
      `http_request_duration_seconds_bucket{le="+Inf"} ${requests}`,
      `http_request_duration_seconds_sum ${this.latencySum}`,
      `http_request_duration_seconds_count ${requests}`,
      "# HELP demo_memory_bytes Working set the service believes it holds.",
      "# TYPE demo_memory_bytes gauge",
      `demo_memory_bytes ${Math.round(this.workingSetBytes)}`,
      "# HELP demo_memory_limit_bytes The container's memory limit.",
      "# TYPE demo_memory_limit_bytes gauge",
      `demo_memory_limit_bytes ${this.options.memoryLimitBytes}`,
      "# HELP demo_queue_depth Requests waiting for CPU (saturation).",
      "# TYPE demo_queue_depth gauge",
      `demo_queue_depth ${this.queueDepth}`,
      "# HELP demo_build_info The running version.",
      "# TYPE demo_build_info gauge",
      `demo_build_info{version="${this.options.version.replace(/["\\\n]/g, "_")}"} 1`,
      "# HELP process_resident_memory_bytes Resident memory of this process.",
      "# TYPE process_resident_memory_bytes gauge",
      `process_resident_memory_bytes ${process.memoryUsage().rss}`,
    ];
    return `${lines.join("\n")}\n`;
  }

  cadvisorMetrics(): string {
    return [
      "# HELP container_memory_working_set_bytes Current working set of the container in bytes.",
      "# TYPE container_memory_working_set_bytes gauge",
      `container_memory_working_set_bytes ${Math.round(this.workingSetBytes)}`,
      "# HELP container_cpu_usage_seconds_total Cumulative CPU time consumed in seconds.",
      "# TYPE container_cpu_usage_seconds_total counter",
      `container_cpu_usage_seconds_total ${this.cpuSeconds.toFixed(6)}`,
      "",
    ].join("\n");
  }
}

function finite(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** Adds `labels` to every sample line of an exposition. */
function labelSeries(labels: Readonly<Record<string, string>>): (text: string) => string {
  const pairs = Object.entries(labels)
    .map(([name, value]) => `${name}="${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`)
    .join(",");
  if (pairs === "") return (text) => text;
  return (text) =>
    text.replace(
      /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? /gm,
      (_line, name: string, _braces, inner?: string) =>
        `${name}{${inner === undefined || inner === "" ? pairs : `${inner},${pairs}`}} `,
    );
}

/** Parses a control body; unknown or invalid fields are ignored (never a crash). */
export function parseDemoControl(text: string): DemoControl | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof body !== "object" || body === null) return undefined;
  const record = body as Record<string, unknown>;
  const requestsPerSecond = finite(record.requestsPerSecond);
  const errorRatio = finite(record.errorRatio);
  const leakBytesPerSecond = finite(record.leakBytesPerSecond);
  return {
    ...(requestsPerSecond === undefined ? {} : { requestsPerSecond }),
    ...(errorRatio === undefined ? {} : { errorRatio: Math.min(1, errorRatio) }),
    ...(leakBytesPerSecond === undefined ? {} : { leakBytesPerSecond }),
  };
}

/**
 * Starts the demo service: waits `startupMs` (a slow start), then listens; a `crash` version exits
 * with status 1 `crashAfterMs` later, before it would be Ready.
 */
export async function startDemoService(options: DemoServiceOptions): Promise<DemoService> {
  const resolved = {
    version: options.version,
    startupMs: options.startupMs ?? 150,
    crashAfterMs: options.crashAfterMs ?? 250,
    memoryLimitBytes: options.memoryLimitBytes ?? 256 * 1024 * 1024,
    cpuSecondsPerRequest: options.cpuSecondsPerRequest ?? 0.005,
    cpuRequestCores: options.cpuRequestCores ?? 0.5,
    tickMs: options.tickMs ?? 100,
    control: options.control ?? {},
  };
  const withLabels = labelSeries(options.seriesLabels ?? {});
  await new Promise((resolve) => setTimeout(resolve, resolved.startupMs));
  if (resolved.version.includes("crash")) {
    setTimeout(() => {
      process.stderr.write(`demo ${resolved.version}: fatal: configuration schema mismatch\n`);
      process.exit(1);
    }, resolved.crashAfterMs);
  }
  const state = new DemoState(resolved);
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    state.tick((now - last) / 1000);
    last = now;
  }, resolved.tickMs);
  const apply = (message: DemoControl): void => {
    if (message.requestsPerSecond !== undefined) state.requestsPerSecond = message.requestsPerSecond;
    if (message.errorRatio !== undefined) state.errorRatio = message.errorRatio;
    if (message.leakBytesPerSecond !== undefined) state.leakBytesPerSecond = message.leakBytesPerSecond;
  };
  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    const path = (request.url ?? "/").split("?")[0];
    const send = (status: number, type: string, body: string): void => {
      response.writeHead(status, { "content-type": type }).end(body);
    };
    if (request.method === "GET" && path === "/metrics") {
      send(200, "text/plain; version=0.0.4", withLabels(state.appMetrics()));
    } else if (request.method === "GET" && path === DEMO_CADVISOR_PATH) {
      send(200, "text/plain; version=0.0.4", withLabels(state.cadvisorMetrics()));
    } else if (request.method === "GET" && path === "/healthz") {
      send(200, "text/plain", `ok ${resolved.version}\n`);
    } else if (request.method === "POST" && path === DEMO_CONTROL_PATH) {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const message = parseDemoControl(Buffer.concat(chunks).toString("utf8"));
        if (message === undefined) {
          send(400, "text/plain", "body must be a JSON object\n");
          return;
        }
        apply(message);
        send(204, "text/plain", "");
      });
    } else {
      send(404, "text/plain", "not found\n");
    }
  };
  const server: Server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    control: apply,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(timer);
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
