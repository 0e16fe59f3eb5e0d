import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiBackendError } from "../../src/api/api-backend-error.js";
import type { CapacityStatusView } from "../../src/api/capacity-status-view.js";
import { EmbeddedCapacity } from "../../src/api/embedded/embedded-capacity.js";
import {
  SyntheticCapacityQuery,
  SyntheticCapacitySource,
} from "../../src/api/embedded/synthetic-capacity-source.js";

const DAY_MS = 86_400_000;
const NOW_MS = Date.UTC(2026, 10, 30, 9, 30);

describe("embedded capacity planning (synthetic usage, the real planner, a file state store)", () => {
  let dir = "";
  let now = NOW_MS;
  let realNow = 0;
  const lines: string[] = [];
  let capacity: EmbeddedCapacity;
  let first: CapacityStatusView | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "presage-embedded-capacity-"));
    capacity = new EmbeddedCapacity({
      seed: 42,
      nowMs: () => now,
      directory: dir,
      log: (line) => lines.push(line),
      realNowMs: () => realNow,
    });
    first = await capacity.start();
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("plans CPU and memory on about a year and a half of daily history, with the forecast's 80% band", () => {
    expect(first).toBeDefined();
    const view = first!;
    expect(view.plannedAtMs).toBe(NOW_MS);
    expect(view.targets.map((target) => [target.fingerprint, target.status, target.unit])).toEqual([
      ["cluster.cpu/cpu", "planned", "cores"],
      ["cluster.memory/memory", "planned", "GiB"],
    ]);
    for (const target of view.targets) {
      expect(target.lastObservedDay).toBe("2026-11-29");
      expect(target.usage.values.length).toBeGreaterThanOrEqual(540);
      expect(target.usage.values.length).toBeLessThanOrEqual(546);
      // The simulated metrics outage left two days without samples: gaps, not invented values.
      expect(target.usage.values.filter((value) => value === null)).toHaveLength(2);
      const forecast = target.forecast!;
      expect(forecast.timesMs).toHaveLength(180);
      expect(forecast.timesMs[0]).toBe(Date.UTC(2026, 10, 30));
      forecast.p50.forEach((p50, index) => {
        expect(forecast.lower80[index]!).toBeLessThanOrEqual(p50);
        expect(forecast.upper80[index]!).toBeGreaterThanOrEqual(p50);
      });
      expect(target.capacitySource).toBe("latest");
      expect(target.limit).toBeCloseTo(target.capacity! * 0.8, 9);
      expect(target.backtest!.folds.length).toBeGreaterThan(0);
      expect(target.backtest!.mape).toBeGreaterThanOrEqual(0);
      expect(target.sinks).toEqual([]);
    }
  });

  it("finds CPU running out within months (a ticket opens, recorded only) and memory not within the horizon", () => {
    const [cpu, memory] = first!.targets;
    expect(cpu!.capacity).toBe(640);
    expect(cpu!.runway!.p90.days).toBeGreaterThan(0);
    expect(cpu!.runway!.p90.days).toBeLessThan(90);
    expect(cpu!.runway!.p50.days ?? Infinity).toBeGreaterThanOrEqual(cpu!.runway!.p90.days!);
    expect(cpu!.ticket).toMatchObject({ status: "open", pendingDeliveries: 0 });
    expect(memory!.runway!.p90.date).toBeNull();
    expect(memory!.ticket).toBeNull();
    expect(first!.pendingDeliveries).toBe(0);
    expect(first!.notes.join(" ")).toMatch(/not sent: embedded mode has no ticket sinks/);
    expect(lines.some((line) => /cluster\.cpu\/cpu: ticket open .*recorded, not sent/.test(line))).toBe(true);
    expect(capacity.summary()[0]).toMatch(
      /^cluster\.cpu\/cpu: runway p50 .* p90 \d{4}-\d{2}-\d{2} \(\d+ d\); ticket open$/,
    );
  });

  it("scores the predictions of the seeding runs whose days have passed in the accuracy ledger", () => {
    const ledger = first!.targets[0]!.ledger!;
    const at90 = ledger.horizons.find((horizon) => horizon.horizonDays === 90)!;
    const at180 = ledger.horizons.find((horizon) => horizon.horizonDays === 180)!;
    expect(at90.scored).toBe(2);
    expect(at180.scored).toBe(1);
    expect(at90.mape).toBeGreaterThanOrEqual(0);
    expect(at90.pending).toBe(1);
  });

  it("keeps tickets, outbox and ledger in its state file", async () => {
    expect(capacity.stateFile).toBe(join(dir, "capacity-state.json"));
    const state = JSON.parse(await readFile(capacity.stateFile, "utf8")) as {
      tickets: Record<string, { status: string }>;
      outbox: unknown[];
      ledger: unknown[];
    };
    expect(state.tickets["cluster.cpu/cpu"]?.status).toBe("open");
    expect(state.outbox).toEqual([]);
    expect(state.ledger.length).toBeGreaterThanOrEqual(6);
    expect(capacity.check()).toMatchObject({ name: "capacity planner", ok: true });
  });

  it("answers from the last plan within a simulated day and re-plans on the next one", async () => {
    now = NOW_MS + 10 * 3_600_000;
    expect(await capacity.status()).toBe(first);
    now = NOW_MS + DAY_MS;
    const [next, again] = await Promise.all([capacity.status(), capacity.status()]);
    expect(again).toBe(next);
    expect(next).not.toBe(first);
    expect(next.plannedAtMs).toBe(NOW_MS + DAY_MS);
    expect(next.targets[0]!.lastObservedDay).toBe("2026-11-30");
    expect(next.targets[0]!.usage.timesMs.at(-1)).toBe(Date.UTC(2026, 10, 30));
    expect(next.targets[0]!.ticket?.generation).toBe(1);
  });

  it("serves the last plan when a re-plan fails, and says why in its readiness check", async () => {
    const stateFile = capacity.stateFile;
    const saved = await readFile(stateFile, "utf8");
    const last = await capacity.status();
    await rm(stateFile);
    await mkdir(stateFile); // the store can no longer read or replace it
    try {
      now = NOW_MS + 2 * DAY_MS;
      expect(await capacity.status()).toBe(last);
      const check = capacity.check();
      expect(check.ok).toBe(true);
      expect(check.detail).toMatch(/capacity planning failed/);
      expect(lines.at(-1)).toMatch(/capacity planning failed/);
      // Not retried on every request: the next attempt waits out the retry delay.
      const failures = lines.filter((line) => line.includes("capacity planning failed")).length;
      expect(await capacity.status()).toBe(last);
      expect(lines.filter((line) => line.includes("capacity planning failed"))).toHaveLength(failures);
    } finally {
      await rm(stateFile, { recursive: true });
      await writeFile(stateFile, saved);
    }
    realNow += 30_000;
    const recovered = await capacity.status();
    expect(recovered.plannedAtMs).toBe(NOW_MS + 2 * DAY_MS);
    expect(capacity.check().detail).not.toMatch(/failed/);
  });

  it("generates the same history from the same seed whatever the range asked, and another from another seed", async () => {
    const source = new SyntheticCapacitySource({ seed: 42, anchorMs: NOW_MS });
    const request = { query: SyntheticCapacityQuery.cpuRequests, stepSeconds: 3600 };
    const wide = await source.fetchRange({ ...request, startMs: NOW_MS - 10 * DAY_MS, endMs: NOW_MS });
    const narrow = await source.fetchRange({
      ...request,
      startMs: NOW_MS - 3 * DAY_MS,
      endMs: NOW_MS - DAY_MS,
    });
    const offset = (narrow.startMs! - wide.startMs!) / 3_600_000;
    expect(narrow.values).toEqual(wide.values.slice(offset, offset + narrow.values.length));
    const other = await new SyntheticCapacitySource({ seed: 7, anchorMs: NOW_MS }).fetchRange({
      ...request,
      startMs: NOW_MS - 3 * DAY_MS,
      endMs: NOW_MS - DAY_MS,
    });
    expect(other.values).not.toEqual(narrow.values);
    await expect(
      source.fetchRange({ ...request, query: "up", startMs: NOW_MS - DAY_MS, endMs: NOW_MS }),
    ).rejects.toThrow(/no synthetic capacity series "up"/);
  });

  it("reports a state store it cannot write instead of crashing, and answers 503 until a plan works", async () => {
    const blocker = join(dir, "not-a-directory");
    await writeFile(blocker, "x");
    const failed: string[] = [];
    const broken = new EmbeddedCapacity({
      seed: 42,
      nowMs: () => NOW_MS,
      directory: blocker,
      log: (line) => failed.push(line),
      pastRunsDaysAgo: [],
    });
    expect(await broken.start()).toBeUndefined();
    expect(broken.check()).toMatchObject({ ok: false });
    expect(failed.join("\n")).toMatch(/capacity planning failed/);
    await expect(broken.status()).rejects.toBeInstanceOf(ApiBackendError);
    expect(existsSync(join(blocker, "capacity-state.json"))).toBe(false);
  });
});
