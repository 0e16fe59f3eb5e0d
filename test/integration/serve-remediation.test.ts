import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildApiApp } from "../../src/api/api-app.js";
import { remediationNotConfiguredPlugin, ServeRemediation } from "../../src/cli/serve-remediation.js";
import { ConfigError, parseConfigText } from "../../src/config/presage-config.js";
import { RESTARTED_AT_ANNOTATION } from "../../src/remediation/kubernetes/kubernetes-actions.js";
import { FileRemediationStore } from "../../src/remediation/storage/file-remediation-store.js";
import { loadRunbooks } from "../../src/remediation/runbooks/load-runbooks.js";
import { InMemoryBackend } from "../support/in-memory-backend.js";
import { startRedis } from "../support/real-redis.js";
import { kubePaths, startKubeApiStandIn, type KubeApiStandIn } from "../support/kube-api-stand-in.js";
import { deploymentObject, kubeconfigYamlFor } from "../support/kube-fixtures.js";
import { startCapturingReceiver, type CapturingReceiver } from "../support/remediation-receiver.js";
import { restartRunbookYaml, webhookPayload } from "../support/remediation-fixtures.js";

const WEBHOOK_TOKEN = "serve-remediation-webhook-token";
const READ_TOKEN = "serve-remediation-read-token";

let dir: string;
let standIn: KubeApiStandIn;
let receiver: CapturingReceiver;
let rolloutReady: boolean;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "presage-serve-remediation-"));
  rolloutReady = true;
  standIn = await startKubeApiStandIn({ simulateDeployments: { rolloutReady: () => rolloutReady } });
  standIn.seed(deploymentObject({ namespace: "shop", name: "web", replicas: 8 }));
  receiver = await startCapturingReceiver();
  await writeFile(join(dir, "kubeconfig"), kubeconfigYamlFor(standIn));
  await mkdir(join(dir, "runbooks"));
});

afterEach(async () => {
  await receiver.close();
  await standIn.close();
  await rm(dir, { recursive: true, force: true });
});

/** The config file `presage serve --config` would read, with a restart runbook verified by rollout. */
function configText(redisUrl?: string): string {
  return [
    ...(redisUrl === undefined ? [] : [`redis: { url: "${redisUrl}" }`]),
    "remediation:",
    "  runbooksDir: runbooks",
    "  directory: state",
    `  webhook: { tokens: ["${WEBHOOK_TOKEN}"] }`,
    "  notifications:",
    `    sinks: [{ name: pager, type: webhook, url: "${receiver.url}/pager" }]`,
  ].join("\n");
}

async function writeRunbook(): Promise<void> {
  await writeFile(
    join(dir, "runbooks", "restart.yaml"),
    restartRunbookYaml({
      verify: "verify: { timeout: 10m, interval: 200ms, rollout: true }",
    }),
  );
}

async function startServing(shutdownGraceMs: number, redisUrl?: string) {
  const config = parseConfigText(configText(redisUrl), "presage.yaml", dir);
  const remediation = await ServeRemediation.start({
    config,
    configSource: "presage.yaml",
    kubeconfigPath: join(dir, "kubeconfig"),
    shutdownGraceMs,
    flushTimeoutMs: 10_000,
  });
  const app = await buildApiApp({
    backend: new InMemoryBackend(),
    tokens: [{ name: "reader", role: "read", token: READ_TOKEN }],
    metrics: remediation.metrics,
    dashboard: false,
    plugins: [remediation.plugin],
  });
  return { remediation, app };
}

const alert = { labels: { alertname: "HighErrorRate", namespace: "shop", deployment: "web" } };

