import { spawn, type ChildProcess } from "node:child_process";
import { join, resolve } from "node:path";
import { signalAndWait } from "./signal-child.js";

const repoRoot = resolve(import.meta.dirname, "../..");

/** A running `presage serve` child and what it printed on start-up. */
export interface PresageServeProcess {
  readonly child: ChildProcess;
  /** e.g. `http://127.0.0.1:41234` (no trailing slash). */
  readonly baseUrl: string;
  readonly readToken: string;
  readonly adminToken: string;
  /** The dashboard link it printed, with the read token in the fragment. */
  readonly dashboardUrl: string;
  /** Everything written to stdout and stderr so far (for failure messages). */
  output(): string;
  /** SIGTERM, then wait for the exit. */
  stop(): Promise<void>;
}

/**
 * Starts `node bin/presage.js serve --port 0 …args` (the built CLI, like `npm start`) without any
 * configured tokens, so it generates and prints a read and an admin token, and resolves once it has
 * printed its URL, tokens and dashboard link. Rejects with its output if it exits or says nothing
 * within `timeoutMs`.
 */
export async function startPresageServe(
  args: readonly string[] = [],
  options: { readonly timeoutMs?: number; readonly env?: NodeJS.ProcessEnv } = {},
): Promise<PresageServeProcess> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  delete env.PRESAGE_API_TOKENS;
  delete env.PRESAGE_CONFIG;
  delete env.PORT;
  const child = spawn(process.execPath, [join(repoRoot, "bin/presage.js"), "serve", "--port", "0", ...args], {
    cwd: repoRoot,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const found: { baseUrl?: string; readToken?: string; adminToken?: string; dashboardUrl?: string } = {};
  const stop = (): Promise<void> => signalAndWait(child, "SIGTERM");
  return await new Promise<PresageServeProcess>((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(
        new Error(
          `presage serve printed no dashboard link within ${options.timeoutMs ?? 120_000} ms:\n${output}`,
        ),
      );
    }, options.timeoutMs ?? 120_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString("utf8");
      found.baseUrl ??= /presage: serving API and dashboard on (http:\/\/\S+?)\/?\s*$/m.exec(output)?.[1];
      found.readToken ??= /presage: read token: (\S+)/.exec(output)?.[1];
      found.adminToken ??= /presage: admin token: (\S+)/.exec(output)?.[1];
      found.dashboardUrl ??= /presage: dashboard: (http:\/\/\S+)/.exec(output)?.[1];
      const { baseUrl, readToken, adminToken, dashboardUrl } = found;
      if (baseUrl && readToken && adminToken && dashboardUrl) {
        clearTimeout(timer);
        resolvePromise({ child, baseUrl, readToken, adminToken, dashboardUrl, output: () => output, stop });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`presage serve exited (${signal ?? code}) before it was ready:\n${output}`));
    });
  });
}
