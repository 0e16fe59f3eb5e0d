import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { applyTicketDecision } from "../../src/capacity/apply-ticket-decision.js";
import { SinkDeliveryError } from "../../src/capacity/capacity-error.js";
import { emptyCapacityState, type CapacityState } from "../../src/capacity/capacity-state.js";
import { FileCapacityStateStore } from "../../src/capacity/file-capacity-state-store.js";
import { claimDueMessages, TicketOutbox } from "../../src/capacity/ticket-outbox.js";
import type { SinkDelivery, TicketSink } from "../../src/capacity/ticket-sink.js";
import { parseRetryAfter } from "../../src/http/parse-retry-after.js";
import { plannedWithRunway } from "../support/capacity-fixtures.js";

const T0 = Date.UTC(2025, 5, 2, 6);
const delivery = { baseDelayMs: 1000, maxDelayMs: 60_000, perSinkPerMinute: 30, leaseMs: 60_000 };

function withTicket(
  state: CapacityState,
  action: "open" | "update" | "resolve",
  p90: number | undefined,
  nowMs = T0,
) {
  return applyTicketDecision(state, {
    plan: plannedWithRunway(p90),
    decision: { action, reason: "test" },
    sinks: ["hook", "chat"],
    labels: ["capacity"],
    nowMs,
  });
}

/** A sink that records deliveries and fails while `failing` is set. */
class RecordingSink implements TicketSink {
  readonly type = "webhook";
  readonly deliveries: SinkDelivery[] = [];
  failing = false;
  constructor(readonly name: string) {}
  deliver(delivery: SinkDelivery): Promise<{ ref?: string }> {
    if (this.failing) return Promise.reject(new SinkDeliveryError("503 from receiver", 503, true));
    this.deliveries.push(delivery);
    return Promise.resolve({ ref: delivery.ref ?? `${this.name}-ref-${this.deliveries.length}` });
  }
}

describe("applyTicketDecision", () => {
  it("records the daily forecast once per origin day, and queues nothing for `none`", () => {
    let state = emptyCapacityState();
    for (let run = 0; run < 2; run++) {
      state = applyTicketDecision(state, {
        plan: plannedWithRunway(120),
        decision: { action: "none", reason: "fine" },
        sinks: ["hook"],
        labels: [],
        nowMs: T0 + run,
      });
    }
    expect(state.ledger.map((entry) => entry.id)).toEqual(["forecast:cluster-cpu/cpu:2025-06-01"]);
    expect(state.outbox).toHaveLength(0);
    expect(state.tickets).toEqual({});
  });

  it("opens a ticket: a record, one message per sink, a ticket entry in the ledger", () => {
    const state = withTicket(emptyCapacityState(), "open", 40);
    expect(state.tickets["cluster-cpu/cpu"]).toMatchObject({ status: "open", generation: 1 });
    expect(state.tickets["cluster-cpu/cpu"]?.reported.p90Date).toBe("2025-07-11");
    expect(state.outbox.map((m) => [m.sink, m.event])).toEqual([
      ["hook", "open"],
      ["chat", "open"],
    ]);
    expect(state.ledger.map((entry) => entry.kind)).toEqual(["forecast", "ticket"]);
  });

  it("coalesces pending updates and drops them when the ticket resolves", () => {
    let state = withTicket(emptyCapacityState(), "open", 40);
    state = withTicket(state, "update", 20);
    state = withTicket(state, "update", 10);
    const hook = state.outbox.filter((m) => m.sink === "hook");
    expect(hook.map((m) => [m.event, m.revision])).toEqual([
      ["open", 1],
      ["update", 2],
    ]);
    expect(hook[1]?.content.runway.p90Days).toBe(10);
    state = withTicket(state, "resolve", undefined);
    expect(state.outbox.filter((m) => m.sink === "hook").map((m) => m.event)).toEqual(["open", "resolve"]);
    expect(state.tickets["cluster-cpu/cpu"]?.status).toBe("resolved");
  });

  it("a ticket reopened after a resolve is a new generation", () => {
    let state = withTicket(emptyCapacityState(), "open", 40);
    state = withTicket(state, "resolve", undefined);
    state = withTicket(state, "open", 30);
    expect(state.tickets["cluster-cpu/cpu"]?.generation).toBe(2);
    expect(state.outbox.at(-1)).toMatchObject({ event: "open", generation: 2 });
  });
});

