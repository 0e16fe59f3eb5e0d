import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { NotificationOutbox } from "../../src/remediation/notifications/notification-outbox.js";
import type { RemediationNotification } from "../../src/remediation/notifications/remediation-notification.js";
import { foldIncident } from "../../src/remediation/ledger/incident.js";
import { FileRemediationStore } from "../../src/remediation/storage/file-remediation-store.js";
import type { RemediationStore } from "../../src/remediation/storage/remediation-store.js";
import { RemediationHarness } from "../support/remediation-harness.js";
import {
  restartRunbookYaml,
  receivedAlert,
  runbooksFromYaml,
  webhookPayload,
} from "../support/remediation-fixtures.js";
import { startCapturingReceiver, type CapturingReceiver } from "../support/remediation-receiver.js";

let receiver: CapturingReceiver;
let directory: string;
let harness: RemediationHarness | undefined;

beforeEach(async () => {
  receiver = await startCapturingReceiver();
  directory = await mkdtemp(join(tmpdir(), "presage-outbox-"));
});
afterEach(async () => {
  await harness?.close();
  harness = undefined;
  await receiver.close();
  await rm(directory, { recursive: true, force: true });
});

function notification(): RemediationNotification {
  const incident = foldIncident("i1", [
    {
      type: "received",
      alert: receivedAlert({ alertname: "HighErrorRate", deployment: "api-server" }),
      atMs: 1,
    },
  ])!;
  return {
    kind: "escalated",
    summary: "Needs a human: HighErrorRate on api-server",
    reason: "did not fix it",
    incident,
  };
}

