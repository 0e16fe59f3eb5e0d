import { execFile } from "node:child_process";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ForecastView, TargetSummary } from "../../src/api/presage-backend.js";
import { freePort } from "../support/free-port.js";
import { startPresageServe, type PresageServeProcess } from "../support/presage-serve-process.js";

const repoRoot = resolve(import.meta.dirname, "../..");
const cli = join(repoRoot, "bin/presage.js");

interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built CLI; never rejects (a non-zero exit is a result to assert on). */
function presage(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  if (!("PRESAGE_API_TOKEN" in env)) delete childEnv.PRESAGE_API_TOKEN;
  delete childEnv.PRESAGE_API_URL;
  return new Promise((resolvePromise) => {
    execFile(
      process.execPath,
      [cli, ...args],
      { env: childEnv, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
        resolvePromise({ code, stdout, stderr });
      },
    );
  });
}

describe("presage forecast (API client) against `presage serve`", () => {
  let server: PresageServeProcess | undefined;
  let target = "";
  let stepSeconds = 0;

  beforeAll(async () => {
    server = await startPresageServe([], { timeoutMs: 180_000 });
    const response = await fetch(`${server.baseUrl}/api/v1/targets`, {
      headers: { authorization: `Bearer ${server.readToken}` },
    });
    const { targets } = (await response.json()) as { targets: TargetSummary[] };
    const trained = targets.find((candidate) => candidate.model !== undefined);
    if (trained === undefined) throw new Error(`no trained target served: ${JSON.stringify(targets)}`);
    target = trained.name;
    stepSeconds = trained.stepSeconds;
  }, 240_000);

  afterAll(async () => {
    await server?.stop();
  });

  it("prints the forecast as a table with 80/95% bounds and a terminal chart", async () => {
    const run = await presage(["forecast", target, "--horizon", "2h", "--url", server!.baseUrl], {
      PRESAGE_API_TOKEN: server!.readToken,
    });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`${target}: `);
    expect(run.stdout).toMatch(/time \(UTC\)\s+forecast\s+lo80\s+hi80\s+lo95\s+hi95/);
    const rows = run.stdout.split("\n").filter((line) => /^\d{4}-\d\d-\d\d \d\d:\d\d\s/.test(line));
    const steps = Math.ceil(7200 / stepSeconds);
    expect(rows).toHaveLength(Math.floor(steps / Math.ceil(steps / 48)));
    for (const row of rows) {
      const [, , forecast, lo80, hi80, lo95, hi95] = row.trim().split(/\s+/).map(Number);
      expect(lo95!).toBeLessThanOrEqual(lo80!);
      expect(lo80!).toBeLessThanOrEqual(forecast!);
      expect(forecast!).toBeLessThanOrEqual(hi80!);
      expect(hi80!).toBeLessThanOrEqual(hi95!);
    }
    expect(run.stdout).toContain("● forecast");
    expect(run.stdout).toContain("░ 95%");
  });

  it("prints the API's forecast document with --json, honouring --levels and --token", async () => {
    const run = await presage([
      "forecast",
      target,
      "--horizon",
      "1h",
      "--levels",
      "90",
      "--json",
      "--url",
      server!.baseUrl,
      "--token",
      server!.readToken,
    ]);
    expect(run.code).toBe(0);
    const view = JSON.parse(run.stdout) as ForecastView;
    expect(view.target).toBe(target);
    expect(view.mean).toHaveLength(Math.ceil(3600 / stepSeconds));
    expect(view.intervals.map((interval) => interval.level)).toEqual([90]);
    expect(view.timesMs[0]).toBe(view.dataEndMs + stepSeconds * 1000);
  });

  it("says a token is needed, or that it was rejected (exit 1)", async () => {
    const missing = await presage(["forecast", target, "--url", server!.baseUrl]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/needs a token \(401 PRESAGE_API_UNAUTHORIZED/);
    expect(missing.stderr).toContain("PRESAGE_API_TOKEN");
    const wrong = await presage(["forecast", target, "--url", server!.baseUrl, "--token", "wrong"]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/rejected the token \(401/);
    expect(wrong.stderr).not.toMatch(/\n\s+at /);
  });

  it("says the target is unknown (exit 1)", async () => {
    const run = await presage(["forecast", "no-such-target", "--url", server!.baseUrl], {
      PRESAGE_API_TOKEN: server!.readToken,
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/unknown target "no-such-target" \(404 PRESAGE_API_UNKNOWN_TARGET/);
  });

  it("says the connection was refused when nothing listens (exit 1)", async () => {
    const port = await freePort();
    const run = await presage(["forecast", target, "--url", `http://127.0.0.1:${port}`, "--token", "t"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `cannot connect to the presage API at http://127.0.0.1:${port}: connection refused`,
    );
  });

  it("rejects bad flags before calling anything (exit 2)", async () => {
    const noTarget = await presage(["forecast", "--horizon", "1h"]);
    expect(noTarget.code).toBe(2);
    expect(noTarget.stderr).toContain("forecast needs a target name first");
    const badHorizon = await presage(["forecast", target, "--horizon", "soon"]);
    expect(badHorizon.code).toBe(2);
    expect(badHorizon.stderr).toContain('--horizon ("soon") must be a duration');
    const badLevels = await presage(["forecast", target, "--levels", "80,120"]);
    expect(badLevels.code).toBe(2);
    expect(badLevels.stderr).toContain('--levels ("80,120")');
  });
});
