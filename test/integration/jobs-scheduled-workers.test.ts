import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisModelRegistry } from "../../src/storage/redis-model-registry.js";
import { parseConfigText } from "../../src/config/presage-config.js";
import { createTrainQueue, type TrainQueue } from "../../jobs/train-queue.js";
import { syncTrainSchedules } from "../../jobs/train-schedules.js";
import { waitFor, writeConfig } from "../support/jobs-harness.js";
import { startWorkerProcess, type WorkerProcess } from "../support/jobs-worker-process.js";
import { startRedis, type RealRedis } from "../support/real-redis.js";

// Two `presage worker` processes (the compiled CLI; `npm test` builds dist/ first) share one real Redis
// and 20 synthetic targets scheduled every 2 seconds (a seconds-field cron, which BullMQ's cron-parser
// supports).

const TARGETS = Array.from({ length: 20 }, (_, index) => `svc-${String(index).padStart(2, "0")}`);
const TICK_MS = 2000;
const RUN_MS = 8000;

describe("two presage worker processes, 20 targets on a 2-second schedule", () => {
  let redis: RealRedis;
  let dir: string;
  let queue: TrainQueue;
  let registry: RedisModelRegistry;
  let workers: WorkerProcess[] = [];

  beforeAll(async () => {
    [redis, dir] = await Promise.all([startRedis(), mkdtemp(join(tmpdir(), "presage-jobs-"))]);
    queue = createTrainQueue({ url: redis.url }, { attempts: 3, backoffMs: 200 });
    registry = new RedisModelRegistry({ url: redis.url });
  });

  afterAll(async () => {
    for (const worker of workers) worker.signal("SIGKILL");
    await Promise.all(workers.map((worker) => worker.exited));
    await queue.close();
    await registry.close();
    await redis.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps one job scheduler per configured target: creates, leaves alone, updates and removes", async () => {
    // Its own key prefix: a separate queue from the worker test below.
    const sync = createTrainQueue({ url: redis.url, prefix: "sync-test" }, { attempts: 3, backoffMs: 200 });
    const settings = { attempts: 3, backoffMs: 200 };
    const targets = (yaml: string) => parseConfigText(`targets:\n${yaml}`).targets;
    try {
      const first = targets(`
  - { name: web, source: synthetic, schedule: "0 */6 * * *" }
  - { name: api, source: synthetic, schedule: "30 * * * *" }`);
      expect(await syncTrainSchedules(sync, first, settings)).toEqual({
        upserted: ["web", "api"],
        unchanged: [],
        removed: [],
      });
      const schedulers = await sync.getJobSchedulers();
      expect(
        schedulers
          .map(({ key, pattern, name, template }) => ({ key, pattern, name, data: template?.data }))
          .sort((a, b) => a.key.localeCompare(b.key)),
      ).toEqual([
        { key: "api", pattern: "30 * * * *", name: "train", data: { target: "api" } },
        { key: "web", pattern: "0 */6 * * *", name: "train", data: { target: "web" } },
      ]);
      const delayed = (await sync.getJobs(["delayed"])).map((job) => job.id ?? "");
      expect(delayed.sort()).toEqual([
        expect.stringMatching(/^repeat:api:\d+$/),
        expect.stringMatching(/^repeat:web:\d+$/),
      ]);

      expect(await syncTrainSchedules(sync, first, settings)).toEqual({
        upserted: [],
        unchanged: ["web", "api"],
        removed: [],
      });

      const second = targets(`
  - { name: api, source: synthetic, schedule: "45 * * * *" }
  - { name: db, source: synthetic, schedule: "0 0 * * *" }`);
      expect(await syncTrainSchedules(sync, second, settings)).toEqual({
        upserted: ["api", "db"],
        unchanged: [],
        removed: ["web"],
      });
      expect(
        (await sync.getJobSchedulers())
          .map((scheduler) => `${scheduler.key} ${scheduler.pattern ?? ""}`)
          .sort(),
      ).toEqual(["api 45 * * * *", "db 0 0 * * *"]);
      expect(
        (await sync.getJobs(["delayed"]))
          .map((job) => job.id ?? "")
          .filter((id) => id.startsWith("repeat:web:")),
      ).toEqual([]);
    } finally {
      await sync.obliterate({ force: true });
      await sync.close();
    }
  });

  it("trains each target exactly once per tick, spread over both workers, and serves /metrics", async () => {
    const configPath = await writeConfig(dir, "presage.yaml", {
      redis: { url: redis.url },
      training: { concurrency: 2, attempts: 3, backoffMs: 200 },
      targets: TARGETS.map((name, index) => ({
        name,
        source: "synthetic",
        seed: index,
        step: "1s",
        history: "3m",
        horizons: ["5s"],
        seasonality: [],
        models: ["naive"],
        schedule: "*/2 * * * * *",
      })),
    });
    workers = await Promise.all(
      ["worker-a", "worker-b"].map((name) => startWorkerProcess({ configPath, name })),
    );
    const readyMs = Date.now();
    expect((await queue.getJobSchedulers()).map((scheduler) => scheduler.key).sort()).toEqual(TARGETS);

    await new Promise((resolve) => setTimeout(resolve, RUN_MS));
    const stoppedMs = Date.now();
    // Stop the ticks, let what is queued finish, then stop the workers gracefully.
    for (const target of TARGETS) await queue.removeJobScheduler(target);
    await waitFor("the queue to drain", async () => {
      const counts = await queue.getJobCounts("wait", "active", "delayed", "prioritized");
      return Object.values(counts).every((count) => count === 0) ? true : undefined;
    });
    const metricsText = await (await fetch(`http://127.0.0.1:${workers[0]!.metricsPort()}/metrics`)).text();
    for (const worker of workers) worker.signal("SIGTERM");
    expect(await Promise.all(workers.map((worker) => worker.exited))).toEqual([0, 0]);

    const completed = await queue.getJobs(["completed"], 0, -1);
    const failed = await queue.getJobs(["failed"], 0, -1);
    expect(failed.map((job) => `${job.id ?? "?"}: ${job.failedReason}`)).toEqual([]);

    // Every completed job is one scheduler tick of one target: BullMQ's id repeat:<target>:<tick>.
    const ticksByTarget = new Map<string, number[]>(TARGETS.map((target) => [target, []]));
    for (const job of completed) {
      const match = /^repeat:(svc-\d\d):(\d+)$/.exec(job.id ?? "");
      expect(match, `job id ${job.id ?? "?"}`).not.toBeNull();
      const tick = Number(match![2]);
      expect(tick % TICK_MS).toBe(0);
      ticksByTarget.get(match![1]!)!.push(tick);
      expect(job.returnvalue).toMatchObject({ target: match![1], windowEndMs: tick, outcome: "trained" });
    }

    // Exactly once per tick: the registry holds one version per target and tick, none twice.
    const allTicks = new Set<number>();
    for (const target of TARGETS) {
      const ticks = ticksByTarget.get(target)!.sort((a, b) => a - b);
      const windows = (await registry.listVersions(target))
        .map((version) => version.dataRange.endMs)
        .sort((a, b) => a - b);
      expect(windows, target).toEqual(ticks);
      expect(new Set(windows).size, target).toBe(windows.length);
      for (const tick of ticks) allTicks.add(tick);
    }
    // Every target was trained at every tick while both workers ran the schedules (ticks around the
    // start, when the two workers upsert the schedulers concurrently, and the stop may be partial).
    const ticks = [...allTicks].sort((a, b) => a - b);
    const steady = ticks.filter((tick) => tick > readyMs + TICK_MS && tick < stoppedMs - TICK_MS);
    expect(
      steady.length,
      `ticks ${ticks.map((tick) => new Date(tick).toISOString()).join(", ")}`,
    ).toBeGreaterThanOrEqual(2);
    for (const tick of steady) {
      const missing = TARGETS.filter((target) => !ticksByTarget.get(target)!.includes(tick));
      expect(missing, `targets not trained at ${new Date(tick).toISOString()}`).toEqual([]);
    }
    expect(ticks[0]!).toBeGreaterThanOrEqual(readyMs - 2 * TICK_MS);

    // Both workers took part.
    const processedBy = new Set(completed.map((job) => job.processedBy));
    expect(processedBy).toEqual(new Set(["worker-a", "worker-b"]));

    expect(metricsText).toMatch(
      /presage_training_jobs_completed_total\{target="svc-\d\d",reason="(promoted|kept)",worker="worker-a"\} \d+/,
    );
    expect(metricsText).toMatch(/presage_model_current_version\{target="svc-\d\d",worker="worker-a"\} \d+/);
    expect(metricsText).toContain("presage_training_job_duration_seconds_bucket");
  });
});
