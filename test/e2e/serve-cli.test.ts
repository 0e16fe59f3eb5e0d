import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { signalAndWait } from "../support/signal-child.js";

const repoRoot = resolve(import.meta.dirname, "../..");
const cli = join(repoRoot, "bin/presage.js");

interface Served {
  readonly child: ChildProcess;
  readonly baseUrl: string;
  readonly stdout: () => string;
  readonly exited: Promise<number | null>;
}

/** Starts the CLI and resolves once it printed its URL line (and the dashboard line after it). */
async function startServing(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Served> {
  const child = spawn("node", [cli, ...args], {
    cwd: repoRoot,
    env: { ...process.env, PRESAGE_API_TOKENS: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolveExit) => {
    child.once("exit", (code) => {
      resolveExit(code);
    });
  });
  const deadline = Date.now() + 120_000;
  while (!/^presage: dashboard: .*$/m.test(stdout)) {
    if (child.exitCode !== null) throw new Error(`presage exited with ${child.exitCode}: ${stderr}`);
    if (Date.now() > deadline) throw new Error(`presage did not start in time; stdout: ${stdout}`);
    await new Promise((wait) => setTimeout(wait, 50));
  }
  const baseUrl = /^presage: serving API and dashboard on (http:\/\/127\.0\.0\.1:\d+\/)$/m.exec(stdout)?.[1];
  if (baseUrl === undefined) throw new Error(`no URL line in: ${stdout}`);
  return { child, baseUrl, stdout: () => stdout, exited };
}

describe("presage serve", () => {
  let served: Served | undefined;

  afterEach(async () => {
    await signalAndWait(served?.child, "SIGKILL");
    served = undefined;
  });

  it("prints its URL and generated tokens, serves health and authorized forecasts, and stops on SIGTERM", async () => {
    served = await startServing([
      "serve",
      "--port",
      "0",
      "--targets",
      "2",
      "--model",
      "snaive",
      "--tick-ms",
      "200",
    ]);
    const out = served.stdout();
    const readToken = /^presage: read token: (\S+)$/m.exec(out)?.[1];
    const adminToken = /^presage: admin token: (\S+)$/m.exec(out)?.[1];
    expect(readToken).toMatch(/^presage_[A-Za-z0-9_-]{43}$/);
    expect(adminToken).toMatch(/^presage_[A-Za-z0-9_-]{43}$/);
    expect(adminToken).not.toBe(readToken);
    expect(out).toContain(`presage: dashboard: ${served.baseUrl}#token=${readToken!}`);

    const health = await fetch(new URL("/healthz", served.baseUrl));
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });

    const forecastUrl = new URL("/api/v1/targets/shop.web/forecast?horizon=30m&levels=80,95", served.baseUrl);
    const forecast = await fetch(forecastUrl, { headers: { authorization: `Bearer ${readToken!}` } });
    expect(forecast.status).toBe(200);
    const view = (await forecast.json()) as {
      target: string;
      mean: number[];
      intervals: { level: number }[];
    };
    expect(view.target).toBe("shop.web");
    expect(view.mean).toHaveLength(6);
    expect(view.intervals.map((interval) => interval.level)).toEqual([80, 95]);

    const anonymous = await fetch(forecastUrl);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    const readOnAdmin = await fetch(new URL("/api/v1/targets/shop.web/train", served.baseUrl), {
      method: "POST",
      headers: { authorization: `Bearer ${readToken!}` },
    });
    expect(readOnAdmin.status).toBe(403);
    const train = await fetch(new URL("/api/v1/targets/shop.svc-002/train", served.baseUrl), {
      method: "POST",
      headers: { authorization: `Bearer ${adminToken!}` },
    });
    expect(train.status).toBe(202);

    await signalAndWait(served.child, "SIGTERM");
    expect(await served.exited).toBe(0);
    expect(served.stdout()).toContain("presage: stopped; baseline minReplicas restored (shop.web: 2)");
  });

  it("plans capacity on synthetic cluster usage, says tickets are not sent, and serves it", async () => {
    served = await startServing(["serve", "--port", "0", "--model", "snaive", "--tick-ms", "0"]);
    const out = served.stdout();
    expect(out).toMatch(
      /^presage serve: capacity cluster\.cpu\/cpu: runway p50 .*, p90 \d{4}-\d{2}-\d{2} \(\d+ d\); ticket open$/m,
    );
    expect(out).toMatch(/^presage serve: capacity cluster\.memory\/memory: runway .*; ticket none$/m);
    const stateFile =
      /^presage serve: capacity tickets are recorded in (\S+), not sent \(embedded mode has no ticket sinks\)$/m.exec(
        out,
      )?.[1];
    expect(stateFile).toMatch(/presage-capacity-.*capacity-state\.json$/);
    expect(existsSync(stateFile!)).toBe(true);
    const readToken = /^presage: read token: (\S+)$/m.exec(out)?.[1];
    const capacity = await fetch(new URL("/api/v1/capacity/cluster.cpu?historyDays=30", served.baseUrl), {
      headers: { authorization: `Bearer ${readToken!}` },
    });
    expect(capacity.status).toBe(200);
    const body = (await capacity.json()) as {
      resources: { fingerprint: string; usage: { values: unknown[] }; forecast: { p50: number[] } }[];
    };
    expect(body.resources.map((view) => view.fingerprint)).toEqual(["cluster.cpu/cpu"]);
    expect(body.resources[0]!.usage.values).toHaveLength(30);
    expect(body.resources[0]!.forecast.p50).toHaveLength(180);
    await signalAndWait(served.child, "SIGTERM");
    expect(await served.exited).toBe(0);
    // The run's temporary capacity state goes with it.
    expect(existsSync(stateFile!)).toBe(false);
  });

  it("uses the tokens of PRESAGE_API_TOKENS and prints none", async () => {
    served = await startServing(["serve", "--port", "0", "--model", "snaive"], {
      PRESAGE_API_TOKENS: "ci:read:ci-read-token-0123456789",
    });
    expect(served.stdout()).not.toMatch(/token: /);
    expect(served.stdout()).toMatch(/^presage: dashboard: http:\/\/127\.0\.0\.1:\d+\/$/m);
    const targets = await fetch(new URL("/api/v1/targets", served.baseUrl), {
      headers: { authorization: "Bearer ci-read-token-0123456789" },
    });
    expect(targets.status).toBe(200);
    expect(((await targets.json()) as { targets: unknown[] }).targets).toHaveLength(1);
    await signalAndWait(served.child, "SIGINT");
    expect(await served.exited).toBe(0);
  });

  it("exits with code 2 naming every bad flag", async () => {
    const child = spawn("node", [cli, "serve", "--port", "70000", "--targets", "0", "--model", "prophet"], {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    const code = await new Promise<number | null>((resolveExit) => {
      child.once("exit", resolveExit);
    });
    expect(code).toBe(2);
    expect(stderr).toContain("--port (70000) must be an integer from 0 to 65535");
    expect(stderr).toContain("--targets (0) must be an integer from 1 to 1000");
    expect(stderr).toContain("--model (prophet) must be one of");
  });
});

describe("presage run (npm start)", () => {
  let served: Served | undefined;

  afterEach(async () => {
    await signalAndWait(served?.child, "SIGKILL");
    served = undefined;
  });

  it("prints the forecast demo, then serves until SIGTERM", async () => {
    served = await startServing(["run", "--horizon-steps", "24", "--port", "0"]);
    const out = served.stdout();
    expect(out).toMatch(/model: auto\[/);
    expect(out).toContain("Now serving the API and dashboard");
    expect(out.indexOf("● forecast")).toBeLessThan(out.indexOf("presage: serving API and dashboard"));
    expect((await fetch(new URL("/readyz", served.baseUrl))).status).toBe(200);
    await signalAndWait(served.child, "SIGTERM");
    expect(await served.exited).toBe(0);
  });
});
