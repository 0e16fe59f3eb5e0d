import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { PrometheusPromqlProbe } from "../../src/remediation/execution/prometheus-promql-probe.js";
import { IncidentState, type Incident } from "../../src/remediation/ledger/incident.js";
import {
  ADMIN_TOKEN,
  READ_TOKEN,
  RemediationHarness,
  type RemediationReplica,
} from "../support/remediation-harness.js";
import { restartRunbookYaml, runbooksFromYaml, webhookPayload } from "../support/remediation-fixtures.js";
import { startRedis, type RealRedis } from "../support/real-redis.js";

const ALERT = {
  alertname: "HighErrorRate",
  namespace: "shop",
  deployment: "api-server",
  severity: "critical",
};

const RUNBOOKS = runbooksFromYaml({
  "high-error-rate.yaml": `name: high-error-rate
mode: auto
match: { alertname: HighErrorRate, labels: ['deployment!=""'] }
steps:
  - action: restart-deployment
    params: { namespace: "{{ labels.namespace }}", deployment: "{{ labels.deployment }}" }
    onFailure: next
  - action: rollback-deployment
    params: { namespace: "{{ labels.namespace }}", deployment: "{{ labels.deployment }}" }
    onFailure: undo
verify: { rollout: true, timeout: 1s, interval: 100ms }
`,
  "approval.yaml": restartRunbookYaml({
    name: "needs-approval",
    alertname: "Saturation",
    mode: "approval",
    verify: "verify: { rollout: true, timeout: 5s, interval: 100ms }",
  }),
  "resolved.yaml": restartRunbookYaml({
    name: "wait-resolved",
    alertname: "MemoryLeak",
    verify: "verify: { alertResolved: true, timeout: 20s, interval: 50ms }",
  }),
});

let harness: RemediationHarness | undefined;
let redis: RealRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function start(
  options: { unhealthy?: string[]; redis?: boolean } = {},
): Promise<[RemediationHarness, RemediationReplica]> {
  const unhealthy = new Set(options.unhealthy ?? []);
  harness = await RemediationHarness.start({
    ...(options.redis === true ? { redisUrl: redis.url } : {}),
    runbooks: RUNBOOKS,
    deployments: { rolloutReady: (deployment) => !unhealthy.has(deployment.metadata?.name ?? "") },
    limits: { breakerThreshold: 2 },
  });
  harness.seedDeployments(["api-server", "cart", "broken"]);
  return [harness, await harness.addReplica()];
}

async function incidentOf(replica: RemediationReplica, fingerprint: string): Promise<Incident> {
  const found = (await replica.engine.incidents()).find((incident) => incident.fingerprint === fingerprint);
  if (found === undefined) throw new Error(`no incident for ${fingerprint}`);
  return found;
}

