import { readFile } from "node:fs/promises";
import type { KubeConfig } from "@kubernetes/client-node";
import { KubernetesActuator } from "../scaler/kubernetes/kubernetes-actuator.js";
import { AlertmanagerSilences } from "./alerting/alertmanager-silences.js";
import type { PromqlProbe } from "./execution/action-runner.js";
import { RoutingActionRunner } from "./execution/http-hook-runner.js";
import { PrometheusPromqlProbe } from "./execution/prometheus-promql-probe.js";
import { RemediationEngine } from "./execution/remediation-engine.js";
import { KubernetesActions } from "./kubernetes/kubernetes-actions.js";
import { ScalerFloorActions } from "./kubernetes/scaler-floor-actions.js";
import { RemediationMetrics } from "./ledger/remediation-metrics.js";
import { NotificationOutbox } from "./notifications/notification-outbox.js";
import type { ResolvedRemediationConfig } from "./remediation-config.js";
import { loadRunbooks } from "./runbooks/load-runbooks.js";
import type { Runbook } from "./runbooks/runbook.js";
import { FileRemediationStore } from "./storage/file-remediation-store.js";
import { RedisRemediationStore } from "./storage/redis-remediation-store.js";
import type { RemediationStore } from "./storage/remediation-store.js";

/** What {@link createRemediation} is built from. */
export interface CreateRemediationOptions {
  readonly config: ResolvedRemediationConfig;
  /** Cluster mode: the shared Redis (`redis.url`); embedded mode without it (files in `config.directory`). */
  readonly redisUrl?: string;
  /** Credentials for the actions (see `loadKubeConfig`). */
  readonly kubeConfig: KubeConfig;
  /** For `verify.promql` (the `prometheus` section). @defaultValue none: promql checks fail */
  readonly prometheus?: {
    readonly url: string;
    readonly bearerToken?: string;
    readonly headers?: Readonly<Record<string, string>>;
    readonly timeoutMs?: number;
  };
  /** @defaultValue none */
  readonly log?: (line: string) => void;
  /**
   * The engine's waits between verification checks; a shutdown makes it reject so running
   * remediations stop waiting and can be handed back. @defaultValue a real timer
   */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Everything remediation needs at run time, wired; `close()` stops the outbox and the store. */
export interface Remediation {
  readonly engine: RemediationEngine;
  /** The runbooks loaded at start (the failure predictor checks its predictions' runbooks against them). */
  readonly runbooks: readonly Runbook[];
  readonly metrics: RemediationMetrics;
  readonly store: RemediationStore;
  readonly outbox: NotificationOutbox;
  /** Webhook tokens: `config.webhook.tokens` plus the one in `tokenFile`. */
  readonly webhookTokens: readonly string[];
  close(): Promise<void>;
}

/**
 * The composition of remediation from the config section: runbooks loaded (every problem at once,
 * `RunbookError`), the store (Redis or files), Kubernetes actions, Alertmanager silences, the
 * Prometheus probe, the outbox (dispatching every second) and the metrics. The coordinator mounts
 * `alertWebhookRoutes` / `remediationRoutes` with `engine` and serves `metrics` on `/metrics`.
 */
export async function createRemediation(options: CreateRemediationOptions): Promise<Remediation> {
  const { config } = options;
  const runbooks = await loadRunbooks(config.runbooksDir, {
    httpHookAllowedHosts: config.httpHookAllowedHosts,
  });
  const store: RemediationStore =
    options.redisUrl === undefined
      ? await FileRemediationStore.open({ directory: config.directory })
      : new RedisRemediationStore({ url: options.redisUrl });
  const kubernetes = new KubernetesActions({ kubeConfig: options.kubeConfig });
  const outbox = new NotificationOutbox({
    store,
    sinks: config.notifications.sinks,
    maxAttempts: config.notifications.maxAttempts,
    ...(options.log === undefined ? {} : { log: options.log }),
    onDead: (entry) => {
      metrics.deadNotifications.inc({ sink: entry.sink });
    },
    onDirectPageFailed: (sink) => {
      metrics.directPagesFailed.inc({ sink });
    },
  });
  let promql: PromqlProbe | undefined;
  if (options.prometheus !== undefined) {
    promql = new PrometheusPromqlProbe({
      url: options.prometheus.url,
      bearerToken: options.prometheus.bearerToken,
      headers: options.prometheus.headers,
      timeoutMs: options.prometheus.timeoutMs,
    });
  }
  const holder: { engine?: RemediationEngine } = {};
  const metrics = new RemediationMetrics({
    stats: () =>
      holder.engine === undefined ? Promise.reject(new Error("not ready")) : holder.engine.stats(),
  });
  const ledgerBase = config.notifications.ledgerBaseUrl?.replace(/\/+$/, "");
  const engine = new RemediationEngine({
    store,
    runbooks,
    actions: new RoutingActionRunner(
      kubernetes,
      undefined,
      // raise-scaler-floor writes as the scaler does (baseline annotation), so the scaler restores it.
      new ScalerFloorActions(new KubernetesActuator({ kubeConfig: options.kubeConfig })),
    ),
    rollout: kubernetes,
    ...(promql === undefined ? {} : { promql }),
    ...(config.alertmanager === undefined
      ? {}
      : {
          silences: new AlertmanagerSilences({
            url: config.alertmanager.url,
            ...(config.alertmanager.bearerToken === undefined
              ? {}
              : { bearerToken: config.alertmanager.bearerToken }),
          }),
          actWithoutSilences: config.alertmanager.actWithoutSilences,
        }),
    limits: config.limits,
    defaultMode: config.defaultMode,
    maintenanceWindows: config.maintenanceWindows,
    notifications: outbox,
    metrics,
    deliveryTtlMs: config.deliveryTtlMs,
    approvalTimeoutMs: config.approvalTimeoutMs,
    pageOnGuardDenial: config.pageOnGuardDenial,
    ...(ledgerBase === undefined
      ? {}
      : { ledgerUrl: (id: string) => `${ledgerBase}/api/v1/remediation/incidents/${id}` }),
    ...(options.log === undefined ? {} : { log: options.log }),
    ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
  });
  const fromFile =
    config.webhook.tokenFile === undefined
      ? []
      : [(await readFile(config.webhook.tokenFile, "utf8")).trim()].filter((token) => token !== "");
  holder.engine = engine;
  outbox.start();
  const built = engine;
  return {
    engine: built,
    runbooks,
    metrics,
    store,
    outbox,
    webhookTokens: [...config.webhook.tokens, ...fromFile],
    close: async () => {
      await outbox.stop();
      await built.idle();
      await store.close();
    },
  };
}
