import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { API_PREFIX, buildApiApp, type ApiPlugin } from "../../src/api/api-app.js";
import { alertWebhookRoutes } from "../../src/api/routes/alert-webhook-routes.js";
import { remediationRoutes } from "../../src/api/routes/remediation-routes.js";
import { createRemediation, type Remediation } from "../../src/remediation/create-remediation.js";
import {
  remediationConfigSchema,
  resolveRemediationConfig,
} from "../../src/remediation/remediation-config.js";
import { InMemoryBackend } from "./in-memory-backend.js";
import type { KubeApiStandIn } from "./kube-api-stand-in.js";
import { kubeConfigFor } from "./kube-fixtures.js";

export const CHAOS_WEBHOOK_TOKEN = "chaos-alertmanager-webhook-token";
export const CHAOS_ADMIN_TOKEN = "chaos-admin-token-0123456789";
export const CHAOS_READ_TOKEN = "chaos-read-token-0123456789";

/** A notification the local receiver captured. */
export interface CapturedNotification {
  /** `slack` (Slack incoming-webhook format) or `pager` (the generic JSON webhook). */
  readonly sink: "slack" | "pager";
  readonly atMs: number;
  readonly body: Record<string, unknown>;
}

/** A local HTTP receiver standing in for Slack (`/slack`) and a pager (`/pager`). */
export interface NotificationReceiver {
  readonly url: string;
  readonly captured: readonly CapturedNotification[];
  close(): Promise<void>;
}

export async function startNotificationReceiver(): Promise<NotificationReceiver> {
  const captured: CapturedNotification[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const path = (request.url ?? "").split("?")[0];
      const sink = path === "/slack" ? "slack" : path === "/pager" ? "pager" : undefined;
      if (request.method !== "POST" || sink === undefined) {
        response.writeHead(404).end();
        return;
      }
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
        captured.push({ sink, atMs: Date.now(), body });
        response.writeHead(200, { "content-type": "text/plain" }).end("ok");
      } catch {
        response.writeHead(400).end("not JSON");
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    captured,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** Where presage's dependencies are, and the (time-scaled) runbooks it loads. */
export interface ChaosPresageOptions {
  readonly standIn: KubeApiStandIn;
  readonly prometheusUrl: string;
  readonly alertmanagerUrl: string;
  readonly runbooksDir: string;
  /** Embedded mode: guards, ledger and outbox as files here. */
  readonly directory: string;
  readonly receiverUrl: string;
  /** `remediation.guards` of the run (durations already time-scaled). */
  readonly guards: Record<string, unknown>;
  readonly log?: (line: string) => void;
}

/** presage as it runs in production: the API app with remediation mounted, listening on loopback. */
export interface ChaosPresage {
  readonly url: string;
  /** Alertmanager's webhook URL. */
  readonly webhookUrl: string;
  readonly remediation: Remediation;
  readonly app: FastifyInstance;
  /** GET/POST against the API with the read or admin token. */
  api(
    method: "GET" | "POST",
    path: string,
    role?: "read" | "admin",
  ): Promise<{ status: number; body: unknown }>;
  close(): Promise<void>;
}

/**
 * presage composed from its public pieces, as `presage serve` would with a `remediation:` section:
 * the config section validated and resolved (`remediationConfigSchema`), `createRemediation` (runbooks,
 * file store, Kubernetes actions over the stand-in, Alertmanager silences, the Prometheus probe, the
 * outbox to Slack and a pager), and the API app (`buildApiApp`) with the Alertmanager webhook and the
 * remediation routes mounted as a plugin under `/api/v1` and the remediation metrics on `/metrics`.
 */
export async function startChaosPresage(options: ChaosPresageOptions): Promise<ChaosPresage> {
  const section = remediationConfigSchema.parse({
    runbooksDir: options.runbooksDir,
    directory: options.directory,
    // Runbooks that set no mode stay in dry-run, as shipped; the shipped top 5 all set theirs.
    defaultMode: "dry-run",
    webhook: { tokens: [CHAOS_WEBHOOK_TOKEN] },
    guards: options.guards,
    alertmanager: { url: options.alertmanagerUrl, onUnavailable: "skip" },
    notifications: {
      sinks: [
        { name: "slack", type: "slack", url: `${options.receiverUrl}/slack` },
        {
          name: "pager",
          type: "webhook",
          url: `${options.receiverUrl}/pager`,
          kinds: ["escalated", "breaker-opened"],
        },
      ],
      maxAttempts: 5,
      ledgerBaseUrl: "http://presage.chaos.test",
    },
  });
  const config = resolveRemediationConfig(section, (path) => path);
  const remediation = await createRemediation({
    config,
    kubeConfig: kubeConfigFor(options.standIn),
    prometheus: {
      url: options.prometheusUrl,
      timeoutMs: 5000,
    },
    ...(options.log === undefined ? {} : { log: options.log }),
  });
  const plugin: ApiPlugin = (app, context) =>
    app.register(async (scope) => {
      await scope.register(alertWebhookRoutes, {
        prefix: API_PREFIX,
        engine: remediation.engine,
        tokens: remediation.webhookTokens,
        bodyLimitBytes: config.webhook.bodyLimitBytes,
      });
      await scope.register(remediationRoutes, {
        prefix: API_PREFIX,
        engine: remediation.engine,
        auth: context.auth,
      });
    });
  const app = await buildApiApp({
    backend: new InMemoryBackend(),
    tokens: [
      { name: "on-call", role: "admin", token: CHAOS_ADMIN_TOKEN },
      { name: "chaos-harness", role: "read", token: CHAOS_READ_TOKEN },
    ],
    rateLimit: { requestsPerSecond: 0 },
    metrics: [remediation.metrics],
    dashboard: false,
    plugins: [plugin],
  });
  await app.listen({ port: 0, host: "127.0.0.1" });
  const address = app.server.address() as AddressInfo;
  const url = `http://127.0.0.1:${address.port}`;
  return {
    url,
    webhookUrl: `${url}${API_PREFIX}/alerts/alertmanager`,
    remediation,
    app,
    api: async (method, path, role = "read") => {
      const response = await fetch(`${url}${API_PREFIX}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${role === "admin" ? CHAOS_ADMIN_TOKEN : CHAOS_READ_TOKEN}`,
          ...(method === "POST" ? { "content-type": "application/json" } : {}),
        },
        ...(method === "POST" ? { body: "{}" } : {}),
        signal: AbortSignal.timeout(10_000),
      });
      return { status: response.status, body: (await response.json()) as object };
    },
    close: async () => {
      await app.close();
      await remediation.close();
    },
  };
}
