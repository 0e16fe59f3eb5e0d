import { spawn, type ChildProcess } from "node:child_process";
import { signalAndWait } from "./signal-child.js";

/**
 * The demo container: plain Node, no dependencies, run with `node -e`. Its working set grows linearly
 * from DEMO_BASE_BYTES at DEMO_BYTES_PER_SECOND since it started; at DEMO_LIMIT_BYTES the "kernel"
 * kills it: it prints OOMKilled and exits 137. `/metrics` serves the working set, the limit and —
 * as kube-state-metrics' `kube_pod_container_status_last_terminated_reason` does — whether the
 * previous instance was OOM-killed (DEMO_LAST_OOMKILLED, set by the supervisor).
 */
const DEMO_SOURCE = String.raw`
const http = require("node:http");
const env = process.env;
const base = Number(env.DEMO_BASE_BYTES), rate = Number(env.DEMO_BYTES_PER_SECOND), limit = Number(env.DEMO_LIMIT_BYTES);
const started = Date.now();
const memory = () => base + (rate * (Date.now() - started)) / 1000;
const server = http.createServer((request, response) => {
  response.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
  response.end(
    "# TYPE demo_memory_working_set_bytes gauge\ndemo_memory_working_set_bytes " + Math.min(memory(), limit) + "\n" +
    "# TYPE demo_memory_limit_bytes gauge\ndemo_memory_limit_bytes " + limit + "\n" +
    "# TYPE demo_last_terminated_oomkilled gauge\ndemo_last_terminated_oomkilled " + (env.DEMO_LAST_OOMKILLED === "1" ? 1 : 0) + "\n",
  );
});
server.listen(Number(env.DEMO_PORT), "127.0.0.1", () => process.stdout.write("READY\n"));
setInterval(() => {
  if (memory() >= limit) {
    process.stdout.write("OOMKilled\n");
    process.exit(137);
  }
}, 20);
process.on("SIGTERM", () => process.exit(0));
`;

/** Options of {@link LeakyPod}. */
export interface LeakyPodOptions {
  readonly port: number;
  readonly baseBytes: number;
  readonly bytesPerSecond: number;
  readonly limitBytes: number;
  /** @defaultValue none */
  readonly log?: (line: string) => void;
}

/** Something that happened to the pod's container. */
export interface LeakyPodEvent {
  readonly kind: "started" | "oom-killed" | "restarted";
  readonly atMs: number;
  /** The working set at that moment (as the container computes it). */
  readonly memoryBytes: number;
}

/**
 * One pod of a leaking Deployment and its kubelet: runs the demo container on a fixed port, starts it
 * again after an OOM kill (noting the termination reason, as the kubelet does), and `restart()`s it
 * for a rolling restart (SIGTERM, wait, start) — memory back to the baseline.
 */
export class LeakyPod {
  readonly events: LeakyPodEvent[] = [];
  private child: ChildProcess | undefined;
  private startedAtMs = 0;
  private stopped = false;
  private replacing = false;

  constructor(readonly options: LeakyPodOptions) {}

  /** OOM kills so far. */
  get oomKills(): LeakyPodEvent[] {
    return this.events.filter((event) => event.kind === "oom-killed");
  }

  /** Rolling restarts so far. */
  get restarts(): LeakyPodEvent[] {
    return this.events.filter((event) => event.kind === "restarted");
  }

  /** The working set now, as the running container reports it. */
  memoryNow(): number {
    const { baseBytes, bytesPerSecond, limitBytes } = this.options;
    return Math.min(limitBytes, baseBytes + (bytesPerSecond * (Date.now() - this.startedAtMs)) / 1000);
  }

  async start(lastOomKilled = false): Promise<void> {
    const { port, baseBytes, bytesPerSecond, limitBytes } = this.options;
    const child = spawn(process.execPath, ["-e", DEMO_SOURCE], {
      env: {
        PATH: process.env.PATH ?? "",
        DEMO_PORT: String(port),
        DEMO_BASE_BYTES: String(baseBytes),
        DEMO_BYTES_PER_SECOND: String(bytesPerSecond),
        DEMO_LIMIT_BYTES: String(limitBytes),
        DEMO_LAST_OOMKILLED: lastOomKilled ? "1" : "0",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-2000);
    });
    child.on("exit", (code) => {
      if (code !== 137 || this.child !== child) return;
      this.events.push({ kind: "oom-killed", atMs: Date.now(), memoryBytes: limitBytes });
      this.options.log?.(`pod :${port}: OOMKilled`);
      // The kubelet starts the container again, remembering why the last one ended.
      if (!this.stopped && !this.replacing) {
        this.start(true).catch((error: unknown) => this.options.log?.(`pod :${port}: ${String(error)}`));
      }
    });
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        if (!chunk.toString().includes("READY")) return;
        child.stdout.off("data", onData);
        resolve();
      };
      child.stdout.on("data", onData);
      child.once("exit", (code) => {
        reject(new Error(`demo container exited (${String(code)}) before ready: ${stderr}`));
      });
    });
    this.startedAtMs = Date.now();
    this.events.push({ kind: "started", atMs: this.startedAtMs, memoryBytes: baseBytes });
  }

  /** A rolling restart: the old container is stopped (memory noted), a fresh one started. */
  async restart(): Promise<void> {
    this.replacing = true;
    try {
      const memoryBytes = this.memoryNow();
      this.events.push({ kind: "restarted", atMs: Date.now(), memoryBytes });
      this.options.log?.(`pod :${this.options.port}: rolling restart at ${Math.round(memoryBytes / 1e6)} MB`);
      const old = this.child;
      this.child = undefined;
      await signalAndWait(old, "SIGTERM");
      if (!this.stopped) await this.start(false);
    } finally {
      this.replacing = false;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const child = this.child;
    this.child = undefined;
    await signalAndWait(child, "SIGKILL");
  }
}
