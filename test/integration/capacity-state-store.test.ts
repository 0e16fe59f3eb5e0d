import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCapacityProcessor } from "../../jobs/capacity-processor.js";
import {
  CAPACITY_SCHEDULER_ID,
  createCapacityQueue,
  enqueueCapacityRun,
  syncCapacitySchedule,
} from "../../jobs/capacity-queue.js";
import { CapacityWorker } from "../../jobs/capacity-worker.js";
import { applyTicketDecision } from "../../src/capacity/apply-ticket-decision.js";
import type { CapacityRunReport } from "../../src/capacity/capacity-planner.js";
import { RedisCapacityStateStore } from "../../src/capacity/redis-capacity-state-store.js";
import { TicketOutbox } from "../../src/capacity/ticket-outbox.js";
import type { SinkDelivery, TicketSink } from "../../src/capacity/ticket-sink.js";
import { plannedWithRunway } from "../support/capacity-fixtures.js";
import { freePort } from "../support/free-port.js";
import { startRedis, type RealRedis } from "../support/real-redis.js";

let redis: RealRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});

let prefixes = 0;
const uniquePrefix = (): string => `test${++prefixes}:`;

describe("RedisCapacityStateStore", () => {
  it("loses no update when replicas write concurrently (WATCH/MULTI retries)", async () => {
    const keyPrefix = uniquePrefix();
    const stores = [0, 1, 2].map(() => new RedisCapacityStateStore({ url: redis.url, keyPrefix }));
    try {
      await Promise.all(
        Array.from({ length: 30 }, (_, k) =>
          stores[k % 3]!.update((state) => ({
            state: { ...state, nextMessage: state.nextMessage + 1 },
            result: k,
          })),
        ),
      );
      expect((await stores[0]!.read()).nextMessage).toBe(31);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });

  it("refuses a corrupt value, and reports an unreachable Redis as unavailable", async () => {
    const keyPrefix = uniquePrefix();
    const client = new Redis(redis.url);
    await client.set(`${keyPrefix}capacity:state`, "garbage");
    client.disconnect();
    const store = new RedisCapacityStateStore({ url: redis.url, keyPrefix });
    await expect(store.read()).rejects.toMatchObject({ code: "PRESAGE_CAPACITY_STATE_CORRUPT" });
    await store.close();
    const down = new RedisCapacityStateStore({
      url: `redis://127.0.0.1:${await freePort()}`,
      connectTimeoutMs: 500,
    });
    await expect(down.read()).rejects.toMatchObject({ code: "PRESAGE_CAPACITY_STATE_UNAVAILABLE" });
    await down.close();
  });

  it("two dispatchers on one Redis deliver each message exactly once", async () => {
    const keyPrefix = uniquePrefix();
    const stores = [0, 1].map(() => new RedisCapacityStateStore({ url: redis.url, keyPrefix }));
    const delivered: SinkDelivery[] = [];
    const sink: TicketSink = {
      name: "hook",
      type: "webhook",
      deliver: async (delivery) => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        delivered.push(delivery);
        return { ref: "r" };
      },
    };
    try {
      await stores[0]!.update((state) => {
        let next = state;
        for (const name of ["a", "b", "c", "d"]) {
          next = applyTicketDecision(next, {
            plan: { ...plannedWithRunway(30), target: name, fingerprint: `${name}/cpu` },
            decision: { action: "open", reason: "test" },
            sinks: ["hook"],
            labels: [],
            nowMs: 1000,
          });
        }
        return { state: next, result: undefined };
      });
      const delivery = { baseDelayMs: 100, maxDelayMs: 1000, perSinkPerMinute: 100, leaseMs: 60_000 };
      const outboxes = stores.map(
        (store) => new TicketOutbox({ store, sinks: new Map([["hook", sink]]), delivery, claimBatch: 1 }),
      );
      const rounds = await Promise.all(outboxes.map((outbox) => outbox.deliverDue()));
      expect(rounds.reduce((sum, round) => sum + round.delivered, 0)).toBe(4);
      expect(delivered.map((d) => d.content.fingerprint).sort()).toEqual([
        "a/cpu",
        "b/cpu",
        "c/cpu",
        "d/cpu",
      ]);
      expect((await stores[1]!.read()).outbox).toEqual([]);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });
});

describe("capacity BullMQ wiring", () => {
  it("keeps one daily scheduler and runs enqueued capacity jobs through the processor", async () => {
    const prefix = uniquePrefix().replace(/:$/, "");
    const connection = { url: redis.url, prefix };
    const settings = { attempts: 2, backoffMs: 100 };
    const queue = createCapacityQueue(connection, settings);
    const runs: (readonly string[] | undefined)[] = [];
    const report: CapacityRunReport = {
      atMs: 5,
      targets: [],
      delivery: { delivered: 0, failed: 0, pending: 0 },
    };
    const worker = new CapacityWorker({
      connection,
      processor: createCapacityProcessor({
        planner: {
          runOnce: (options) => {
            runs.push(options?.targets);
            return Promise.resolve(report);
          },
        },
      }),
    });
    try {
      expect(await syncCapacitySchedule(queue, "0 6 * * *", settings)).toBe("upserted");
      expect(await syncCapacitySchedule(queue, "0 6 * * *", settings)).toBe("unchanged");
      expect((await queue.getJobScheduler(CAPACITY_SCHEDULER_ID))?.pattern).toBe("0 6 * * *");
      await worker.start();
      const job = await enqueueCapacityRun(queue, { targets: ["cluster-cpu"] });
      const deadline = Date.now() + 30_000;
      while (!(await job.isCompleted()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(runs).toEqual([["cluster-cpu"]]);
      const bad = await queue.add("capacity", { targets: [] });
      while (!(await bad.isFailed()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const failed = await queue.getJob(bad.id!);
      expect(failed?.failedReason).toMatch(/PRESAGE_JOB_INVALID_PAYLOAD/);
      expect(failed?.attemptsMade).toBe(1);
    } finally {
      await worker.close(1000);
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });

  it("retries a run whose source was unavailable, with the queue's backoff", async () => {
    const prefix = uniquePrefix().replace(/:$/, "");
    const connection = { url: redis.url, prefix };
    const queue = createCapacityQueue(connection, { attempts: 3, backoffMs: 50 });
    let calls = 0;
    const down = {
      target: "cpu",
      resource: "cpu",
      fingerprint: "cpu/cpu",
      plan: {
        status: "unplanned",
        target: "cpu",
        resource: "cpu",
        fingerprint: "cpu/cpu",
        code: "X",
        reason: "down",
      },
      decision: { action: "none", reason: "no usable forecast" },
      ticket: undefined,
      retryable: true,
    } as const;
    const worker = new CapacityWorker({
      connection,
      processor: createCapacityProcessor({
        planner: {
          runOnce: () => {
            calls += 1;
            return Promise.resolve({
              atMs: 1,
              targets: calls === 1 ? [down] : [],
              delivery: { delivered: 0, failed: 0, pending: 0 },
            });
          },
        },
      }),
    });
    try {
      await worker.start();
      const job = await enqueueCapacityRun(queue);
      const deadline = Date.now() + 30_000;
      while (!(await job.isCompleted()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(calls).toBe(2);
      expect((await queue.getJob(job.id!))?.attemptsMade).toBe(2); // the failed try and the one that completed
    } finally {
      await worker.close(1000);
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });
});