/** `store`, except that every enqueue after the first `queued` fails (a disk full, a Redis gone READONLY). */
function queueFailingAfter(store: RemediationStore, queued: number): RemediationStore {
  let calls = 0;
  return new Proxy(store, {
    get(target, property) {
      if (property === "enqueueNotification") {
        return async (...args: Parameters<RemediationStore["enqueueNotification"]>) => {
          calls += 1;
          if (calls > queued) throw new Error("EIO: i/o error, write");
          await target.enqueueNotification(...args);
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

const TWO_SINKS = (url: string) =>
  [
    { name: "slack", format: "slack", url: `${url}/slack` },
    { name: "pager", format: "webhook", url: `${url}/pager` },
  ] as const;

describe("notifications through the persisted outbox", () => {
  it("delivers to Slack (incoming-webhook format) and a JSON webhook, retrying a failed delivery", async () => {
    const store = await FileRemediationStore.open({ directory });
    const outbox = new NotificationOutbox({
      store,
      sinks: [
        { name: "slack", format: "slack", url: `${receiver.url}/slack` },
        {
          name: "pager",
          format: "webhook",
          url: `${receiver.url}/pager`,
          kinds: ["escalated", "breaker-opened"],
        },
      ],
      baseDelayMs: 1,
    });
    receiver.failNext(1);
    await outbox.notify(notification());
    await outbox.notify({ ...notification(), kind: "healed", summary: "Auto-remediated" });
    expect(await store.pendingNotifications()).toBe(3);
    for (let round = 0; round < 20 && (await store.pendingNotifications()) > 0; round++) {
      await outbox.dispatch();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(await store.pendingNotifications()).toBe(0);
    expect(receiver.bodies).toHaveLength(3);
    const slack = receiver.bodies.filter(
      (body) => typeof body === "object" && body !== null && "blocks" in body,
    );
    expect(slack).toHaveLength(2);
    const pager = receiver.bodies.find(
      (body) => typeof body === "object" && body !== null && "kind" in body,
    ) as Record<string, unknown>;
    expect(pager).toMatchObject({
      kind: "escalated",
      reason: "did not fix it",
      alert: { labels: { alertname: "HighErrorRate" } },
    });
    await store.close();
  });

  it("pages directly only the sinks the store could not queue for, so none gets it twice", async () => {
    const store = await FileRemediationStore.open({ directory });
    const lines: string[] = [];
    const outbox = new NotificationOutbox({
      store: queueFailingAfter(store, 1),
      sinks: TWO_SINKS(receiver.url),
      baseDelayMs: 1,
      log: (line) => lines.push(line),
    });
    await expect(outbox.notify(notification(), "incident i1's escalation")).resolves.toBeUndefined();
    await outbox.settled();
    // The pager (webhook format) was paged directly; Slack's copy waits in the outbox.
    expect(receiver.bodies).toHaveLength(1);
    expect(receiver.bodies[0]).toMatchObject({ kind: "escalated", summary: notification().summary });
    expect(await store.pendingNotifications()).toBe(1);
    expect(await outbox.dispatch()).toBe(1);
    expect(receiver.bodies).toHaveLength(2);
    expect((receiver.bodies[1] as { blocks?: unknown }).blocks).toBeDefined();
    expect(lines).toEqual([
      "could not queue incident i1's escalation for pager: EIO: i/o error, write; paging directly, bypassing the store",
    ]);
    await store.close();
  });

  it("pages in the background: notify returns while a failing sink is still being retried", async () => {
    const store = await FileRemediationStore.open({ directory });
    const failed: string[] = [];
    let release: () => void = () => undefined;
    let retrying = 0;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const outbox = new NotificationOutbox({
      store: queueFailingAfter(store, 0),
      sinks: TWO_SINKS(receiver.url).slice(1),
      directAttempts: 3,
      sleep: () => {
        retrying += 1;
        return held;
      },
      onDirectPageFailed: (sink) => failed.push(sink),
    });
    receiver.failNext(1, 503);
    await outbox.notify(notification());
    // The page runs on after notify returned: its first attempt fails (503), its retry waits on `held`.
    for (let wait = 0; wait < 500 && retrying === 0; wait++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(retrying).toBe(1);
    expect(receiver.bodies).toHaveLength(0);
    let settled = false;
    const settling = outbox.settled().then(() => {
      settled = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(settled).toBe(false);
    release();
    await settling;
    expect(receiver.bodies).toHaveLength(1);
    expect(failed).toEqual([]);
    await store.close();
  });

  it("counts and logs a direct page no sink took, and one no sink received", async () => {
    const store = await FileRemediationStore.open({ directory });
    const failed: string[] = [];
    const lines: string[] = [];
    const outbox = new NotificationOutbox({
      store,
      sinks: [{ name: "pager", format: "webhook", url: `${receiver.url}/pager`, kinds: ["escalated"] }],
      baseDelayMs: 1,
      directAttempts: 2,
      onDirectPageFailed: (sink) => failed.push(sink),
      log: (line) => lines.push(line),
    });
    outbox.page("breaker-opened", () => ({}), "incident i2's breaker");
    receiver.failNext(2, 502);
    outbox.page("escalated", () => ({ kind: "escalated" }), "incident i3's unrecorded failure");
    await outbox.stop();
    expect(failed).toEqual(["(none)", "pager"]);
    expect(lines).toEqual([
      "PAGE FAILED: no notification sink takes breaker-opened notifications, so nobody was told about incident i2's breaker",
      "PAGE FAILED: the direct page about incident i3's unrecorded failure reached 0 of 1 sinks (pager: HTTP 502 (2 attempts))",
    ]);
    expect(receiver.bodies).toHaveLength(0);
    await store.close();
  });

  it("keeps a notification it could never deliver as a dead letter, counted — never dropped silently", async () => {
    const store = await FileRemediationStore.open({ directory });
    const dead: string[] = [];
    const lines: string[] = [];
    const outbox = new NotificationOutbox({
      store,
      sinks: [{ name: "slack", format: "slack", url: `${receiver.url}/slack` }],
      maxAttempts: 3,
      baseDelayMs: 1,
      onDead: (entry) => dead.push(entry.sink),
      log: (line) => lines.push(line),
    });
    receiver.failNext(100, 503);
    await outbox.notify(notification());
    for (let round = 0; round < 50 && dead.length === 0; round++) {
      await outbox.dispatch();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(dead).toEqual(["slack"]);
    expect(await store.pendingNotifications()).toBe(0);
    const letters = await store.deadNotifications();
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ attempts: 3, lastError: "HTTP 503" });
    expect(lines.some((line) => line.includes("given up after 3 attempts"))).toBe(true);
    await store.close();
  });

  it("pages with everything seen and done when a remediation fails, and posts success to Slack", async () => {
    harness = await RemediationHarness.start({
      runbooks: runbooksFromYaml({
        "r.yaml": restartRunbookYaml({ verify: "verify: { rollout: true, timeout: 300ms, interval: 50ms }" }),
      }),
      deployments: { rolloutReady: (deployment) => deployment.metadata?.name !== "broken" },
      notifications: (store) =>
        new NotificationOutbox({
          store,
          sinks: [
            { name: "slack", format: "slack", url: `${receiver.url}/slack`, kinds: ["healed"] },
            { name: "pager", format: "webhook", url: `${receiver.url}/pager`, kinds: ["escalated"] },
          ],
        }),
      engine: { ledgerUrl: (id) => `https://presage.example/api/v1/remediation/incidents/${id}` },
    });
    harness.seedDeployments(["api-server", "broken"]);
    const replica = await harness.addReplica();
    await harness.deliver(
      replica,
      webhookPayload([
        {
          labels: { alertname: "HighErrorRate", namespace: "shop", deployment: "api-server" },
          fingerprint: "f1",
        },
      ]),
    );
    await harness.deliver(
      replica,
      webhookPayload([
        {
          labels: { alertname: "HighErrorRate", namespace: "shop", deployment: "broken" },
          fingerprint: "f2",
        },
      ]),
    );
    await harness.idle();
    const outbox = new NotificationOutbox({
      store: replica.store,
      sinks: [
        { name: "slack", format: "slack", url: `${receiver.url}/slack` },
        { name: "pager", format: "webhook", url: `${receiver.url}/pager` },
      ],
    });
    await outbox.dispatch();
    expect(receiver.bodies).toHaveLength(2);
    const slack = receiver.bodies.find((body) => (body as { text?: string }).text !== undefined) as {
      text: string;
    };
    expect(slack.text).toMatch(/Auto-remediated HighErrorRate on api-server \(\d+(ms|s|m\d+s|h\d+m)\)/);
    const page = receiver.bodies.find((body) => (body as { kind?: string }).kind === "escalated") as Record<
      string,
      unknown
    >;
    expect(page.summary).toBe("Needs a human: HighErrorRate on broken");
    expect(page.actions).toEqual([
      expect.stringMatching(/step 1 rollout restart deployment\/broken -n shop/),
    ]);
    expect(page.verification).toEqual([
      expect.stringMatching(
        /verification-failed: not verified within 0.3s: rollout shop\/broken: 0 of 4 replicas updated/,
      ),
    ]);
    expect(page.ledgerUrl).toMatch(/^https:\/\/presage.example\/api\/v1\/remediation\/incidents\/f2-/);
  });
});
