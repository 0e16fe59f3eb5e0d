import { describe, expect, it } from "vitest";
import { CapacityInProcessRunner } from "../../jobs/capacity-in-process-runner.js";
import { CapacityRunIncomplete, createCapacityProcessor } from "../../jobs/capacity-processor.js";
import { parseCapacityPayload, type CapacityJobResult } from "../../jobs/capacity-queue.js";
import type { CapacityRunReport, CapacityTargetReport } from "../../src/capacity/capacity-planner.js";
import { FakeClock } from "../support/jobs-fake-clock.js";
import { plannedWithRunway, unplanned } from "../support/capacity-fixtures.js";

const T0 = Date.UTC(2025, 5, 2, 5, 0);

function report(targets: CapacityTargetReport[]): CapacityRunReport {
  return { atMs: T0, targets, delivery: { delivered: 1, failed: 0, pending: 0 } };
}

const planned: CapacityTargetReport = {
  target: "cluster-cpu",
  resource: "cpu",
  fingerprint: "cluster-cpu/cpu",
  plan: plannedWithRunway(40, 60),
  decision: { action: "open", reason: "under the threshold" },
  ticket: undefined,
  retryable: false,
};

describe("capacity job payload and processor", () => {
  it("accepts scheduler templates (no data) and target lists; rejects the rest with every problem", () => {
    expect(parseCapacityPayload(undefined)).toEqual({});
    expect(parseCapacityPayload({ targets: ["a"] })).toEqual({ targets: ["a"] });
    expect(() => parseCapacityPayload({ targets: [""], extra: 1 })).toThrow(
      /invalid capacity payload: .*targets\.0 must name a capacity target.*Unrecognized key/,
    );
  });

  it("summarises a run as the job result", async () => {
    const processor = createCapacityProcessor({
      planner: { runOnce: () => Promise.resolve(report([planned])) },
    });
    expect(await processor({})).toEqual({
      atMs: T0,
      targets: [
        {
          fingerprint: "cluster-cpu/cpu",
          status: "planned",
          p50Days: 60,
          p90Days: 40,
          action: "open",
          reason: "under the threshold",
        },
      ],
      delivered: 1,
      pendingDeliveries: 0,
    } satisfies CapacityJobResult);
  });

  it("fails retryably when a target's source was unavailable, after planning the others", async () => {
    const down: CapacityTargetReport = {
      ...planned,
      plan: unplanned(),
      decision: { action: "none", reason: "no data" },
      retryable: true,
    };
    const processor = createCapacityProcessor({
      planner: { runOnce: () => Promise.resolve(report([planned, down])) },
    });
    await expect(processor({})).rejects.toBeInstanceOf(CapacityRunIncomplete);
  });
});

describe("CapacityInProcessRunner", () => {
  it("runs on the cron schedule, retries a failed run with backoff, and delivers between runs", async () => {
    const clock = new FakeClock(T0);
    const calls: number[] = [];
    let failNext = 1;
    const deliveries: number[] = [];
    const runner = new CapacityInProcessRunner({
      schedule: "0 6 * * *",
      clock,
      attempts: 3,
      backoffMs: 60_000,
      deliveryIntervalMs: 30_000,
      processor: () => {
        calls.push(clock.now());
        if (failNext-- > 0) return Promise.reject(new Error("prometheus down"));
        return Promise.resolve({ atMs: clock.now(), targets: [], delivered: 0, pendingDeliveries: 0 });
      },
      deliver: () => {
        deliveries.push(clock.now());
        return Promise.resolve();
      },
    });
    runner.start();
    await clock.advance(60 * 60_000); // to 06:00
    expect(calls).toEqual([T0 + 3_600_000]);
    await clock.advance(60_000); // the retry after 60 s
    expect(calls).toEqual([T0 + 3_600_000, T0 + 3_660_000]);
    expect(deliveries.length).toBeGreaterThanOrEqual(120);
    await clock.advance(24 * 3_600_000); // the next day's tick
    expect(calls.at(-1)).toBe(T0 + 3_600_000 + 24 * 3_600_000);
    await runner.stop();
    await clock.advance(48 * 3_600_000);
    expect(calls).toHaveLength(3);
  });

  it("stops promptly while waiting to retry", async () => {
    const clock = new FakeClock(T0);
    const runner = new CapacityInProcessRunner({
      schedule: "0 6 * * *",
      clock,
      attempts: 5,
      backoffMs: 3_600_000,
      processor: () => Promise.reject(new Error("down")),
      deliver: () => Promise.resolve(),
    });
    const run = runner.runNow();
    await clock.advance(1);
    await runner.stop();
    await run;
    expect(clock.pending).toEqual([]);
  });
});
