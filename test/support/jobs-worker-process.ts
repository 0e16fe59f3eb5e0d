import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const BIN = fileURLToPath(new URL("../../bin/presage.js", import.meta.url));

/** A `presage worker` child process (the compiled CLI, as a pod would run it). */
export interface WorkerProcess {
  readonly name: string;
  readonly pid: number;
  /** Every stdout/stderr line so far. */
  readonly lines: readonly string[];
  /** Resolves with the first line (already seen or future) matching `pattern`. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Sends a signal (e.g. SIGTERM to shut down, SIGKILL to crash). */
  signal(signal: NodeJS.Signals): void;
  /** Resolves with the exit code (or the signal that ended it). */
  readonly exited: Promise<number | NodeJS.Signals>;
  /** The port `/metrics` is served on, from the ready line. */
  metricsPort(): number;
}

export interface WorkerProcessOptions {
  readonly configPath: string;
  readonly name: string;
  /** Extra CLI flags, e.g. `["--lock-duration-ms", "2000"]`. */
  readonly args?: readonly string[];
}

/** Starts `node bin/presage.js worker` and waits for its ready line. Needs `npm run build` first. */
export async function startWorkerProcess(options: WorkerProcessOptions): Promise<WorkerProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      BIN,
      "worker",
      "--config",
      options.configPath,
      "--metrics-port",
      "0",
      "--metrics-host",
      "127.0.0.1",
      "--name",
      options.name,
      ...(options.args ?? []),
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const lines: string[] = [];
  const listeners = new Set<() => void>();
  const collect = (chunk: Buffer, buffered: { text: string }): void => {
    buffered.text += chunk.toString();
    const parts = buffered.text.split("\n");
    buffered.text = parts.pop() ?? "";
    lines.push(...parts);
    for (const listener of listeners) listener();
  };
  const out = { text: "" };
  const err = { text: "" };
  child.stdout?.on("data", (chunk: Buffer) => {
    collect(chunk, out);
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    collect(chunk, err);
  });
  let exitedAlready = false;
  const exited = new Promise<number | NodeJS.Signals>((resolve) => {
    // 'close' (not 'exit'): the output pipes are drained by then.
    child.once("close", (code, signal) => {
      exitedAlready = true;
      resolve(code ?? signal ?? -1);
      for (const listener of listeners) listener();
    });
  });

  const waitForLine = (pattern: RegExp, timeoutMs = 15_000): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const line = lines.find((candidate) => pattern.test(candidate));
        if (line !== undefined) {
          resolve(line);
          return true;
        }
        return false;
      };
      if (check()) return;
      const timer = setTimeout(() => {
        listeners.delete(listener);
        reject(
          new Error(
            `worker ${options.name}: no line matching ${String(pattern)} within ${timeoutMs} ms; output:\n${lines.join("\n")}`,
          ),
        );
      }, timeoutMs);
      const listener = (): void => {
        if (check()) {
          clearTimeout(timer);
          listeners.delete(listener);
        } else if (exitedAlready) {
          clearTimeout(timer);
          listeners.delete(listener);
          reject(
            new Error(
              `worker ${options.name} exited before printing ${String(pattern)}; output:\n${lines.join("\n")}`,
            ),
          );
        }
      };
      listeners.add(listener);
    });

  const ready = await waitForLine(/ready mode=/);
  const port = Number(/metrics_port=(\d+)/.exec(ready)?.[1]);
  return {
    name: options.name,
    pid: child.pid ?? -1,
    lines,
    waitForLine,
    signal: (signal) => {
      child.kill(signal);
    },
    exited,
    metricsPort: () => port,
  };
}
