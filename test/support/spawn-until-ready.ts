import { spawn, type ChildProcess } from "node:child_process";
import { rm } from "node:fs/promises";
import { signalAndWait } from "./signal-child.js";

/** Options of {@link spawnUntilReady}. */
export interface SpawnUntilReadyOptions {
  /** The executable, e.g. `prometheus`; it also names the process in errors. */
  readonly command: string;
  readonly args: readonly string[];
  /** Polled until it answers 2xx, e.g. `http://127.0.0.1:9090/-/ready`. */
  readonly readyUrl: string;
  /** How long to wait for `readyUrl`; then the process is killed. @defaultValue 20 000 */
  readonly timeoutMs?: number;
  /** The caller's temp dir, removed when the process does not become ready. @defaultValue none */
  readonly tempDir?: string;
}

/** A started child process and the tail of what it wrote to stderr. */
export interface ReadyProcess {
  readonly child: ChildProcess;
  /** The last 8,000 characters of its stderr. */
  log(): string;
}

/**
 * Spawns `command` (stdout ignored, stderr kept) and resolves once `readyUrl` answers. Rejects, with
 * the stderr tail, when the process exits first or is not ready in time (it is SIGKILLed then), and
 * removes `tempDir` then.
 */
export async function spawnUntilReady(options: SpawnUntilReadyOptions): Promise<ReadyProcess> {
  try {
    return await spawnAndWait(options);
  } catch (error) {
    if (options.tempDir !== undefined) await rm(options.tempDir, { recursive: true, force: true });
    throw error;
  }
}

async function spawnAndWait(options: SpawnUntilReadyOptions): Promise<ReadyProcess> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  let log = "";
  const child = spawn(options.command, options.args, { stdio: ["ignore", "ignore", "pipe"] });
  child.stderr.on("data", (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-8000);
  });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `${options.command} exited (${child.exitCode ?? child.signalCode ?? "?"}) before ready:\n${log}`,
      );
    }
    const ready = await fetch(options.readyUrl, { signal: AbortSignal.timeout(1000) }).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return { child, log: () => log };
    if (Date.now() > deadline) {
      await signalAndWait(child, "SIGKILL");
      throw new Error(`${options.command} at ${options.readyUrl} not ready within ${timeoutMs} ms:\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
