import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileModelRegistry } from "../../src/storage/file-model-registry.js";
import { writeConfig } from "../support/jobs-harness.js";
import { startWorkerProcess } from "../support/jobs-worker-process.js";

// The compiled CLI in embedded mode (no Redis): `presage train` and `presage worker`. `npm test`
// builds dist/ first; run `npm run build` before running this file alone.

const BIN = fileURLToPath(new URL("../../bin/presage.js", import.meta.url));
const run = promisify(execFile);

async function presage(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
  }
}

describe("presage train and presage worker in embedded mode", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "presage-jobs-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("presage train trains every target now, prints a result row each, and exits 1 when one failed", async () => {
    const models = join(dir, "train-models");
    const target = (name: string, history: string, horizons: string[]) => ({
      name,
      source: "synthetic",
      step: "1d",
      history,
      horizons,
      seasonality: [],
      models: ["naive", "drift"],
      schedule: "0 0 * * *",
    });
    const configPath = await writeConfig(dir, "train.yaml", {
      registry: { directory: models },
      training: { concurrency: 2, attempts: 2, backoffMs: 10 },
      // `short` has 11 daily samples, too few to backtest a 3-day horizon on rolling origins.
      targets: [target("web", "60d", ["1d"]), target("api", "90d", ["2d"]), target("short", "10d", ["3d"])],
    });

    const first = await presage(["train", "--config", configPath]);
    expect(first.code, first.stderr).toBe(1);
    const rows = first.stdout.split("\n");
    expect(rows[0]).toMatch(/^target\s+version\s+promoted\s+MASE\s+cov80\s+cov95\s+reason$/);
    expect(rows.find((row) => row.startsWith("web "))).toMatch(
      /^web\s+v1\s+yes\s+\d+\.\d+\s+\d+%\s+\d+%\s+no current model$/,
    );
    expect(rows.find((row) => row.startsWith("api "))).toMatch(/^api\s+v1\s+yes\s/);
    expect(rows.find((row) => row.startsWith("short "))).toMatch(
      /FAILED \[PRESAGE_TRAINING_INSUFFICIENT_HISTORY\]/,
    );

    // Again, for one target: the same window (today's) is not trained twice.
    const again = await presage(["train", "--config", configPath, "--target", "web"]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/web\s+v1\s+—\s+.*already trained: v1/);
    expect(again.stdout).not.toMatch(/^api/m);
    const registry = new FileModelRegistry({ directory: models });
    expect((await registry.listVersions("web")).map((version) => version.version)).toEqual([1]);

    const unknown = await presage(["train", "--config", configPath, "--target", "nope"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--target nope: not in .* \(targets: web, api, short\)/);
  });

  it("presage worker without Redis trains on the local schedule and stops on SIGTERM", async () => {
    const models = join(dir, "worker-models");
    const configPath = await writeConfig(dir, "worker.yaml", {
      registry: { directory: models },
      targets: [
        {
          name: "web",
          source: "synthetic",
          step: "1s",
          history: "2m",
          horizons: ["5s"],
          seasonality: [],
          models: ["naive"],
          schedule: "* * * * * *",
        },
      ],
    });
    const worker = await startWorkerProcess({ configPath, name: "embedded" });
    expect(worker.lines.join("\n")).toMatch(/ready mode=embedded/);
    await worker.waitForLine(/job completed id=train-web-\d+ .*outcome=promoted/);
    await worker.waitForLine(/job completed id=train-web-\d+ .*outcome=kept/);
    const metrics = await (await fetch(`http://127.0.0.1:${worker.metricsPort()}/metrics`)).text();
    expect(metrics).toMatch(
      /presage_training_jobs_completed_total\{target="web",reason="promoted",worker="embedded"\} 1/,
    );
    worker.signal("SIGTERM");
    expect(await worker.exited).toBe(0);
    expect(worker.lines.at(-1)).toMatch(/stopped/);

    const windows = (await new FileModelRegistry({ directory: models }).listVersions("web")).map(
      (version) => version.dataRange.endMs,
    );
    expect(windows.length).toBeGreaterThanOrEqual(2);
    expect(new Set(windows).size).toBe(windows.length);
    expect(windows.every((endMs) => endMs % 1000 === 0)).toBe(true);
  });

  it("presage worker reports every config problem at once and exits 2", async () => {
    const configPath = await writeConfig(dir, "bad.yaml", {
      redis: { url: "http://not-redis" },
      targets: [{ name: "Bad Name", source: "synthetic", schedule: "every day" }],
    });
    const result = await presage(["worker", "--config", configPath]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/redis\.url/);
    expect(result.stderr).toMatch(/targets\[0\]\.name/);
    expect(result.stderr).toMatch(/targets\[0\]\.schedule/);
  });
});
