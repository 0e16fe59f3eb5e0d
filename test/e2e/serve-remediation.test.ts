// `presage serve --config <file>` with a remediation: section, as deployed: the compiled CLI acts on
// the Kubernetes API stand-in (kubeconfig file), verifies with a real Prometheus, reads silences from a
// real Alertmanager, and answers on the same API as the dashboard.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RESTARTED_AT_ANNOTATION } from "../../src/remediation/kubernetes/kubernetes-actions.js";
import { kubePaths, startKubeApiStandIn, type KubeApiStandIn } from "../support/kube-api-stand-in.js";
import { deploymentObject, kubeconfigYamlFor } from "../support/kube-fixtures.js";
import { startPresageServe, type PresageServeProcess } from "../support/presage-serve-process.js";
import { startPrometheus, type RealPrometheus } from "../support/real-prometheus.js";
import { startRealAlertmanager, type RealAlertmanager } from "../support/real-alertmanager.js";
import { webhookPayload } from "../support/remediation-fixtures.js";
import { signalAndWait } from "../support/signal-child.js";

const repoRoot = resolve(import.meta.dirname, "../..");
const WEBHOOK_TOKEN = "e2e-alertmanager-webhook-token";
const DEPLOYMENT = kubePaths.deployment("shop", "web");
const STEP_SECONDS = 15;

let dir: string;
let standIn: KubeApiStandIn;
let prometheus: RealPrometheus;
let alertmanager: RealAlertmanager;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "presage-serve-remediation-e2e-"));
  standIn = await startKubeApiStandIn({ simulateDeployments: true });
  standIn.seed(deploymentObject({ namespace: "shop", name: "web", replicas: 4 }));
  // The shipped recording rule's series, healthy (0.1% errors) from half an hour ago to a day ahead,
  // so the high-error-rate runbook's verification reads a real value whenever it asks.
  const startMs = Math.floor((Date.now() - 30 * 60_000) / (STEP_SECONDS * 1000)) * STEP_SECONDS * 1000;
  prometheus = await startPrometheus({
    // Verification is an instant query at the wall-clock now, between the 15 s samples: the harness's
    // default lookback (half a step, so that gaps read as gaps) would miss every other instant.
    lookbackDelta: "1m",
    series: [
      {
        name: "presage:deployment_error_ratio:rate2m",
        labels: { namespace: "shop", deployment: "web" },
        startMs,
        stepSeconds: STEP_SECONDS,
        values: Array.from({ length: (86_400 + 1800) / STEP_SECONDS }, () => 0.001),
      },
    ],
  });
  alertmanager = await startRealAlertmanager();
  // Someone is working on shop/cart: presage must not act there (it reads silences, cached for 5 s).
  await alertmanager.silence([{ name: "deployment", value: "cart" }]);
  await writeFile(join(dir, "kubeconfig"), kubeconfigYamlFor(standIn));
  await writeFile(
    join(dir, "presage.yaml"),
    [
      `prometheus: { url: "${prometheus.url}" }`,
      "remediation:",
      `  runbooksDir: ${JSON.stringify(join(repoRoot, "deploy/runbooks"))}`,
      "  directory: remediation-state",
      `  webhook: { tokens: ["${WEBHOOK_TOKEN}"] }`,
      `  alertmanager: { url: "${alertmanager.url}" }`,
    ].join("\n"),
  );
}, 120_000);

afterAll(async () => {
  await alertmanager.stop();
  await prometheus.stop();
  await standIn.close();
  await rm(dir, { recursive: true, force: true });
});