describe("claimDueMessages", () => {
  const base = withTicket(withTicket(emptyCapacityState(), "open", 40), "update", 20);
  const request = {
    nowMs: T0,
    leaseMs: 60_000,
    limit: 10,
    allowance: new Map([
      ["hook", 10],
      ["chat", 10],
    ]),
    knownSinks: new Set(["hook", "chat"]),
  };

  it("claims only the oldest message of each ticket and sink (one in flight per ticket)", () => {
    const { result, state } = claimDueMessages(base, request);
    expect(result.map((m) => [m.sink, m.event])).toEqual([
      ["hook", "open"],
      ["chat", "open"],
    ]);
    expect(state.outbox.filter((m) => m.leaseUntilMs !== undefined)).toHaveLength(2);
    // Claimed messages are not claimed again until their lease runs out.
    expect(claimDueMessages(state, request).result).toHaveLength(0);
    expect(claimDueMessages(state, { ...request, nowMs: T0 + 60_001 }).result).toHaveLength(2);
  });

  it("respects backoff, the per-sink allowance, the batch limit and unknown sinks", () => {
    const later = { ...base, outbox: base.outbox.map((m) => ({ ...m, nextAttemptAtMs: T0 + 5000 })) };
    expect(claimDueMessages(later, request).result).toHaveLength(0);
    expect(
      claimDueMessages(base, {
        ...request,
        allowance: new Map([
          ["hook", 0],
          ["chat", 1],
        ]),
      }).result.map((m) => m.sink),
    ).toEqual(["chat"]);
    expect(claimDueMessages(base, { ...request, limit: 1 }).result).toHaveLength(1);
    expect(
      claimDueMessages(base, { ...request, knownSinks: new Set(["chat"]) }).result.map((m) => m.sink),
    ).toEqual(["chat"]);
  });
});

describe("TicketOutbox over a state file", () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "presage-outbox-"));
    path = join(dir, "state.json");
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("delivers in order, records refs, and sends update/resolve with the ref of the open", async () => {
    const store = new FileCapacityStateStore({ path });
    await store.update((state) => ({
      state: withTicket(withTicket(state, "open", 40), "update", 20),
      result: undefined,
    }));
    const hook = new RecordingSink("hook");
    const chat = new RecordingSink("chat");
    const outbox = new TicketOutbox({
      store,
      sinks: new Map([
        ["hook", hook],
        ["chat", chat],
      ]),
      delivery,
      now: () => T0,
    });
    expect(await outbox.deliverDue()).toEqual({ delivered: 4, failed: 0, pending: 0 });
    expect(hook.deliveries.map((d) => [d.content.event, d.ref])).toEqual([
      ["open", undefined],
      ["update", "hook-ref-1"],
    ]);
    expect((await store.read()).tickets["cluster-cpu/cpu"]?.refs).toEqual({
      "hook#1": "hook-ref-1",
      "chat#1": "chat-ref-1",
    });
  });

  it("retries a failing sink with exponential backoff and never drops the message", async () => {
    let nowMs = T0;
    const store = new FileCapacityStateStore({ path });
    await store.update((state) => ({ state: withTicket(state, "open", 40), result: undefined }));
    const hook = new RecordingSink("hook");
    hook.failing = true;
    const outbox = new TicketOutbox({
      store,
      sinks: new Map([["hook", hook]]),
      delivery,
      now: () => nowMs,
      random: () => 0.5,
    });
    expect(await outbox.deliverDue()).toMatchObject({ delivered: 0, failed: 1 });
    const retries: number[] = [];
    for (let attempt = 2; attempt <= 4; attempt++) {
      const message = (await store.read()).outbox.find((m) => m.sink === "hook");
      retries.push(message!.nextAttemptAtMs - nowMs);
      // Not due yet: nothing is attempted.
      expect(await outbox.deliverDue()).toMatchObject({ delivered: 0, failed: 0 });
      nowMs = message!.nextAttemptAtMs;
      expect(await outbox.deliverDue()).toMatchObject({ failed: 1 });
    }
    expect(retries).toEqual([750, 1500, 3000]); // equal jitter at 0.5 of 1 s, 2 s, 4 s
    const stuck = (await store.read()).outbox.find((m) => m.sink === "hook");
    expect(stuck).toMatchObject({ attempts: 4, lastError: "503 from receiver" });
    hook.failing = false;
    nowMs = stuck!.nextAttemptAtMs;
    expect(await outbox.deliverDue()).toMatchObject({ delivered: 1 });
    expect(hook.deliveries).toHaveLength(1);
  });

  it("waits at least a sink's Retry-After (up to an hour), and at the cap after an answer retrying will not fix", async () => {
    let nowMs = T0;
    const store = new FileCapacityStateStore({ path });
    await store.update((state) => ({ state: withTicket(state, "open", 40), result: undefined }));
    let failure = new SinkDeliveryError("429 slow down", 429, true, { retryAfterMs: 30_000 });
    const sink: TicketSink = {
      name: "hook",
      type: "webhook",
      deliver: () => Promise.reject(failure),
    };
    const outbox = new TicketOutbox({
      store,
      sinks: new Map([["hook", sink]]),
      delivery,
      now: () => nowMs,
      random: () => 0.5,
    });
    const nextDelay = async (): Promise<number> => {
      expect(await outbox.deliverDue()).toMatchObject({ failed: 1 });
      const message = (await store.read()).outbox.find((m) => m.sink === "hook")!;
      const delay = message.nextAttemptAtMs - nowMs;
      nowMs = message.nextAttemptAtMs;
      return delay;
    };
    // Backoff alone would wait 750 ms.
    expect(await nextDelay()).toBe(30_000);
    failure = new SinkDeliveryError("503 for a day", 503, true, { retryAfterMs: 86_400_000 });
    expect(await nextDelay()).toBe(3_600_000);
    // 401: bad credentials. Backoff would be 3 s; it waits the 60 s cap, and is still kept.
    failure = new SinkDeliveryError("401 bad credentials", 401, false);
    expect(await nextDelay()).toBe(60_000);
    expect((await store.read()).outbox.filter((m) => m.sink === "hook")).toHaveLength(1);
  });

  it("limits deliveries per sink per minute", async () => {
    let nowMs = T0;
    const store = new FileCapacityStateStore({ path });
    await store.update((state) => {
      let next = state;
      for (const name of ["a", "b", "c"]) {
        next = applyTicketDecision(next, {
          plan: { ...plannedWithRunway(40), fingerprint: `${name}/cpu`, target: name },
          decision: { action: "open", reason: "test" },
          sinks: ["hook"],
          labels: [],
          nowMs,
        });
      }
      return { state: next, result: undefined };
    });
    const hook = new RecordingSink("hook");
    const outbox = new TicketOutbox({
      store,
      sinks: new Map([["hook", hook]]),
      delivery: { ...delivery, perSinkPerMinute: 2 },
      now: () => nowMs,
    });
    expect(await outbox.deliverDue()).toEqual({ delivered: 2, failed: 0, pending: 1 });
    nowMs += 61_000;
    expect(await outbox.deliverDue()).toEqual({ delivered: 1, failed: 0, pending: 0 });
  });
});