describe("Alertmanager webhook receiver", () => {
  it("restarts the deployment, waits for the rollout, and records the incident as healed with its MTTR", async () => {
    const [h, replica] = await start();
    const response = await h.deliver(replica, webhookPayload([{ labels: ALERT, fingerprint: "aa01" }]));
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      received: 1,
      receipts: [{ outcome: "acting", runbook: "high-error-rate" }],
    });
    await h.idle();
    const incident = await incidentOf(replica, "aa01");
    expect(incident.state).toBe(IncidentState.healed);
    expect(incident.timeline.map((event) => event.type)).toEqual([
      "received",
      "matched",
      "acted",
      "verified",
      "healed",
    ]);
    expect(incident.mttr?.totalMs).toBeGreaterThan(0);
    expect(h.deploymentPatches()).toHaveLength(1);
    expect(await replica.metrics.metrics()).toMatch(
      /presage_remediation_incidents_total\{outcome="healed"\} 1/,
    );
  });

  it("acts once on a duplicate delivery, even when HA Alertmanagers deliver it to two replicas at once", async () => {
    const [h, first] = await start({ redis: true });
    const second = await h.addReplica();
    const payload = webhookPayload([{ labels: ALERT, fingerprint: "aa02" }]);
    const responses = await Promise.all([
      h.deliver(first, payload),
      h.deliver(second, payload),
      h.deliver(first, payload),
    ]);
    expect(responses.map((response) => response.statusCode)).toEqual([200, 200, 200]);
    const outcomes = responses
      .map((response) => response.json<{ receipts: { outcome: string }[] }>().receipts[0]?.outcome)
      .sort();
    expect(outcomes).toEqual(["acting", "duplicate", "duplicate"]);
    await h.idle();
    expect(h.deploymentPatches()).toHaveLength(1);
    const incident = await incidentOf(second, "aa02");
    expect(incident.timeline.filter((event) => event.type === "duplicate")).toHaveLength(2);
  });

  it("closes the incident when the resolved notification arrives, and counts it once", async () => {
    const [h, replica] = await start();
    await h.deliver(
      replica,
      webhookPayload([{ labels: { ...ALERT, alertname: "MemoryLeak" }, fingerprint: "aa03" }]),
    );
    const resolved = webhookPayload([
      {
        labels: { ...ALERT, alertname: "MemoryLeak" },
        fingerprint: "aa03",
        status: "resolved",
        endsAt: "2026-11-28T02:03:00Z",
      },
    ]);
    // The runbook verifies "alert resolved": the resolved notification both closes and verifies.
    expect((await h.deliver(replica, resolved)).json()).toMatchObject({
      receipts: [{ outcome: "resolved" }],
    });
    expect((await h.deliver(replica, resolved)).json()).toMatchObject({
      receipts: [{ outcome: "duplicate" }],
    });
    await h.idle();
    const incident = await incidentOf(replica, "aa03");
    expect(incident.resolvedAtMs).toBe(Date.parse("2026-11-28T02:03:00Z"));
    expect(incident.state).toBe(IncidentState.healed);
    const unknown = webhookPayload([
      { labels: { alertname: "Other" }, fingerprint: "aa04", status: "resolved" },
    ]);
    await h.deliver(replica, unknown);
    expect((await incidentOf(replica, "aa04")).state).toBe(IncidentState.closed);
  });

  it("tries the next step when a restart does not heal, undoes the roll back that did not either, escalates, and opens the breaker", async () => {
    const [h, replica] = await start({ unhealthy: ["broken"] });
    for (const [index, fingerprint] of ["bb01", "bb02"].entries()) {
      const startsAt = new Date(Date.parse("2026-11-28T02:00:00Z") + index * 60_000).toISOString();
      h.standIn.mutate(h.deploymentPath("broken"), (object) => {
        (
          object.spec as { template: { spec: { containers: { image: string }[] } } }
        ).template.spec.containers[0]!.image = `app:${index + 2}`;
      });
      await h.deliver(
        replica,
        webhookPayload([{ labels: { ...ALERT, deployment: "broken" }, fingerprint, startsAt }]),
      );
      await h.idle();
      await replica.engine.resetBreaker("unrelated");
      if (index === 0) {
        // Let the second incident past the first one's cooldown on the same target.
        await replica.store.updateGuards((state) => ({
          state: { ...state, cooldowns: {} },
          result: undefined,
        }));
      }
    }
    const first = await incidentOf(replica, "bb01");
    expect(first.state).toBe(IncidentState.escalated);
    expect(first.timeline.map((event) => event.type)).toEqual([
      "received",
      "matched",
      "acted",
      "verification-failed",
      "acted",
      "verification-failed",
      "reverted",
      "escalated",
    ]);
    expect(first.reverted).toBe(true);
    const second = await incidentOf(replica, "bb02");
    expect(second.timeline.map((event) => event.type)).toContain("breaker-opened");
    // The breaker is open now: the next alert is skipped without acting.
    const patches = h.deploymentPatches().length;
    await h.deliver(
      replica,
      webhookPayload([{ labels: { ...ALERT, deployment: "cart" }, fingerprint: "bb03" }]),
    );
    await h.idle();
    expect(
      (await incidentOf(replica, "bb03")).timeline.find((event) => event.type === "skipped"),
    ).toMatchObject({ reason: "breaker-open" });
    expect(h.deploymentPatches()).toHaveLength(patches);
    expect((await replica.engine.stats()).falsePositives).toBe(2);
  });

  it("waits for an admin's approval in approval mode; approve runs it, a second decision is refused", async () => {
    const [h, replica] = await start();
    await h.deliver(
      replica,
      webhookPayload([
        { labels: { ...ALERT, alertname: "Saturation", deployment: "cart" }, fingerprint: "cc01" },
      ]),
    );
    const pending = await incidentOf(replica, "cc01");
    expect(pending.state).toBe(IncidentState.awaitingApproval);
    expect(h.deploymentPatches()).toHaveLength(0);
    const url = `/api/v1/remediation/incidents/${pending.id}`;
    const asReader = await replica.app.inject({
      method: "POST",
      url: `${url}/approve`,
      headers: { authorization: `Bearer ${READ_TOKEN}` },
    });
    expect(asReader.statusCode).toBe(403);
    const approved = await replica.app.inject({
      method: "POST",
      url: `${url}/approve`,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(approved.statusCode).toBe(200);
    await h.idle();
    expect((await incidentOf(replica, "cc01")).state).toBe(IncidentState.healed);
    expect(h.deploymentPatches()).toHaveLength(1);
    const again = await replica.app.inject({
      method: "POST",
      url: `${url}/reject`,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(again.statusCode).toBe(409);
    expect(again.headers["content-type"]).toMatch(/application\/problem\+json/);
    expect(again.json()).toMatchObject({ code: "PRESAGE_REMEDIATION_NOT_AWAITING_APPROVAL" });
    const missing = await replica.app.inject({
      method: "GET",
      url: "/api/v1/remediation/incidents/nope",
      headers: { authorization: `Bearer ${READ_TOKEN}` },
    });
    expect(missing.statusCode).toBe(404);
    const list = await replica.app.inject({
      method: "GET",
      url: "/api/v1/remediation/incidents?limit=5",
      headers: { authorization: `Bearer ${READ_TOKEN}` },
    });
    expect(list.json<{ incidents: unknown[] }>().incidents).toHaveLength(1);
    const stats = await replica.app.inject({
      method: "GET",
      url: "/api/v1/remediation/stats",
      headers: { authorization: `Bearer ${READ_TOKEN}` },
    });
    expect(stats.json()).toMatchObject({ incidents: 1, healed: 1, manual: 1, coverage: 1 });
  });

  it("takes no further step and no undo when Prometheus is down during verification; escalates", async () => {
    harness = await RemediationHarness.start({
      runbooks: runbooksFromYaml({
        "r.yaml": `name: restart-then-roll-back
mode: auto
match: { alertname: HighErrorRate }
steps:
  - action: restart-deployment
    params: { namespace: "{{ labels.namespace }}", deployment: "{{ labels.deployment }}" }
    onFailure: next
  - action: rollback-deployment
    params: { namespace: "{{ labels.namespace }}", deployment: "{{ labels.deployment }}" }
    onFailure: undo
verify: { promql: { query: 'error_ratio{deployment="{{ labels.deployment }}"}', below: 0.01 }, timeout: 300ms, interval: 100ms }
`,
      }),
      promql: new PrometheusPromqlProbe({ url: "http://127.0.0.1:1", retry: { attempts: 1 } }),
    });
    harness.seedDeployments(["api-server"]);
    const replica = await harness.addReplica();
    await harness.deliver(replica, webhookPayload([{ labels: ALERT, fingerprint: "ac01" }]));
    await harness.idle();
    const incident = await incidentOf(replica, "ac01");
    expect(incident.timeline.map((event) => event.type)).toEqual([
      "received",
      "matched",
      "acted",
      "verification-failed",
      "escalated",
    ]);
    expect(incident.timeline.at(-1)).toMatchObject({
      reason: expect.stringMatching(/could not be verified .*promql failed/) as unknown,
    });
    expect(harness.deploymentPatches()).toHaveLength(1);
  });

  it("does not act again when the delivery claim expired while the alert kept firing (a repeat notification)", async () => {
    harness = await RemediationHarness.start({
      runbooks: RUNBOOKS,
      engine: { deliveryTtlMs: 1 },
    });
    harness.seedDeployments(["api-server"]);
    const replica = await harness.addReplica();
    const payload = webhookPayload([{ labels: ALERT, fingerprint: "ab01" }]);
    expect((await harness.deliver(replica, payload)).json()).toMatchObject({
      receipts: [{ outcome: "acting" }],
    });
    await harness.idle();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await harness.deliver(replica, payload)).json()).toMatchObject({
      receipts: [{ outcome: "duplicate" }],
    });
    await harness.idle();
    expect(harness.deploymentPatches()).toHaveLength(1);
  });

  it("answers 503 when the ledger cannot be written, and handles Alertmanager's retry instead of calling it a duplicate", async () => {
    const [h, replica] = await start();
    const ledger = join(h.stateDirectory!, "ledger.jsonl");
    await rm(ledger, { force: true });
    await mkdir(ledger);
    const payload = webhookPayload([{ labels: ALERT, fingerprint: "ee01" }]);
    const failed = await h.deliver(replica, payload);
    expect(failed.statusCode).toBe(503);
    expect(failed.json()).toMatchObject({ code: "PRESAGE_API_UNAVAILABLE" });
    await rm(ledger, { recursive: true });
    const retried = await h.deliver(replica, payload);
    expect(retried.statusCode).toBe(200);
    expect(retried.json()).toMatchObject({ receipts: [{ outcome: "acting" }] });
    await h.idle();
    expect(h.deploymentPatches()).toHaveLength(1);
  });

  it("acts on nothing while the stored guard state is corrupt (503), and acts once it is removed", async () => {
    const [h, replica] = await start();
    const guards = join(h.stateDirectory!, "guards.json");
    await writeFile(guards, "{ truncated");
    const payload = webhookPayload([{ labels: ALERT, fingerprint: "ee02" }]);
    const refused = await h.deliver(replica, payload);
    expect(refused.statusCode).toBe(503);
    await h.idle();
    expect(h.deploymentPatches()).toHaveLength(0);
    await rm(guards);
    const retried = await h.deliver(replica, payload);
    expect(retried.json()).toMatchObject({ receipts: [{ outcome: "acting" }] });
    await h.idle();
    expect(h.deploymentPatches()).toHaveLength(1);
  });

  it("lets exactly one of two admins approving at once on two replicas run the plan", async () => {
    const [h, first] = await start({ redis: true });
    const second = await h.addReplica();
    await h.deliver(
      first,
      webhookPayload([
        { labels: { ...ALERT, alertname: "Saturation", deployment: "cart" }, fingerprint: "cc02" },
      ]),
    );
    const pending = await incidentOf(second, "cc02");
    const approve = (replica: RemediationReplica) =>
      replica.app.inject({
        method: "POST",
        url: `/api/v1/remediation/incidents/${pending.id}/approve`,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
    const answers = await Promise.all([approve(first), approve(second)]);
    expect(answers.map((answer) => answer.statusCode).sort()).toEqual([200, 409]);
    await h.idle();
    expect(h.deploymentPatches()).toHaveLength(1);
    expect(
      (await incidentOf(first, "cc02")).timeline.filter((event) => event.type === "approved"),
    ).toHaveLength(1);
  });

  it("records alerts without a runbook as uncovered", async () => {
    const [h, replica] = await start();
    const response = await h.deliver(
      replica,
      webhookPayload([{ labels: { alertname: "Watchdog" }, fingerprint: "dd01" }]),
    );
    expect(response.json()).toMatchObject({ receipts: [{ outcome: "unmatched" }] });
    expect((await replica.engine.stats()).coverage).toBe(0);
    expect(h.deploymentPatches()).toHaveLength(0);
  });

  describe("refuses bad requests with 4xx problem+json and never acts", () => {
    it.each([
      ["no token", { authorization: "" }, JSON.stringify(webhookPayload([{ labels: ALERT }])), 401],
      [
        "a wrong token",
        { authorization: "Bearer nope" },
        JSON.stringify(webhookPayload([{ labels: ALERT }])),
        401,
      ],
      [
        "an API admin token",
        { authorization: `Bearer ${ADMIN_TOKEN}` },
        JSON.stringify(webhookPayload([{ labels: ALERT }])),
        401,
      ],
      ["text/plain", { "content-type": "text/plain" }, "hello", 415],
      ["broken JSON", {}, '{"version": "4", ', 400],
      ["an empty body", {}, "", 400],
      [
        "a version 3 payload",
        {},
        JSON.stringify({ ...webhookPayload([{ labels: ALERT }]), version: "3" }),
        400,
      ],
      ["a body over the limit", {}, JSON.stringify({ pad: "x".repeat(3 * 1024 * 1024) }), 413],
    ])("%s", async (_name, headers, payload, status) => {
      const [h, replica] = await start();
      const response = await replica.app.inject({
        method: "POST",
        url: "/api/v1/alerts/alertmanager",
        headers: {
          authorization: "Bearer alertmanager-secret",
          "content-type": "application/json",
          ...headers,
        },
        payload,
      });
      expect(response.statusCode).toBe(status);
      expect(response.headers["content-type"]).toMatch(/application\/problem\+json/);
      expect(response.json()).toHaveProperty("code");
      await h.idle();
      expect(h.standIn.writes()).toHaveLength(0);
    });
  });
});
