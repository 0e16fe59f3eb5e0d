import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  decideAdmission,
  releaseIncident,
  type AdmissionDecision,
} from "../../src/remediation/planning/decide-admission.js";
import { DEFAULT_GUARD_LIMITS } from "../../src/remediation/planning/guard-limits.js";
import { FileRemediationStore } from "../../src/remediation/storage/file-remediation-store.js";
import { RedisRemediationStore } from "../../src/remediation/storage/redis-remediation-store.js";
import type { RemediationStore } from "../../src/remediation/storage/remediation-store.js";
import { startRedis, type RealRedis } from "../support/real-redis.js";

let redis: RealRedis;
let directory: string | undefined;
const opened: RemediationStore[] = [];
let prefixSeq = 0;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
  if (directory !== undefined) await rm(directory, { recursive: true, force: true });
  directory = undefined;
});

const LIMITS = {
  ...DEFAULT_GUARD_LIMITS,
  maxActionsPerHour: 7,
  maxActionsPerHourPerRunbook: 100,
  maxConcurrent: 1000,
  cooldownMs: 0,
};

/** Two handles on one store (two replicas): two Redis clients, or two file stores on one directory. */
const kinds: Record<string, () => Promise<[RemediationStore, RemediationStore]>> = {
  redis: () => {
    const keyPrefix = `t${++prefixSeq}:`;
    const pair: [RemediationStore, RemediationStore] = [
      new RedisRemediationStore({ url: redis.url, keyPrefix }),
      new RedisRemediationStore({ url: redis.url, keyPrefix }),
    ];
    opened.push(...pair);
    return Promise.resolve(pair);
  },
  file: async () => {
    directory = await mkdtemp(join(tmpdir(), "presage-remediation-store-"));
    const pair: [RemediationStore, RemediationStore] = [
      await FileRemediationStore.open({ directory }),
      await FileRemediationStore.open({ directory }),
    ];
    opened.push(...pair);
    return pair;
  },
};

describe.each(Object.keys(kinds))("remediation store (%s)", (kind) => {
  const open = kinds[kind]!;

  it("claims a delivery once across replicas, even when claimed concurrently", async () => {
    const [a, b] = await open();
    const claims = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        (index % 2 === 0 ? a : b).claimDelivery("fp:1:firing", 60_000),
      ),
    );
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await a.claimDelivery("fp:1:resolved", 60_000)).toBe(true);
  });

  it("forgets a claim after its TTL", async () => {
    const [a] = await open();
    expect(await a.claimDelivery("k", 50)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(await a.claimDelivery("k", 50)).toBe(true);
  });

  it("applies guard updates atomically: two replicas admitting concurrently never exceed the hourly cap", async () => {
    const [a, b] = await open();
    const admit = (store: RemediationStore, index: number): Promise<AdmissionDecision> =>
      store.updateGuards((state) => {
        const decision = decideAdmission(state, {
          incidentId: `i${index}`,
          runbook: "rb",
          target: `deployment/shop/w${index}`,
          nowMs: Date.now(),
          limits: LIMITS,
        });
        return { state: decision.state, result: decision };
      });
    const decisions = await Promise.all(
      Array.from({ length: 60 }, (_, index) => admit(index % 2 === 0 ? a : b, index)),
    );
    expect(decisions.filter((decision) => decision.admitted)).toHaveLength(LIMITS.maxActionsPerHour);
    const state = await b.readGuards();
    expect(state.actions).toHaveLength(LIMITS.maxActionsPerHour);
    await a.updateGuards((current) => ({ state: releaseIncident(current, "i0"), result: undefined }));
    expect(Object.keys((await b.readGuards()).inflight)).not.toContain("i0");
  });

  it("appends incident events in order and lists incidents newest first", async () => {
    const [a] = await open();
    const now = Date.now();
    await a.appendEvent("one", { type: "unmatched", detail: "x", atMs: now });
    await a.appendEvent("two", { type: "unmatched", detail: "y", atMs: now + 1 });
    await a.appendEvent("one", { type: "resolved", endsAtMs: now + 2, atMs: now + 2 });
    expect((await a.events("one")).map((event) => event.type)).toEqual(["unmatched", "resolved"]);
    expect(await a.events("nope")).toEqual([]);
    expect(await a.listIncidentIds(10)).toEqual(["two", "one"]);
  });

  it("keeps outbox entries until delivered, leases claims, and keeps dead letters", async () => {
    const [a, b] = await open();
    const entry = { id: "n1", sink: "slack", body: { text: "hi" }, attempts: 0, createdAtMs: Date.now() };
    await a.enqueueNotification(entry);
    const now = Date.now() + 10;
    const claimed = await a.claimDueNotifications(now, 60_000, 10);
    expect(claimed.map((claimedEntry) => claimedEntry.id)).toEqual(["n1"]);
    expect(await b.claimDueNotifications(now, 60_000, 10)).toEqual([]);
    // A crashed claimer's lease runs out: the entry is due again.
    expect((await b.claimDueNotifications(now + 60_001, 60_000, 10)).map((due) => due.id)).toEqual(["n1"]);
    await b.rescheduleNotification({ ...entry, attempts: 1, lastError: "HTTP 500" }, now + 5);
    expect((await a.claimDueNotifications(now + 5, 1000, 10))[0]).toMatchObject({
      attempts: 1,
      lastError: "HTTP 500",
    });
    await a.buryNotification({ ...entry, attempts: 8 });
    expect(await a.pendingNotifications()).toBe(0);
    expect((await b.deadNotifications()).map((dead) => dead.attempts)).toEqual([8]);
    await a.enqueueNotification({ ...entry, id: "n2" });
    await a.completeNotification("n2");
    expect(await a.pendingNotifications()).toBe(0);
  });
});

describe("file remediation store", () => {
  it("reads its ledger back after a restart, skipping a torn last line", async () => {
    directory = await mkdtemp(join(tmpdir(), "presage-remediation-store-"));
    const first = await FileRemediationStore.open({ directory });
    await first.appendEvent("one", { type: "unmatched", detail: "x", atMs: 1 });
    await first.close();
    const { appendFile } = await import("node:fs/promises");
    await appendFile(join(directory, "ledger.jsonl"), '{"incidentId":"two","ev');
    const second = await FileRemediationStore.open({ directory });
    opened.push(second);
    expect((await second.events("one")).map((event) => event.type)).toEqual(["unmatched"]);
    expect(await second.listIncidentIds(10)).toEqual(["one"]);
  });
});
