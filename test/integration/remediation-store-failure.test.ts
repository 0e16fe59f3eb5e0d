import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ActionRunner } from "../../src/remediation/execution/action-runner.js";
import { RemediationEngine } from "../../src/remediation/execution/remediation-engine.js";
import { KubernetesActions } from "../../src/remediation/kubernetes/kubernetes-actions.js";
import type { IncidentEvent } from "../../src/remediation/ledger/incident-event.js";
import { RemediationMetrics } from "../../src/remediation/ledger/remediation-metrics.js";
import {
  NotificationOutbox,
  type NotificationSink,
} from "../../src/remediation/notifications/notification-outbox.js";
import type { GuardState } from "../../src/remediation/planning/guard-state.js";
import { DEFAULT_GUARD_LIMITS } from "../../src/remediation/planning/guard-limits.js";
import { FileRemediationStore } from "../../src/remediation/storage/file-remediation-store.js";
import { RedisRemediationStore } from "../../src/remediation/storage/redis-remediation-store.js";
import type { OutboxEntry, RemediationStore } from "../../src/remediation/storage/remediation-store.js";
import { freePort } from "../support/free-port.js";
import { kubePaths, startKubeApiStandIn, type KubeApiStandIn } from "../support/kube-api-stand-in.js";
import { deploymentObject, kubeConfigFor } from "../support/kube-fixtures.js";
import { startRedis, type RealRedis } from "../support/real-redis.js";
import { receivedAlert, restartRunbookYaml, runbooksFromYaml } from "../support/remediation-fixtures.js";
import { startCapturingReceiver, type CapturingReceiver } from "../support/remediation-receiver.js";

/**
 * A real file store that goes down — every call rejects, as a Redis that stopped answering — from the
 * first ledger append matching `goesDownOn` (that append included). `failQueueing` makes only the
 * outbox's enqueue fail (the ledger keeps working).
 */
class StoreGoingDown implements RemediationStore {
  down = false;
  failQueueing = false;
  /** Reads of the ledger (`events`) fail once an event matching this was appended (the append works). */
  readsFailAfter: ((event: IncidentEvent) => boolean) | undefined;
  private readsDown = false;

  constructor(
    private readonly inner: RemediationStore,
    private readonly goesDownOn: (event: IncidentEvent) => boolean = () => false,
  ) {}

  private check(): void {
    if (this.down) throw new Error("connect ECONNREFUSED 127.0.0.1:6379 (the store is down)");
  }

