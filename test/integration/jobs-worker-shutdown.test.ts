import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { RedisModelRegistry } from "../../src/storage/redis-model-registry.js";
import {
  alignToStep,
  createTrainQueue,
  enqueueTraining,
  trainJobId,
  type TrainQueue,
} from "../../jobs/train-queue.js";
import { startFakePrometheus, type FakePrometheus } from "../support/jobs-fake-prometheus.js";
import { naivePrometheusTargets, waitFor, waitForJobState, writeConfig } from "../support/jobs-harness.js";
import { startWorkerProcess, type WorkerProcess } from "../support/jobs-worker-process.js";
import { startRedis, type RealRedis } from "../support/real-redis.js";

// Workers are the compiled CLI (`npm test` builds dist/ first; run `npm run build` before running this
// file alone). Each job waits on a fake Prometheus that the test holds, so it is caught mid-way.

const TARGETS = ["handoff", "drain", "crash"] as const;
const LOCK_MS = 2000;

describe("presage worker processes on a real Redis: shutdown mid-job", () => {
  let redis: RealRedis;
  let prometheus: FakePrometheus;
  let dir: string;
  let configPath: string;
  let queue: TrainQueue;
  let registry: RedisModelRegistry;
  const running: WorkerProcess[] = [];

  beforeAll(async () => {
    [redis, prometheus, dir] = await Promise.all([
      startRedis(),
      startFakePrometheus(),
      mkdtemp(join(tmpdir(), "presage-jobs-")),
    ]);
    configPath = await writeConfig(dir, "presage.yaml", {
      prometheus: { url: prometheus.url, timeoutMs: 20_000 },
      redis: { url: redis.url },
      training: { concurrency: 1, attempts: 3, backoffMs: 200 },
      targets: naivePrometheusTargets(TARGETS),
    });
    queue = createTrainQueue({ url: redis.url }, { attempts: 3, backoffMs: 200 });
    registry = new RedisModelRegistry({ url: redis.url });
  });

  afterEach(async () => {
    prometheus.release();
    for (const worker of running.splice(0)) {
      worker.signal("SIGTERM");
      await worker.exited;
    }
  });

  afterAll(async () => {
    await queue.close();
    await registry.close();
    await prometheus.close();
    await redis.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function twoWorkers(graceMs: number): Promise<[WorkerProcess, WorkerProcess]> {
    const args = [
      "--shutdown-grace-ms",
      String(graceMs),
      "--lock-duration-ms",
      String(LOCK_MS),
      "--stalled-interval-ms",
      "500",
    ];
    const workers = await Promise.all(
      ["worker-a", "worker-b"].map((name) => startWorkerProcess({ configPath, name, args })),
    );
    running.push(...workers);
    return workers as [WorkerProcess, WorkerProcess];
  }

  /** Enqueues a job for `target` and waits until a worker is inside it, blocked on its history fetch. */
  async function jobCaughtMidway(target: string, workers: readonly WorkerProcess[]) {
    prometheus.hold();
    const before = prometheus.requests;
    const windowEndMs = alignToStep(Date.now(), 60);
    await enqueueTraining(queue, target, windowEndMs);
    await prometheus.waitForRequests(before + 1);
    const id = trainJobId(target, windowEndMs);
    const job = await queue.getJob(id);
    expect(await job?.getState()).toBe("active");
    const holder = workers.find((worker) => worker.name === job?.processedBy);
    const other = workers.find((worker) => worker !== holder);
    if (holder === undefined || other === undefined)
      throw new Error(`no worker holds ${id} (processedBy ${job?.processedBy ?? "none"})`);
    return { id, windowEndMs, holder, other };
  }

  async function versionsEndingAt(target: string): Promise<number[]> {
    return (await registry.listVersions(target)).map((version) => version.dataRange.endMs);
  }

  it("SIGTERM mid-job: the worker hands the job back and the other worker completes it, without spending an attempt", async () => {
    const workers = await twoWorkers(300);
    const { id, windowEndMs, holder, other } = await jobCaughtMidway("handoff", workers);

    holder.signal("SIGTERM");
    expect(await holder.exited).toBe(0);
    running.splice(running.indexOf(holder), 1);
    expect(holder.lines.join("\n")).toMatch(/shutting down signal=SIGTERM/);
    expect(holder.lines.join("\n")).not.toMatch(/abandoned/);

    prometheus.release();
    const job = await waitForJobState(queue, id, "completed");
    expect(job.processedBy).toBe(other.name);
    expect(job.attemptsMade).toBe(1);
    expect(job.returnvalue).toMatchObject({ target: "handoff", windowEndMs, outcome: "trained", version: 1 });
    expect(await versionsEndingAt("handoff")).toEqual([windowEndMs]);
    await other.waitForLine(new RegExp(`job completed id=${id} `));
  });

  it("SIGTERM with enough grace: the worker finishes its running job, then exits", async () => {
    const workers = await twoWorkers(10_000);
    const { id, windowEndMs, holder, other } = await jobCaughtMidway("drain", workers);

    holder.signal("SIGTERM");
    await holder.waitForLine(/shutting down/);
    prometheus.release();
    expect(await holder.exited).toBe(0);
    running.splice(running.indexOf(holder), 1);

    const job = await waitForJobState(queue, id, "completed");
    expect(job.processedBy).toBe(holder.name);
    expect(job.attemptsMade).toBe(1);
    expect(await versionsEndingAt("drain")).toEqual([windowEndMs]);
    expect(other.lines.join("\n")).not.toContain(id);
  });

  it("a worker killed mid-job (SIGKILL): stalled-job recovery gives the job to the other worker", async () => {
    const workers = await twoWorkers(300);
    const { id, windowEndMs, holder, other } = await jobCaughtMidway("crash", workers);

    const killedAt = Date.now();
    holder.signal("SIGKILL");
    expect(await holder.exited).toBe("SIGKILL");
    running.splice(running.indexOf(holder), 1);
    prometheus.release();

    const job = await waitForJobState(queue, id, "completed", 15_000);
    // Taken over only once the dead worker's lock expired.
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(LOCK_MS - 200);
    expect(job.processedBy).toBe(other.name);
    expect(job.stalledCounter).toBe(1);
    expect(await versionsEndingAt("crash")).toEqual([windowEndMs]);
    await waitFor("the other worker's log line", () =>
      Promise.resolve(
        other.lines.some((line) => line.includes(`job completed id=${id} `)) ? true : undefined,
      ),
    );
  });
});