describe("FileCapacityStateStore", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "presage-state-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads a missing file as empty state and creates folders on the first write", async () => {
    const store = new FileCapacityStateStore({ path: join(dir, "deep", "state.json") });
    expect(await store.read()).toEqual(emptyCapacityState());
    await store.update((state) => ({ state: { ...state, nextMessage: 7 }, result: undefined }));
    expect(JSON.parse(await readFile(join(dir, "deep", "state.json"), "utf8"))).toMatchObject({
      nextMessage: 7,
    });
  });

  it("serialises concurrent read-modify-write cycles (no lost update)", async () => {
    const store = new FileCapacityStateStore({ path: join(dir, "state.json") });
    const other = new FileCapacityStateStore({ path: join(dir, "state.json") });
    await Promise.all(
      Array.from({ length: 20 }, (_, k) =>
        (k % 2 === 0 ? store : other).update((state) => ({
          state: { ...state, nextMessage: state.nextMessage + 1 },
          result: undefined,
        })),
      ),
    );
    expect((await store.read()).nextMessage).toBe(21);
  });

  it("refuses corrupt state with a coded error naming the file, and does not overwrite it", async () => {
    const path = join(dir, "state.json");
    await writeFile(path, "{ not json");
    const store = new FileCapacityStateStore({ path });
    await expect(store.read()).rejects.toMatchObject({
      code: "PRESAGE_CAPACITY_STATE_CORRUPT",
      message: expect.stringContaining(path) as unknown,
    });
    await expect(store.update((state) => ({ state, result: undefined }))).rejects.toMatchObject({
      code: "PRESAGE_CAPACITY_STATE_CORRUPT",
    });
    expect(await readFile(path, "utf8")).toBe("{ not json");
    await writeFile(path, JSON.stringify({ version: 2 }));
    await expect(store.read()).rejects.toThrow(/is not capacity state/);
  });
});

describe("parseRetryAfter", () => {
  it("reads delta-seconds and HTTP dates, and nothing else", () => {
    expect(parseRetryAfter("120", T0)).toBe(120_000);
    expect(parseRetryAfter(new Date(T0 + 90_000).toUTCString(), T0)).toBe(90_000);
    expect(parseRetryAfter(new Date(T0 - 90_000).toUTCString(), T0)).toBe(0);
    expect(parseRetryAfter("soon", T0)).toBeUndefined();
    expect(parseRetryAfter("-5", T0)).toBeUndefined();
    expect(parseRetryAfter(null, T0)).toBeUndefined();
  });
});