  async claimDelivery(key: string, ttlMs: number): Promise<boolean> {
    this.check();
    return this.inner.claimDelivery(key, ttlMs);
  }
  async releaseDelivery(key: string): Promise<void> {
    this.check();
    return this.inner.releaseDelivery(key);
  }
  async updateGuards<T>(
    change: (state: GuardState) => { readonly state: GuardState; readonly result: T },
  ): Promise<T> {
    this.check();
    return this.inner.updateGuards(change);
  }
  async readGuards(): Promise<GuardState> {
    this.check();
    return this.inner.readGuards();
  }
  async appendEvent(incidentId: string, event: IncidentEvent): Promise<void> {
    if (!this.down && this.goesDownOn(event)) this.down = true;
    this.check();
    await this.inner.appendEvent(incidentId, event);
    if (this.readsFailAfter?.(event) === true) this.readsDown = true;
  }
  async events(incidentId: string): Promise<IncidentEvent[]> {
    this.check();
    if (this.readsDown) throw new Error("READONLY: the ledger cannot be read");
    return this.inner.events(incidentId);
  }
  async listIncidentIds(limit: number): Promise<string[]> {
    this.check();
    return this.inner.listIncidentIds(limit);
  }
  async enqueueNotification(entry: OutboxEntry): Promise<void> {
    this.check();
    if (this.failQueueing) throw new Error("EIO: i/o error, write (the outbox cannot be written)");
    return this.inner.enqueueNotification(entry);
  }
  async claimDueNotifications(nowMs: number, leaseMs: number, limit: number): Promise<OutboxEntry[]> {
    this.check();
    return this.inner.claimDueNotifications(nowMs, leaseMs, limit);
  }
  async completeNotification(id: string): Promise<void> {
    this.check();
    return this.inner.completeNotification(id);
  }
  async rescheduleNotification(entry: OutboxEntry, dueMs: number): Promise<void> {
    this.check();
    return this.inner.rescheduleNotification(entry, dueMs);
  }
  async buryNotification(entry: OutboxEntry): Promise<void> {
    this.check();
    return this.inner.buryNotification(entry);
  }
  async deadNotifications(): Promise<OutboxEntry[]> {
    this.check();
    return this.inner.deadNotifications();
  }
  async pendingNotifications(): Promise<number> {
    this.check();
    return this.inner.pendingNotifications();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

const ALERT_LABELS = { alertname: "HighErrorRate", namespace: "shop", deployment: "api-server" };

let standIn: KubeApiStandIn;
let receiver: CapturingReceiver;
let directory: string;
let lines: string[];
let unhandled: unknown[];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};

beforeEach(async () => {
  standIn = await startKubeApiStandIn({ simulateDeployments: true });
  standIn.seed(deploymentObject({ namespace: "shop", name: "api-server", replicas: 4 }));
  receiver = await startCapturingReceiver();
  directory = await mkdtemp(join(tmpdir(), "presage-store-failure-"));
  lines = [];
  unhandled = [];
  process.on("unhandledRejection", onUnhandled);
});
afterEach(async () => {
  process.off("unhandledRejection", onUnhandled);
  await receiver.close();
  await standIn.close();
  await rm(directory, { recursive: true, force: true });
});

function sinks(url: string): NotificationSink[] {
  return [
    { name: "slack", format: "slack", url: `${url}/slack` },
    { name: "pager", format: "webhook", url: `${url}/pager`, kinds: ["escalated"] },
  ];
}

function kubernetesActions(): KubernetesActions {
  return new KubernetesActions({ kubeConfig: kubeConfigFor(standIn), sleep: () => Promise.resolve() });
}

function engineOn(
  store: RemediationStore,
  options: { sinkUrl: string; actions?: ActionRunner; verify?: string; mode?: string },
): { engine: RemediationEngine; metrics: RemediationMetrics } {
  const metrics = new RemediationMetrics();
  const kubernetes = kubernetesActions();
  const engine = new RemediationEngine({
    store,
    runbooks: runbooksFromYaml({
      "r.yaml": restartRunbookYaml({
        verify: options.verify ?? "verify: { rollout: true, timeout: 5s, interval: 50ms }",
        ...(options.mode === undefined ? {} : { mode: options.mode }),
      }),
    }),
    actions: options.actions ?? kubernetes,
    rollout: kubernetes,
    notifications: new NotificationOutbox({
      store,
      sinks: sinks(options.sinkUrl),
      baseDelayMs: 1,
      directAttempts: 2,
      timeoutMs: 3000,
      onDirectPageFailed: (sink) => {
        metrics.directPagesFailed.inc({ sink });
      },
      log: (line) => lines.push(line),
    }),
    limits: DEFAULT_GUARD_LIMITS,
    defaultMode: "auto",
    metrics,
    ledgerUrl: (id) => `https://presage.example/api/v1/remediation/incidents/${id}`,
    log: (line) => lines.push(line),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.min(ms, 20))),
  });
  return { engine, metrics };
}

/** PATCHes of the Deployment that succeeded (each one an action applied or undone). */
function deploymentPatches(): number {
  return standIn
    .writes()
    .filter(
      (request) =>
        request.method === "PATCH" &&
        request.path === kubePaths.deployment("shop", "api-server") &&
        request.status === 200,
    ).length;
}

async function counterValue(
  counter: RemediationMetrics["unrecordedFailures"] | RemediationMetrics["directPagesFailed"],
  labels: Record<string, string>,
): Promise<number> {
  const { values } = await counter.get();
  return values
    .filter((value) =>
      Object.entries(labels).every(
        ([name, wanted]) => (value.labels as Record<string, string | number | undefined>)[name] === wanted,
      ),
    )
    .reduce((sum, value) => sum + value.value, 0);
}

function pageOf(bodies: readonly unknown[]): Record<string, unknown> {
  const page = bodies.find((body) => (body as { kind?: string }).kind === "escalated");
  expect(page).toBeDefined();
  return page as Record<string, unknown>;
}