describe("remediation in presage serve (ServeRemediation)", () => {
  it("mounts the webhook and the ledger in the API and its metrics on /metrics", async () => {
    await writeRunbook();
    const { remediation, app } = await startServing(20_000);
    try {
      expect(remediation.summary.join("\n")).toContain("1 runbook from");
      expect(remediation.summary.join("\n")).toContain(standIn.url);
      const delivered = await app.inject({
        method: "POST",
        url: "/api/v1/alerts/alertmanager",
        headers: { authorization: `Bearer ${WEBHOOK_TOKEN}` },
        payload: webhookPayload([alert]),
      });
      expect(delivered.statusCode).toBe(200);
      expect(delivered.json<{ receipts: { outcome: string }[] }>().receipts[0]?.outcome).toBe("acting");
      await remediation.remediation.engine.idle();
      const listed = await app.inject({
        method: "GET",
        url: "/api/v1/remediation/incidents",
        headers: { authorization: `Bearer ${READ_TOKEN}` },
      });
      expect(listed.json<{ incidents: { state: string }[] }>().incidents.map((one) => one.state)).toEqual([
        "healed",
      ]);
      const metrics = await app.inject({ method: "GET", url: "/metrics" });
      expect(metrics.body).toMatch(/presage_remediation_incidents_total\{outcome="healed"\} 1/);
    } finally {
      await app.close();
      await remediation.stop();
    }
  });

  it("with a redis section, two replicas share delivery claims and the ledger: the same alert to each acts once", async () => {
    await writeRunbook();
    const redis = await startRedis();
    const replicas = [await startServing(20_000, redis.url), await startServing(20_000, redis.url)];
    try {
      expect(replicas[0]!.remediation.summary.join("\n")).toContain("in Redis (redis://127.0.0.1:");
      const outcomes: string[] = [];
      for (const { app } of replicas) {
        const response = await app.inject({
          method: "POST",
          url: "/api/v1/alerts/alertmanager",
          headers: { authorization: `Bearer ${WEBHOOK_TOKEN}` },
          payload: webhookPayload([alert]),
        });
        outcomes.push(response.json<{ receipts: { outcome: string }[] }>().receipts[0]!.outcome);
      }
      expect(outcomes).toEqual(["acting", "duplicate"]);
      for (const { remediation } of replicas) await remediation.remediation.engine.idle();
      const restarts = standIn
        .writes()
        .filter(
          (request) =>
            request.method === "PATCH" && JSON.stringify(request.body).includes(RESTARTED_AT_ANNOTATION),
        );
      expect(restarts).toHaveLength(1);
      const listed = await replicas[1]!.app.inject({
        method: "GET",
        url: "/api/v1/remediation/incidents",
        headers: { authorization: `Bearer ${READ_TOKEN}` },
      });
      expect(listed.json<{ incidents: { state: string }[] }>().incidents.map((one) => one.state)).toEqual([
        "healed",
      ]);
    } finally {
      for (const { app, remediation } of replicas) {
        await app.close();
        await remediation.stop();
      }
      await redis.stop();
    }
  });

  it("hands a remediation still verifying at shutdown back to a human: escalated, its guard slot released, the page delivered", async () => {
    rolloutReady = false; // the restart's rollout never completes: verification would wait 10 minutes
    await writeRunbook();
    const { remediation, app } = await startServing(300);
    const delivered = await app.inject({
      method: "POST",
      url: "/api/v1/alerts/alertmanager",
      headers: { authorization: `Bearer ${WEBHOOK_TOKEN}` },
      payload: webhookPayload([alert]),
    });
    const { incidentId } = delivered.json<{ receipts: { incidentId: string }[] }>().receipts[0]!;
    const engine = remediation.remediation.engine;
    for (let tries = 0; ; tries++) {
      const incident = await engine.incident(incidentId);
      if (incident?.timeline.some((event) => event.type === "acted") === true) break;
      if (tries > 400) throw new Error(`no action within 20 s: ${JSON.stringify(incident?.timeline)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(engine.inFlight()).toEqual([incidentId]);

    await app.close();
    const stopped = await remediation.stop();

    expect(stopped).toEqual({ finished: 0, handedBack: [incidentId], pendingNotifications: 0 });
    expect(engine.inFlight()).toEqual([]);
    const store = await FileRemediationStore.open({ directory: join(dir, "state") });
    try {
      const guards = await store.readGuards();
      expect(guards.inflight).toEqual({});
      expect(guards.disruptions).toEqual([]);
      const events = await store.events(incidentId);
      const escalated = events.filter((event) => event.type === "escalated");
      expect(escalated).toHaveLength(1);
      expect(escalated[0]?.type === "escalated" ? escalated[0].reason : "").toContain(
        "presage stopped (shutdown)",
      );
      // Nothing presage applied was rolled back behind the human's back: the restart stays.
      const template = (
        standIn.read(kubePaths.deployment("shop", "web"))?.spec as {
          template: { metadata?: { annotations?: Record<string, string> } };
        }
      ).template;
      expect(template.metadata?.annotations?.[RESTARTED_AT_ANNOTATION]).toBeDefined();
    } finally {
      await store.close();
    }
    // The page went out before stop() returned (the outbox was flushed).
    expect(receiver.bodies).toHaveLength(1);
    expect(JSON.stringify(receiver.bodies[0])).toContain("Needs a human: HighErrorRate on web");
    expect(JSON.stringify(receiver.bodies[0])).toContain("presage stopped (shutdown)");
    // Idempotent.
    await expect(remediation.stop()).resolves.toEqual(stopped);
  });

  it("starts the failure predictor with a prediction section, serves its metrics, and refuses a prediction naming an unknown runbook", async () => {
    await writeRunbook();
    const predictionText = (runbook: string): string =>
      [
        configText(),
        'prometheus: { url: "http://127.0.0.1:9" }',
        "prediction:",
        "  interval: 1h",
        "  step: 15s",
        "  predictions:",
        "    - name: memory-oom",
        "      alertname: HighErrorRate",
        "      query: demo_memory_ratio",
        "      limit: { value: 1 }",
        "      horizon: 20m",
        "      threshold: 0.8",
        `      runbook: ${runbook}`,
      ].join("\n");
    const runbookName = (await loadRunbooks(join(dir, "runbooks")))[0]?.name ?? "?";
    const config = parseConfigText(predictionText(runbookName), "presage.yaml", dir);
    const served = await ServeRemediation.start({
      config,
      configSource: "presage.yaml",
      kubeconfigPath: join(dir, "kubeconfig"),
    });
    try {
      expect(served.summary.join("\n")).toContain("failure predictor: 1 prediction");
      const texts = await Promise.all(served.metrics.map((source) => source.metrics()));
      expect(texts.join("\n")).toMatch(/presage_prediction_/);
    } finally {
      await served.stop();
    }
    const wrong = parseConfigText(predictionText("no-such-runbook"), "presage.yaml", dir);
    const error = await ServeRemediation.start({
      config: wrong,
      configSource: "presage.yaml",
      kubeconfigPath: join(dir, "kubeconfig"),
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/no-such-runbook/);
  });

  it("reports a runbook directory with problems as a config error naming file, field and rule", async () => {
    await writeFile(join(dir, "runbooks", "bad.yaml"), "name: Bad_Name\nsteps: []\n");
    const config = parseConfigText(configText(), "presage.yaml", dir);
    const error = await ServeRemediation.start({
      config,
      configSource: "presage.yaml",
      kubeconfigPath: join(dir, "kubeconfig"),
    }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain("remediation.runbooksDir");
    expect((error as ConfigError).problems.some((problem) => problem.field.startsWith("bad.yaml: "))).toBe(
      true,
    );
  });

  it("reports a missing kubeconfig as a config error naming the flag", async () => {
    await writeRunbook();
    const config = parseConfigText(configText(), "presage.yaml", dir);
    const error = await ServeRemediation.start({
      config,
      kubeconfigPath: join(dir, "no-such-kubeconfig"),
    }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems[0]?.field).toBe("--kubeconfig");
  });
});

describe("presage serve without a remediation section", () => {
  it("answers the remediation routes and the webhook with 404 PRESAGE_REMEDIATION_NOT_CONFIGURED, and hides them from /docs", async () => {
    const app = await buildApiApp({
      backend: new InMemoryBackend(),
      tokens: [{ name: "reader", role: "read", token: READ_TOKEN }],
      dashboard: false,
      plugins: [remediationNotConfiguredPlugin],
    });
    try {
      for (const [method, url] of [
        ["GET", "/api/v1/remediation/incidents"],
        ["GET", "/api/v1/remediation/stats"],
        ["POST", "/api/v1/remediation/incidents/x/approve"],
        ["POST", "/api/v1/alerts/alertmanager"],
      ] as const) {
        const response = await app.inject({ method, url, payload: method === "POST" ? {} : undefined });
        expect(response.statusCode, url).toBe(404);
        expect(response.headers["content-type"]).toContain("application/problem+json");
        const body = response.json<{ code: string; detail: string; instance: string }>();
        expect(body.code).toBe("PRESAGE_REMEDIATION_NOT_CONFIGURED");
        expect(body.detail).toContain("remediation is not configured");
        expect(body.instance).toBe(url);
      }
      const other = await app.inject({ method: "GET", url: "/api/v1/nothing-here" });
      expect(other.json<{ code: string }>().code).toBe("PRESAGE_API_ROUTE_NOT_FOUND");
      const docs = await app.inject({ method: "GET", url: "/docs/json" });
      expect(Object.keys(docs.json<{ paths: Record<string, unknown> }>().paths).join(" ")).not.toContain(
        "remediation",
      );
    } finally {
      await app.close();
    }
  });
});

describe("examples/presage.yaml", () => {
  it("holds a (commented-out) remediation section that is a valid config", async () => {
    const text = await readFile(resolve(import.meta.dirname, "../../examples/presage.yaml"), "utf8");
    const lines = text.split("\n");
    const start = lines.indexOf("# remediation:");
    expect(start).toBeGreaterThan(0);
    const block: string[] = [];
    for (const line of lines.slice(start)) {
      if (!line.startsWith("#")) break;
      block.push(line.replace(/^# ?/, ""));
    }
    const config = parseConfigText(
      ["prometheus: { url: http://prometheus:9090 }", ...block].join("\n"),
      "examples/presage.yaml",
    );
    expect(config.remediation).toMatchObject({
      runbooksDir: "/etc/presage/runbooks",
      defaultMode: "dry-run",
      webhook: { tokenFile: "/etc/presage/webhook/token" },
      limits: { cooldownMs: 600_000, maxActionsPerHour: 30, breakerThreshold: 3 },
      alertmanager: { actWithoutSilences: false },
    });
    expect(config.remediation?.notifications.sinks.map((sink) => sink.format)).toEqual(["slack", "webhook"]);
    expect(config.remediation?.maintenanceWindows).toHaveLength(1);
  });
});