/** Waits until `check` returns a value (not undefined), polling every 100 ms. */
async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  what: () => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what()}`);
    await new Promise((wait) => setTimeout(wait, 100));
  }
}

interface IncidentView {
  readonly id: string;
  readonly state: string;
  readonly runbook?: string;
  readonly actions: number;
  readonly timeline: readonly { type: string; detail?: string }[];
}

describe("presage serve with a remediation section", () => {
  let served: PresageServeProcess | undefined;

  afterAll(async () => {
    await signalAndWait(served?.child, "SIGKILL");
  });

  it("restarts the Deployment once for a high-error-rate alert delivered twice, records it, and exits 0 on SIGTERM", async () => {
    served = await startPresageServe(
      [
        "--config",
        join(dir, "presage.yaml"),
        "--kubeconfig",
        join(dir, "kubeconfig"),
        "--model",
        "snaive",
        "--tick-ms",
        "0",
      ],
      { timeoutMs: 180_000 },
    );
    const { baseUrl, readToken, adminToken } = served;
    const serving = served;
    const output = (): string => serving.output();
    expect(output()).toMatch(
      /presage serve: remediation: \d+ runbooks from .*deploy\/runbooks \(.*high-error-rate.*\)/,
    );
    expect(output()).toContain(`Kubernetes API ${standIn.url}`);
    expect(output()).toContain(`verification queries Prometheus at ${prometheus.url}`);
    expect(output()).toContain(`silences from Alertmanager at ${alertmanager.url}`);
    expect(output()).toContain(`Alertmanager webhook POST ${baseUrl}/api/v1/alerts/alertmanager`);

    const startsAt = new Date(Date.now() - 3 * 60_000).toISOString();
    const deliver = (token: string, deployment = "web"): Promise<Response> =>
      fetch(`${baseUrl}/api/v1/alerts/alertmanager`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(
          webhookPayload([
            {
              labels: {
                alertname: "PresageHighErrorRate",
                severity: "critical",
                namespace: "shop",
                deployment,
                presage_runbook: "high-error-rate",
              },
              startsAt,
              fingerprint: deployment === "web" ? "5ca1ab1e0ddba11" : "0ddba11c0ffee",
            },
          ]),
        ),
      });
    // An API token is not a webhook token.
    expect((await deliver(adminToken)).status).toBe(401);
    const first = await deliver(WEBHOOK_TOKEN);
    expect(first.status).toBe(200);
    const receipt = ((await first.json()) as { receipts: { incidentId: string; outcome: string }[] })
      .receipts[0]!;
    expect(receipt.outcome).toBe("acting");
    // Alertmanager HA pairs deliver the same notification twice.
    const second = await deliver(WEBHOOK_TOKEN);
    expect(((await second.json()) as { receipts: { outcome: string }[] }).receipts[0]?.outcome).toBe(
      "duplicate",
    );

    const read = (path: string, token = readToken): Promise<Response> =>
      fetch(`${baseUrl}/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } });
    let lastSeen: unknown;
    const incident = await eventually(
      async () => {
        const listed = (await (await read("/remediation/incidents")).json()) as { incidents: IncidentView[] };
        lastSeen = listed.incidents.find((one) => one.id === receipt.incidentId);
        return listed.incidents.find((one) => one.id === receipt.incidentId && one.state === "healed");
      },
      150_000, // verification checks every 15 s; a loaded machine can need several checks
      () => `${output()}\nincident: ${JSON.stringify(lastSeen, null, 1)}`,
    );
    expect(incident.runbook).toBe("high-error-rate");
    expect(incident.actions).toBe(1);
    const types = incident.timeline.map((event) => event.type);
    expect(types).toContain("duplicate");
    expect(types.filter((type) => type === "acted")).toHaveLength(1);
    // Verified against the real Prometheus (the shipped recording rule's series) and the rollout.
    const verified = incident.timeline.find((event) => event.type === "verified");
    expect(verified?.detail).toMatch(/promql 0\.001 < 0\.01 ✓/);
    expect(verified?.detail).toMatch(/rollout shop\/web: rolled out/);

    // Exactly one restart reached the API server: one PATCH setting restartedAt.
    const restarts = standIn
      .writes()
      .filter(
        (request) =>
          request.method === "PATCH" &&
          request.path === DEPLOYMENT &&
          JSON.stringify(request.body).includes(RESTARTED_AT_ANNOTATION),
      );
    expect(restarts).toHaveLength(1);
    const template = (
      standIn.read(DEPLOYMENT)?.spec as { template: { metadata?: { annotations?: Record<string, string> } } }
    ).template;
    expect(Date.parse(template.metadata?.annotations?.[RESTARTED_AT_ANNOTATION] ?? "")).toBeGreaterThan(
      Date.now() - 10 * 60_000,
    );

    // The ledger's other views, and the admin route's role check.
    expect((await read(`/remediation/incidents/${receipt.incidentId}`)).status).toBe(200);
    const stats = (await (await read("/remediation/stats")).json()) as { successRate?: number };
    expect(stats).toMatchObject({ successRate: 1 });
    const reset = (token: string): Promise<Response> =>
      fetch(`${baseUrl}/api/v1/remediation/breakers/high-error-rate/reset`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}` },
      });
    expect((await reset(readToken)).status).toBe(403);
    expect((await reset(adminToken)).status).toBe(200);
    const metrics = await (await fetch(`${baseUrl}/metrics`)).text();
    expect(metrics).toMatch(
      /presage_remediation_actions_total\{runbook="high-error-rate",action="restart-deployment",outcome="applied"\} 1/,
    );
    expect(metrics).toMatch(/presage_remediation_alerts_total\{outcome="duplicate"\} 1/);

    // The silence set in the real Alertmanager (beforeAll) holds presage back on that Deployment.
    const silenced = await deliver(WEBHOOK_TOKEN, "cart");
    const skipped = ((await silenced.json()) as { receipts: { outcome: string; detail?: string }[] })
      .receipts[0];
    expect(skipped?.outcome).toBe("skipped");
    expect(skipped?.detail).toMatch(/^silenced by /);
    expect(standIn.writes().filter((request) => request.path.includes("/deployments/cart"))).toEqual([]);

    const exited = new Promise<number | null>((resolveExit) => served?.child.once("exit", resolveExit));
    served.child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(output()).toMatch(/presage: remediation stopped: 0 running remediations finished, 0 handed back/);
  }, 420_000);

  it("without a remediation section, answers /api/v1/remediation/* with 404 remediation not configured", async () => {
    served = await startPresageServe(["--model", "snaive", "--tick-ms", "0"], { timeoutMs: 180_000 });
    const { baseUrl, readToken } = served;
    expect(served.output()).toContain("presage: remediation: not configured");
    const response = await fetch(`${baseUrl}/api/v1/remediation/incidents`, {
      headers: { authorization: `Bearer ${readToken}` },
    });
    expect(response.status).toBe(404);
    expect(((await response.json()) as { code: string }).code).toBe("PRESAGE_REMEDIATION_NOT_CONFIGURED");
    const exited = new Promise<number | null>((resolveExit) => served?.child.once("exit", resolveExit));
    served.child.kill("SIGTERM");
    expect(await exited).toBe(0);
  }, 240_000);
});