function slackOf(bodies: readonly unknown[]): { text: string; blocks: { text: { text: string } }[] } {
  const slack = bodies.find((body) => (body as { blocks?: unknown }).blocks !== undefined);
  expect(slack).toBeDefined();
  return slack as { text: string; blocks: { text: { text: string } }[] };
}

describe("a remediation store that fails in the middle of a run", () => {
  it("pages from the alert when the incident cannot be read for a notification that needs a human (a 503 would be retried as a duplicate)", async () => {
    const store = new StoreGoingDown(await FileRemediationStore.open({ directory }));
    store.readsFailAfter = (event) => event.type === "awaiting-approval";
    const { engine } = engineOn(store, { sinkUrl: receiver.url, mode: "approval" });
    const receipts = await engine.receive([receivedAlert(ALERT_LABELS, { fingerprint: "f9" })]);
    expect(receipts[0]?.outcome).toBe("awaiting-approval");
    await engine.settled();
    // The slack sink takes every kind; the pager only escalations.
    expect(receiver.bodies).toHaveLength(1);
    const slack = slackOf(receiver.bodies);
    expect(slack.text).toContain("Needs a human: HighErrorRate");
    expect(slack.blocks[0]?.text.text ?? "").toContain("the incident ledger could not be read");
    expect(lines.some((line) => line.includes("could not read the incident"))).toBe(true);
    expect(deploymentPatches()).toBe(0);
  });

  it("pages a human directly, from memory, when the store goes down right after the action was applied — no retry, no undo", async () => {
    const store = new StoreGoingDown(
      await FileRemediationStore.open({ directory }),
      (event) => event.type === "acted",
    );
    const { engine, metrics } = engineOn(store, { sinkUrl: receiver.url });

    const receipts = await engine.receive([receivedAlert(ALERT_LABELS, { fingerprint: "f1" })]);
    expect(receipts[0]?.outcome).toBe("acting");
    await engine.settled();

    expect(store.down).toBe(true);
    // Both sinks got the page although the outbox (in the store) could not take it.
    expect(receiver.bodies).toHaveLength(2);
    const page = pageOf(receiver.bodies);
    expect(page.summary).toContain("HighErrorRate");
    expect(page.summary).toContain("restart-on-errors");
    expect(page.ledgerIncomplete).toBe(true);
    expect(page.ledgerNote).toContain("ledger may be incomplete");
    expect(page.alert).toMatchObject({ labels: ALERT_LABELS });
    // The incident as the run held it in memory: the restart it applied, then this escalation.
    expect(page.incident).toMatchObject({ state: "escalated", runbook: "restart-on-errors" });
    expect(page.actions).toEqual([expect.stringMatching(/^step 1 .*api-server/)]);
    const run = page.run as {
      phase: string;
      step: number;
      actionApplied: string;
      applied: string[];
      error: string;
      stepsPlanned: unknown[];
    };
    expect(run).toMatchObject({ phase: "verifying", step: 0, actionApplied: "yes" });
    expect(run.applied).toHaveLength(1);
    expect(run.applied[0]).toMatch(/^step 1 \(.*api-server.*\): /);
    expect(run.error).toContain("the store is down");
    expect(run.stepsPlanned).toHaveLength(1);
    expect(run.stepsPlanned[0]).toMatchObject({ index: 0, onFailure: "escalate" });
    expect(page.reason).toContain("will not retry or undo anything");
    expect(page.ledgerUrl).toMatch(/^https:\/\/presage\.example\/api\/v1\/remediation\/incidents\/f1-/);
    const slack = slackOf(receiver.bodies);
    expect(slack.text).toContain("HighErrorRate");
    const text = slack.blocks[0]?.text.text ?? "";
    expect(text).toContain("restart-on-errors");
    expect(text).toContain("ledger may be incomplete");

    // Fail safe: the restart was applied once and neither retried nor undone.
    expect(deploymentPatches()).toBe(1);
    expect(
      await counterValue(metrics.unrecordedFailures, { runbook: "restart-on-errors", applied: "yes" }),
    ).toBe(1);
    expect(await counterValue(metrics.directPagesFailed, {})).toBe(0);
    expect(lines.some((line) => line.includes("UNRECORDED FAILURE"))).toBe(true);
    expect(unhandled).toEqual([]);
    await store.close();
  });

  it("logs loudly and counts the failed page when the receiver is down too, and nothing throws", async () => {
    const store = new StoreGoingDown(
      await FileRemediationStore.open({ directory }),
      (event) => event.type === "acted",
    );
    const deadUrl = `http://127.0.0.1:${await freePort()}`;
    const { engine, metrics } = engineOn(store, { sinkUrl: deadUrl });

    await engine.receive([receivedAlert(ALERT_LABELS, { fingerprint: "f2" })]);
    await expect(engine.settled()).resolves.toBeUndefined();

    expect(await counterValue(metrics.unrecordedFailures, { runbook: "restart-on-errors" })).toBe(1);
    expect(await counterValue(metrics.directPagesFailed, { sink: "slack" })).toBe(1);
    expect(await counterValue(metrics.directPagesFailed, { sink: "pager" })).toBe(1);
    const failed = lines.filter((line) => line.includes("PAGE FAILED"));
    expect(failed).toHaveLength(1);
    expect(failed[0]).toContain("reached 0 of 2 sinks");
    expect(await metrics.metrics()).toMatch(
      /presage_remediation_direct_pages_failed_total\{sink="pager"\} 1/,
    );
    expect(deploymentPatches()).toBe(1);
    expect(unhandled).toEqual([]);
    await store.close();
  });

  it("sends an escalation directly when the ledger records it but the outbox cannot queue it", async () => {
    const store = new StoreGoingDown(await FileRemediationStore.open({ directory }));
    store.failQueueing = true;
    standIn.injectFault({
      method: "PATCH",
      path: kubePaths.deployment("shop", "api-server"),
      status: 500,
      times: 20,
    });
    const { engine, metrics } = engineOn(store, { sinkUrl: receiver.url });

    await engine.receive([receivedAlert(ALERT_LABELS, { fingerprint: "f3" })]);
    await engine.settled();

    const incident = (await engine.incidents())[0];
    expect(incident?.state).toBe("escalated");
    expect(receiver.bodies).toHaveLength(2);
    const page = pageOf(receiver.bodies);
    expect(page.summary).toBe("Needs a human: HighErrorRate on api-server");
    expect(page.reason).toContain("step 1");
    expect(await counterValue(metrics.unrecordedFailures, {})).toBe(0);
    expect(await counterValue(metrics.directPagesFailed, {})).toBe(0);
    expect(unhandled).toEqual([]);
    await store.close();
  });
});

