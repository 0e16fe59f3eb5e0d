import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./free-port.js";
import { signalAndWait } from "./signal-child.js";

/** A real `redis-server` (Debian package) on a free loopback port, persisting to a temp dir. */
export interface RealRedis {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  readonly pid: number | undefined;
  /** SIGKILL, as a crash would (the AOF keeps what was acknowledged). */
  kill(): Promise<void>;
  /** Starts again on the same port and data dir after `kill` or `stop`. */
  restart(): Promise<void>;
  /** SIGTERM, waits for exit and removes the data dir. */
  stop(): Promise<void>;
}

/** Starts redis-server with append-only persistence (`appendfsync always`) so restarts lose nothing. */
export async function startRedis(): Promise<RealRedis> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), "presage-redis-"));
  let child: ChildProcess | undefined;
  const launch = async (): Promise<void> => {
    child = spawn(
      "redis-server",
      [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        dir,
        "--save",
        "",
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
        "--maxmemory-policy",
        "noeviction",
      ],
      { stdio: "ignore" },
    );
    await waitForPort(port, 10_000);
  };
  const exit = (signal: NodeJS.Signals): Promise<void> => signalAndWait(child, signal);
  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    get pid() {
      return child?.pid;
    },
    kill: () => exit("SIGKILL"),
    restart: launch,
    stop: async () => {
      await exit("SIGTERM");
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ready = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.write("PING\r\n");
      });
      socket.once("data", (data) => {
        socket.destroy();
        resolve(data.toString().startsWith("+PONG"));
      });
      socket.once("error", () => {
        socket.destroy();
        resolve(false);
      });
    });
    if (ready) return;
    if (Date.now() > deadline)
      throw new Error(`redis-server did not answer on port ${port} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
