import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { AlertmanagerSilences } from "../../src/remediation/alerting/alertmanager-silences.js";
import { matchingSilence } from "../../src/remediation/alerting/silence.js";
import { IncidentState, type Incident } from "../../src/remediation/ledger/incident.js";
import { startRealAlertmanager, type RealAlertmanager } from "../support/real-alertmanager.js";
import { restartRunbookYaml, runbooksFromYaml, webhookPayload } from "../support/remediation-fixtures.js";
import {
  RemediationHarness,
  WEBHOOK_TOKEN,
  type RemediationReplica,
} from "../support/remediation-harness.js";

const RUNBOOKS = runbooksFromYaml({
  "r.yaml": restartRunbookYaml({
    verify: "verify: { alertResolved: true, rollout: true, timeout: 60s, interval: 100ms }",
  }),
});

const ROLLOUT_RUNBOOKS = runbooksFromYaml({
  "r.yaml": restartRunbookYaml({ verify: "verify: { rollout: true, timeout: 5s, interval: 100ms }" }),
});

let harness: RemediationHarness | undefined;
let alertmanager: RealAlertmanager | undefined;
afterEach(async () => {
  await alertmanager?.stop();
  alertmanager = undefined;
  await harness?.close();
  harness = undefined;
});

async function until<T>(read: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function incidentWith(
  replica: RemediationReplica,
  deployment: string,
  state?: string,
): Promise<Incident | undefined> {
  return (await replica.engine.incidents()).find(
    (incident) =>
      incident.labels.deployment === deployment && (state === undefined || incident.state === state),
  );
}

describe("with a real Alertmanager", () => {
  it("counts a silence whose only matcher is RE2-only syntax JavaScript cannot compile as matching (errs towards not acting)", async () => {
    alertmanager = await startRealAlertmanager();
    await alertmanager.silence([{ name: "deployment", value: "(?i)CART", isRegex: true }]);
    const silences = await new AlertmanagerSilences({ url: alertmanager.url, cacheMs: 0 }).activeSilences();
    expect(silences).toHaveLength(1);
    const labels = { alertname: "HighErrorRate", namespace: "shop", deployment: "cart" };
    expect(matchingSilence(silences, labels, Date.now())?.id).toBe(silences[0]?.id);
  });

  it("receives its webhook (bearer token, payload version 4), acts once, and closes the incident on its resolved notification", async () => {
    harness = await RemediationHarness.start({ runbooks: RUNBOOKS });
    harness.seedDeployments(["api-server"]);
    const replica = await harness.addReplica();
    await replica.app.listen({ port: 0, host: "127.0.0.1" });
    const { port } = replica.app.server.address() as AddressInfo;
    alertmanager = await startRealAlertmanager({
      webhookUrl: `http://127.0.0.1:${port}/api/v1/alerts/alertmanager`,
      webhookToken: WEBHOOK_TOKEN,
      groupWait: "1s",
    });
    const labels = {
      alertname: "HighErrorRate",
      namespace: "shop",
      deployment: "api-server",
      severity: "critical",
    };
    const post = (endsAt?: string) =>
      fetch(`${alertmanager!.url}/api/v2/alerts`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify([
          { labels, annotations: { summary: "5xx" }, ...(endsAt === undefined ? {} : { endsAt }) },
        ]),
      });
    expect((await post()).status).toBe(200);
    const acting = await until(() => incidentWith(replica, "api-server"), "the incident");
    expect(acting.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    await until(
      async () => ((await incidentWith(replica, "api-server"))?.actions ?? 0) > 0 || undefined,
      "the restart",
    );
    expect((await post(new Date().toISOString())).status).toBe(200);
    const healed = await until(
      () => incidentWith(replica, "api-server", IncidentState.healed),
      "the resolved notification",
      45_000,
    );
    expect(healed.resolvedAtMs).toBeDefined();
    expect(healed.timeline.map((event) => event.type)).toEqual(
      expect.arrayContaining(["received", "matched", "acted", "resolved", "verified", "healed"]),
    );
    await harness.idle();
    expect(harness.deploymentPatches()).toHaveLength(1);
  });

  it("does not act on an alert an active silence matches, and fails safe (pages, does not act) when Alertmanager is down", async () => {
    alertmanager = await startRealAlertmanager();
    harness = await RemediationHarness.start({
      runbooks: ROLLOUT_RUNBOOKS,
      silences: new AlertmanagerSilences({ url: alertmanager.url, cacheMs: 0, timeoutMs: 1000 }),
    });
    harness.seedDeployments(["api-server", "cart", "web"]);
    const replica = await harness.addReplica();
    await alertmanager.silence([
      { name: "alertname", value: "HighErrorRate" },
      { name: "deployment", value: "cart|web", isRegex: true },
    ]);
    const deliver = (deployment: string, fingerprint: string) =>
      harness!.deliver(
        replica,
        webhookPayload([
          { labels: { alertname: "HighErrorRate", namespace: "shop", deployment }, fingerprint },
        ]),
      );
    expect((await deliver("cart", "e1")).json()).toMatchObject({ receipts: [{ outcome: "skipped" }] });
    expect((await deliver("api-server", "e2")).json()).toMatchObject({ receipts: [{ outcome: "acting" }] });
    await harness.idle();
    expect(
      (await incidentWith(replica, "cart"))?.timeline.find((event) => event.type === "skipped"),
    ).toMatchObject({ reason: "silenced" });
    await alertmanager.kill();
    const down = await deliver("web", "e3");
    expect(down.statusCode).toBe(200);
    expect(down.json()).toMatchObject({ receipts: [{ outcome: "skipped" }] });
    const skipped = (await incidentWith(replica, "web"))?.timeline.find((event) => event.type === "skipped");
    expect(skipped).toMatchObject({ reason: "silences-unavailable" });
    await harness.idle();
    expect(harness.deploymentPatches().map((patch) => patch.path)).toEqual([
      harness.deploymentPath("api-server"),
    ]);
  });

  it("checks silences again when an approval arrives: a silence added while the incident waited stops the run", async () => {
    alertmanager = await startRealAlertmanager();
    harness = await RemediationHarness.start({
      runbooks: runbooksFromYaml({
        "r.yaml": restartRunbookYaml({
          mode: "approval",
          verify: "verify: { rollout: true, timeout: 5s, interval: 100ms }",
        }),
      }),
      silences: new AlertmanagerSilences({ url: alertmanager.url, cacheMs: 0, timeoutMs: 1000 }),
    });
    harness.seedDeployments(["cart"]);
    const replica = await harness.addReplica();
    const delivered = await harness.deliver(
      replica,
      webhookPayload([
        { labels: { alertname: "HighErrorRate", namespace: "shop", deployment: "cart" }, fingerprint: "a1" },
      ]),
    );
    expect(delivered.json()).toMatchObject({ receipts: [{ outcome: "awaiting-approval" }] });
    // Someone starts working on cart and silences it before an admin approves the waiting run.
    await alertmanager.silence([{ name: "deployment", value: "cart" }]);
    const waiting = await incidentWith(replica, "cart");
    const approved = await replica.engine.approve(waiting!.id, "admin");
    expect(approved.timeline.at(-1)).toMatchObject({ type: "skipped", reason: "silenced" });
    await harness.idle();
    expect(harness.deploymentPatches()).toHaveLength(0);
  });
});