describe("a real Redis that stops in the middle of a run", () => {
  let redis: RealRedis;
  beforeEach(async () => {
    redis = await startRedis();
  });
  afterEach(async () => {
    await redis.stop();
  });

  it("pages directly with the alert, the runbook and the applied restart when Redis dies after the action", async () => {
    const store = new RedisRemediationStore({
      url: redis.url,
      keyPrefix: `presage-test-${Math.random().toString(36).slice(2)}:`,
    });
    const kubernetes = kubernetesActions();
    // Redis dies the moment the restart has been applied, before presage can record it.
    const actions: ActionRunner = {
      prepare: (action) => kubernetes.prepare(action),
      apply: async (prepared) => {
        const applied = await kubernetes.apply(prepared);
        await redis.kill();
        return applied;
      },
      undo: (applied) => kubernetes.undo(applied),
    };
    const { engine, metrics } = engineOn(store, { sinkUrl: receiver.url, actions });

    await engine.receive([receivedAlert(ALERT_LABELS, { fingerprint: "f4" })]);
    await engine.settled();

    expect(receiver.bodies).toHaveLength(2);
    const page = pageOf(receiver.bodies);
    expect(page.summary).toContain("HighErrorRate");
    expect(page.summary).toContain("restart-on-errors");
    expect(page.ledgerNote).toContain("ledger may be incomplete");
    expect(page.run).toMatchObject({ phase: "verifying", actionApplied: "yes" });
    expect(await counterValue(metrics.unrecordedFailures, { applied: "yes" })).toBe(1);
    expect(deploymentPatches()).toBe(1);
    expect(unhandled).toEqual([]);
    await redis.restart();
    await store.close();
  }, 60_000);
});
