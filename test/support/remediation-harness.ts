import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import { RequestRateLimiter } from "../../src/api/auth/request-rate-limiter.js";
import { TokenVerifier } from "../../src/api/auth/token-verifier.js";
import { alertWebhookRoutes } from "../../src/api/routes/alert-webhook-routes.js";
import { remediationRoutes } from "../../src/api/routes/remediation-routes.js";
import type { SilenceSource } from "../../src/remediation/alerting/alertmanager-silences.js";
import type { PromqlProbe } from "../../src/remediation/execution/action-runner.js";
import { RoutingActionRunner } from "../../src/remediation/execution/http-hook-runner.js";
import {
  RemediationEngine,
  type RemediationEngineOptions,
} from "../../src/remediation/execution/remediation-engine.js";
import { KubernetesActions } from "../../src/remediation/kubernetes/kubernetes-actions.js";
import { RemediationMetrics } from "../../src/remediation/ledger/remediation-metrics.js";
import type { NotificationOutbox } from "../../src/remediation/notifications/notification-outbox.js";
import { DEFAULT_GUARD_LIMITS, type GuardLimits } from "../../src/remediation/planning/guard-limits.js";
import type { Runbook } from "../../src/remediation/runbooks/runbook.js";
import { FileRemediationStore } from "../../src/remediation/storage/file-remediation-store.js";
import { RedisRemediationStore } from "../../src/remediation/storage/redis-remediation-store.js";
import type { RemediationStore } from "../../src/remediation/storage/remediation-store.js";
import {
  kubePaths,
  startKubeApiStandIn,
  type KubeApiStandIn,
  type SimulatedDeployments,
} from "./kube-api-stand-in.js";
import { deploymentObject, kubeConfigFor } from "./kube-fixtures.js";

export const WEBHOOK_TOKEN = "alertmanager-secret";
export const ADMIN_TOKEN = "admin-secret";
export const READ_TOKEN = "read-secret";

/** One presage replica: engine + HTTP app on a shared store and the shared stand-in. */
export interface RemediationReplica {
  readonly engine: RemediationEngine;
  readonly app: FastifyInstance;
  readonly store: RemediationStore;
  readonly metrics: RemediationMetrics;
}

export interface RemediationHarnessOptions {
  readonly runbooks: readonly Runbook[];
  readonly limits?: Partial<GuardLimits>;
  /** Redis URL for cluster mode; a temp directory (file store) otherwise. */
  readonly redisUrl?: string;
  readonly deployments?: SimulatedDeployments;
  readonly promql?: PromqlProbe;
  readonly silences?: SilenceSource;
  readonly notifications?: (store: RemediationStore) => NotificationOutbox;
  readonly engine?: Partial<RemediationEngineOptions>;
}

/**
 * A stand-in Kubernetes API (Deployment controller simulated) and presage replicas sharing one store,
 * each with the webhook and remediation routes mounted under `/api/v1` as the API app does.
 */
export class RemediationHarness {
  readonly replicas: RemediationReplica[] = [];
  private directory: string | undefined;
  private keyPrefix = `presage-test-${Math.random().toString(36).slice(2)}:`;

  private constructor(
    readonly standIn: KubeApiStandIn,
    private readonly options: RemediationHarnessOptions,
  ) {}

  static async start(options: RemediationHarnessOptions): Promise<RemediationHarness> {
    const standIn = await startKubeApiStandIn({ simulateDeployments: options.deployments ?? true });
    return new RemediationHarness(standIn, options);
  }

  /** Seeds Deployments `shop/<name>` with `replicas` each. */
  seedDeployments(names: readonly string[], replicas = 4): void {
    for (const name of names) this.standIn.seed(deploymentObject({ namespace: "shop", name, replicas }));
  }

  /** PATCHes the stand-in saw on Deployments (each one an action applied or undone). */
  deploymentPatches(): { path: string; status: number }[] {
    return this.standIn
      .writes()
      .filter(
        (request) =>
          request.method === "PATCH" && request.path.includes("/deployments/") && request.status === 200,
      )
      .map((request) => ({ path: request.path, status: request.status }));
  }

  /** The state directory of embedded mode (undefined in cluster mode or before the first replica). */
  get stateDirectory(): string | undefined {
    return this.directory;
  }

  deploymentPath(name: string): string {
    return kubePaths.deployment("shop", name);
  }

  async addReplica(): Promise<RemediationReplica> {
    const store = await this.openStore();
    const metrics = new RemediationMetrics();
    const kubernetes = new KubernetesActions({
      kubeConfig: kubeConfigFor(this.standIn),
      sleep: () => Promise.resolve(),
    });
    const engine = new RemediationEngine({
      store,
      runbooks: this.options.runbooks,
      actions: new RoutingActionRunner(kubernetes),
      rollout: kubernetes,
      ...(this.options.promql === undefined ? {} : { promql: this.options.promql }),
      ...(this.options.silences === undefined ? {} : { silences: this.options.silences }),
      ...(this.options.notifications === undefined
        ? {}
        : { notifications: this.options.notifications(store) }),
      limits: { ...DEFAULT_GUARD_LIMITS, ...this.options.limits },
      defaultMode: "auto",
      metrics,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.min(ms, 20))),
      ...this.options.engine,
    });
    const app = Fastify({ logger: false });
    await app.register(alertWebhookRoutes, { prefix: "/api/v1", engine, tokens: [WEBHOOK_TOKEN] });
    await app.register(remediationRoutes, {
      prefix: "/api/v1",
      engine,
      auth: {
        verifier: new TokenVerifier([
          { name: "ops", role: "admin", token: ADMIN_TOKEN },
          { name: "viewer", role: "read", token: READ_TOKEN },
        ]),
        limiter: new RequestRateLimiter({ requestsPerSecond: 0 }),
      },
    });
    await app.ready();
    const replica = { engine, app, store, metrics };
    this.replicas.push(replica);
    return replica;
  }

  /** POSTs a webhook payload to a replica, as Alertmanager does. */
  deliver(replica: RemediationReplica, body: unknown, token = WEBHOOK_TOKEN) {
    return replica.app.inject({
      method: "POST",
      url: "/api/v1/alerts/alertmanager",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      payload: typeof body === "string" ? body : JSON.stringify(body),
    });
  }

  async idle(): Promise<void> {
    await Promise.all(this.replicas.map((replica) => replica.engine.idle()));
  }

  async close(): Promise<void> {
    await this.idle();
    for (const replica of this.replicas) {
      await replica.app.close();
      await replica.store.close();
    }
    await this.standIn.close();
    if (this.directory !== undefined) await rm(this.directory, { recursive: true, force: true });
  }

  private async openStore(): Promise<RemediationStore> {
    if (this.options.redisUrl !== undefined) {
      return new RedisRemediationStore({ url: this.options.redisUrl, keyPrefix: this.keyPrefix });
    }
    this.directory ??= await mkdtemp(join(tmpdir(), "presage-remediation-"));
    return FileRemediationStore.open({ directory: this.directory });
  }
}
