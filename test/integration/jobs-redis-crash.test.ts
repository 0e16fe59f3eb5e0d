import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisModelRegistry } from "../../src/storage/redis-model-registry.js";
import {
  alignToStep,
  createTrainQueue,
  enqueueTraining,
  trainJobId,
  type TrainQueue,
} from "../../jobs/train-queue.js";
import { startFakePrometheus, type FakePrometheus } from "../support/jobs-fake-prometheus.js";
import { naivePrometheusTargets, waitFor, writeConfig } from "../support/jobs-harness.js";
import { startWorkerProcess, type WorkerProcess } from "../support/jobs-worker-process.js";
import { startRedis, type RealRedis } from "../support/real-redis.js";

// Two `presage worker` processes (the compiled CLI; `npm test` builds dist/ first) on a real
// redis-server with append-only persistence, which the test kills with SIGKILL while jobs are running.

const TARGETS = Array.from({ length: 20 }, (_, index) => `api-${String(index).padStart(2, "0")}`);

describe("presage workers when Redis crashes mid-run", () => {
  let redis: RealRedis;
  let prometheus: FakePrometheus;
  let dir: string;
  let workers: WorkerProcess[] = [];

  beforeAll(async () => {
    [redis, prometheus, dir] = await Promise.all([
      startRedis(),
      startFakePrometheus(),
      mkdtemp(join(tmpdir(), "presage-jobs-")),
    ]);
  });

  afterAll(async () => {
    prometheus.release();
    for (const worker of workers) worker.signal("SIGKILL");
    await Promise.all(workers.map((worker) => worker.exited));
    await prometheus.close();
    await redis.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** Connects, runs `body`, disconnects (clients must not outlive a Redis restart in the middle). */
  async function withRedis<T>(
    body: (queue: TrainQueue, registry: RedisModelRegistry) => Promise<T>,
  ): Promise<T> {
    const queue = createTrainQueue({ url: redis.url }, { attempts: 8, backoffMs: 200 });
    const registry = new RedisModelRegistry({ url: redis.url });
    try {
      return await body(queue, registry);
    } finally {
      await queue.close();
      await registry.close();
    }
  }

  async function completedCount(windowEndMs: number): Promise<number> {
    return withRedis(async (queue) => {
      let count = 0;
      for (const target of TARGETS) {
        const job = await queue.getJob(trainJobId(target, windowEndMs));
        if (job !== undefined && (await job.getState()) === "completed") count++;
      }
      return count;
    });
  }

  it("loses no job: all complete after Redis restarts, each target and window trained once", async () => {
    const configPath = await writeConfig(dir, "presage.yaml", {
      prometheus: { url: prometheus.url, timeoutMs: 20_000 },
      redis: { url: redis.url },
      training: { concurrency: 2, attempts: 8, backoffMs: 200 },
      targets: naivePrometheusTargets(TARGETS),
    });
    workers = await Promise.all(
      ["worker-a", "worker-b"].map((name) => startWorkerProcess({ configPath, name })),
    );
    const firstWindow = alignToStep(Date.now(), 60) - 60_000;
    const secondWindow = firstWindow + 60_000;

    // A first round runs normally.
    await withRedis((queue) =>
      Promise.all(TARGETS.map((target) => enqueueTraining(queue, target, firstWindow))),
    );
    await waitFor("the first round", async () =>
      (await completedCount(firstWindow)) === TARGETS.length ? true : undefined,
    );

    // The second round is caught mid-run: four jobs (2 workers × concurrency 2) inside their history
    // fetch, sixteen waiting. Then Redis dies.
    prometheus.hold();
    const before = prometheus.requests;
    await withRedis((queue) =>
      Promise.all(TARGETS.map((target) => enqueueTraining(queue, target, secondWindow))),
    );
    await prometheus.waitForRequests(before + 4);
    await redis.kill();
    prometheus.release(); // the running jobs now train and try to store their models without Redis
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await redis.restart();

    await waitFor(
      "the second round after the restart",
      async () => ((await completedCount(secondWindow)) === TARGETS.length ? true : undefined),
      30_000,
    );

    await withRedis(async (queue, registry) => {
      expect(await queue.getJobCounts("failed", "wait", "active")).toEqual({ failed: 0, wait: 0, active: 0 });
      // Only the schedulers' next (yearly) ticks are left.
      const delayed = await queue.getJobs(["delayed"], 0, -1);
      expect(delayed.every((job) => job.id?.startsWith("repeat:"))).toBe(true);
      for (const target of TARGETS) {
        const windows = (await registry.listVersions(target)).map((version) => version.dataRange.endMs);
        expect(windows, target).toEqual([firstWindow, secondWindow]);
      }
    });
    // The crash hit running jobs (their registry reads failed and were retried); the workers rode it
    // out and shut down cleanly.
    const logs = workers.flatMap((worker) => worker.lines).join("\n");
    expect(logs).toMatch(/job failed id=train-api-\d\d-\d+ .*retryable=true/);
    expect(logs).not.toMatch(/retryable=false/);
    expect(workers.every((worker) => worker.lines.some((line) => line.includes("ready")))).toBe(true);
    for (const worker of workers) worker.signal("SIGTERM");
    expect(await Promise.all(workers.map((worker) => worker.exited))).toEqual([0, 0]);
  });
});
