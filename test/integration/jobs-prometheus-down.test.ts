import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alignToStep, createTrainQueue, enqueueTraining, trainJobId } from "../../jobs/train-queue.js";
import { alignDownMs } from "../../src/sources/aligned-range.js";
import { SyntheticMetricSource } from "../../src/sources/synthetic-metric-source.js";
import { RedisModelRegistry } from "../../src/storage/redis-model-registry.js";
import { waitForJobState, writeConfig } from "../support/jobs-harness.js";
import { startWorkerProcess, type WorkerProcess } from "../support/jobs-worker-process.js";
import { startPrometheus, type RealPrometheus } from "../support/real-prometheus.js";
import { startRedis, type RealRedis } from "../support/real-redis.js";

// A real Prometheus (backfilled with promtool), a real redis-server and a `presage worker` process.
// Prometheus is then killed: training must fail as retryable, be retried, and leave the current model.

const STEP_SECONDS = 300;
const STEP_MS = STEP_SECONDS * 1000;
const POINTS = 7 * 288;

describe("training when Prometheus goes down", () => {
  let prometheus: RealPrometheus;
  let redis: RealRedis;
  let worker: WorkerProcess | undefined;
  let dir = "";
  const endMs = alignDownMs(Date.now(), STEP_MS) - STEP_MS;
  const startMs = endMs - (POINTS - 1) * STEP_MS;

  beforeAll(async () => {
    const synthetic = new SyntheticMetricSource({ seed: 3 });
    const values = Array.from({ length: POINTS }, (_, index) => synthetic.valueAt(startMs + index * STEP_MS));
    [prometheus, redis, dir] = await Promise.all([
      startPrometheus({
        series: [{ name: "web_rps", labels: { job: "web" }, startMs, stepSeconds: STEP_SECONDS, values }],
      }),
      startRedis(),
      mkdtemp(join(tmpdir(), "presage-prom-down-")),
    ]);
  });

  afterAll(async () => {
    worker?.signal("SIGKILL");
    await worker?.exited;
    await Promise.all([prometheus.stop(), redis.stop()]);
    await rm(dir, { recursive: true, force: true });
  });

  it("fails the job as retryable after retries, keeps the current model and says why", async () => {
    const configPath = await writeConfig(dir, "presage.yaml", {
      prometheus: { url: prometheus.url, timeoutMs: 10_000 },
      redis: { url: redis.url },
      training: { concurrency: 1, attempts: 3, backoffMs: 100 },
      targets: [
        {
          name: "web",
          query: "web_rps",
          step: "5m",
          history: "6d",
          horizons: ["30m"],
          seasonality: ["1d"],
          models: ["snaive"],
          schedule: "0 0 1 1 *",
        },
      ],
    });
    worker = await startWorkerProcess({ configPath, name: "worker-a" });
    const queue = createTrainQueue({ url: redis.url }, { attempts: 3, backoffMs: 100 });
    const registry = new RedisModelRegistry({ url: redis.url });
    try {
      const firstWindow = alignToStep(endMs - STEP_MS, STEP_SECONDS);
      await enqueueTraining(queue, "web", firstWindow);
      await waitForJobState(queue, trainJobId("web", firstWindow), "completed", 30_000);
      expect((await registry.current("web"))?.version).toBe(1);

      await prometheus.kill();
      const secondWindow = alignToStep(endMs, STEP_SECONDS);
      await enqueueTraining(queue, "web", secondWindow);
      const failed = await waitForJobState(queue, trainJobId("web", secondWindow), "failed", 60_000);
      expect(failed.attemptsMade).toBe(3); // retried: the failure was classed as retryable
      expect(failed.failedReason).toMatch(/unavailable|gave up|ECONNREFUSED/i);

      // The current model is untouched and still usable.
      const current = await registry.current("web");
      expect(current?.version).toBe(1);
      expect(await registry.listVersions("web")).toHaveLength(1);

      // The reason is visible in the worker's log and in its metrics.
      const log = worker.lines.join("\n");
      expect(log).toMatch(/job failed id=train-web-\d+ .*retryable=true/);
      const metrics = await (await fetch(`http://127.0.0.1:${worker.metricsPort()}/metrics`)).text();
      // Every failed attempt is counted (a slow first query under load may add to these three).
      const unavailable =
        /presage_training_jobs_failed_total\{[^}]*target="web"[^}]*reason="PRESAGE_SOURCE_UNAVAILABLE"[^}]*\} (\d+)/.exec(
          metrics,
        );
      expect(Number(unavailable?.[1])).toBeGreaterThanOrEqual(3);
      expect(metrics).toMatch(/presage_model_current_version\{target="web"[^}]*\} 1/);
    } finally {
      await queue.close();
      await registry.close();
    }
  });
});
