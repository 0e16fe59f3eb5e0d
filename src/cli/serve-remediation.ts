import { readFile } from "node:fs/promises";
import type { FastifyReply, FastifyRequest } from "fastify";
import { API_PREFIX, type ApiPlugin } from "../api/api-app.js";
import { PROBLEM_CONTENT_TYPE } from "../api/api-problem.js";
import { alertWebhookRoutes } from "../api/routes/alert-webhook-routes.js";
import { remediationRoutes } from "../api/routes/remediation-routes.js";
import { ConfigError, type ConfigProblem, type ResolvedConfig } from "../config/presage-config.js";
import { createRemediation, type Remediation } from "../remediation/create-remediation.js";
import { IncidentState } from "../remediation/ledger/incident.js";
import { alertSubject, NotificationKind } from "../remediation/notifications/remediation-notification.js";
import { releaseIncident } from "../remediation/planning/decide-admission.js";
import type { ResolvedRemediationConfig } from "../remediation/remediation-config.js";
import { errorMessage, RemediationError, RemediationErrorCode } from "../remediation/remediation-error.js";
import { loadRunbooks, RunbookError } from "../remediation/runbooks/load-runbooks.js";
import { createFailurePredictor } from "../prediction/create-failure-predictor.js";
import type { FailurePredictor } from "../prediction/failure-predictor.js";
import { PredictionError } from "../prediction/prediction-error.js";
import { loadKubeConfig } from "../kubernetes/load-kube-config.js";
import type { MetricsSource } from "../telemetry/metrics-server.js";
import { shownUrl } from "../http/shown-url.js";

/** Options of {@link ServeRemediation.start}. */
export interface ServeRemediationOptions {
  /** The whole config: its `remediation:` section (required), `redis:` (store) and `prometheus:` (verification). */
  readonly config: ResolvedConfig;
  /** Where the config came from, for error messages. @defaultValue "config" */
  readonly configSource?: string;
  /**
   * A kubeconfig file. @defaultValue none: in a pod the mounted ServiceAccount, outside `$KUBECONFIG`
   * or `~/.kube/config` (see `loadKubeConfig`)
   */
  readonly kubeconfigPath?: string;
  /**
   * How long a shutdown waits for running remediations to finish before it hands them back (stops
   * their verification, releases their guard slot, pages a human). Keep it under the pod's
   * `terminationGracePeriodSeconds` (30 s by default). @defaultValue 20 000
   */
  readonly shutdownGraceMs?: number;
  /** How long a shutdown tries to deliver queued notifications (the rest stay in the store). @defaultValue 5000 */
  readonly flushTimeoutMs?: number;
  /** @defaultValue none */
  readonly log?: (line: string) => void;
}

/** What a graceful stop did. */
export interface RemediationShutdown {
  /** Remediations running at the stop that finished within the grace. */
  readonly finished: number;
  /** Incidents whose remediation was stopped and escalated to a human. */
  readonly handedBack: readonly string[];
  /** Notifications still queued in the store after the flush (delivered by the next start or replica). */
  readonly pendingNotifications: number;
}

/** Raised into sleeping verifications when the server stops. */
const SHUTDOWN_REASON = "presage is shutting down";

/**
 * Remediation as `presage serve` runs it: the engine from the config's `remediation:` section
 * (`createRemediation`: runbooks, store in Redis when `redis:` is configured or files in
 * `remediation.directory`, Kubernetes actions with the kubeconfig or the pod's ServiceAccount,
 * Prometheus for `verify.promql`, Alertmanager silences, the notification outbox), the API plugin that
 * mounts the Alertmanager webhook and the remediation routes under `/api/v1`, and its metrics for
 * `/metrics`.
 *
 * {@link stop} is the graceful half: call it after the HTTP server stopped accepting requests.
 */
export class ServeRemediation {
  /** Mounts `POST /api/v1/alerts/alertmanager` and `/api/v1/remediation/*` (pass to `buildApiApp`). */
  readonly plugin: ApiPlugin;
  /** Remediation metrics for `/metrics`. */
  readonly metrics: readonly MetricsSource[];
  private readonly controller = new AbortController();
  private stopping: Promise<RemediationShutdown> | undefined;

  private constructor(
    readonly remediation: Remediation,
    private readonly config: ResolvedRemediationConfig,
    /** One line per dependency, for the start-up banner. */
    readonly summary: readonly string[],
    private readonly options: ServeRemediationOptions,
    /** The failure predictor raising preventive incidents, when the config has a `prediction:` section. */
    private readonly predictor?: { readonly loop: FailurePredictor; readonly metrics: MetricsSource },
  ) {
    this.metrics = predictor === undefined ? [remediation.metrics] : [remediation.metrics, predictor.metrics];
    this.plugin = (app, context) =>
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
  }

  /**
   * Builds remediation from `options.config.remediation`. A runbook directory with problems, an
   * unreadable webhook token file or kubeconfig is a `ConfigError` listing what is wrong.
   */
  static async start(options: ServeRemediationOptions): Promise<ServeRemediation> {
    const { config } = options;
    const source = options.configSource ?? "config";
    const section = config.remediation;
    if (section === undefined) {
      throw new ConfigError(source, [{ field: "remediation", rule: "is required to serve remediation" }]);
    }
    let kubeConfig;
    try {
      kubeConfig = loadKubeConfig(
        options.kubeconfigPath === undefined ? {} : { kubeconfigPath: options.kubeconfigPath },
      );
    } catch (error) {
      throw new ConfigError(source, [
        {
          field: "--kubeconfig",
          ...(options.kubeconfigPath === undefined ? {} : { value: JSON.stringify(options.kubeconfigPath) }),
          rule: `gives no usable Kubernetes credentials: ${errorMessage(error)}`,
        },
      ]);
    }
    const prometheus = config.prometheus;
    let prometheusToken = prometheus?.bearerToken;
    if (prometheus?.bearerTokenFile !== undefined) {
      prometheusToken = await readTokenFile(source, "prometheus.bearerTokenFile", prometheus.bearerTokenFile);
    }
    if (section.webhook.tokenFile !== undefined) {
      // createRemediation reads it too; checked here for a message naming the field.
      await readTokenFile(source, "remediation.webhook.tokenFile", section.webhook.tokenFile);
    }
    const holder: { controller?: AbortController } = {};
    let runbooks: readonly string[];
    let remediation: Remediation;
    try {
      // Loaded here too (createRemediation loads them for the engine) to name them in the banner.
      runbooks = (await loadRunbooks(section.runbooksDir)).map((runbook) => runbook.name);
      remediation = await createRemediation({
        config: section,
        ...(config.redis === undefined ? {} : { redisUrl: config.redis.url }),
        kubeConfig,
        ...(prometheus === undefined
          ? {}
          : {
              prometheus: {
                url: prometheus.url,
                ...(prometheusToken === undefined ? {} : { bearerToken: prometheusToken }),
                headers: prometheus.headers,
                timeoutMs: prometheus.timeoutMs,
              },
            }),
        ...(options.log === undefined ? {} : { log: options.log }),
        sleep: (ms) => abortableSleep(ms, holder.controller?.signal),
      });
    } catch (error) {
      if (error instanceof RunbookError) {
        throw new ConfigError(
          `${source}: remediation.runbooksDir (${section.runbooksDir})`,
          error.problems.map((problem): ConfigProblem => ({
            field: `${problem.file}: ${problem.field}`,
            rule: problem.rule,
          })),
        );
      }
      throw error;
    }
    const summary = [
      `${runbooks.length} runbook${runbooks.length === 1 ? "" : "s"} from ${section.runbooksDir}` +
        (runbooks.length === 0 ? "" : ` (${runbooks.join(", ")})`) +
        `; default mode ${section.defaultMode}`,
      config.redis === undefined
        ? `guards, ledger and outbox in files under ${section.directory}`
        : `guards, ledger and outbox in Redis (${shownUrl(config.redis.url)})`,
      `Kubernetes API ${kubeConfig.getCurrentCluster()?.server ?? "(none)"}`,
      prometheus === undefined
        ? "no prometheus section: verify.promql checks fail (runbooks using them escalate)"
        : `verification queries Prometheus at ${prometheus.url}`,
      section.alertmanager === undefined
        ? "no remediation.alertmanager: silences are not checked"
        : `silences from Alertmanager at ${section.alertmanager.url}`,
      `${section.notifications.sinks.length} notification sink${section.notifications.sinks.length === 1 ? "" : "s"}`,
    ];
    let predictor: { loop: FailurePredictor; metrics: MetricsSource } | undefined;
    if (config.prediction !== undefined && prometheus !== undefined) {
      try {
        const prediction = createFailurePredictor({
          config: config.prediction,
          prometheus: {
            ...prometheus,
            ...(prometheusToken === undefined ? {} : { bearerToken: prometheusToken }),
          },
          remediation: remediation.engine,
          runbooks: remediation.runbooks,
          ...(options.log === undefined ? {} : { log: options.log }),
        });
        predictor = { loop: prediction.predictor, metrics: prediction.metrics.registry };
      } catch (error) {
        await remediation.store.close().catch(() => undefined);
        if (error instanceof PredictionError) {
          throw new ConfigError(source, [{ field: "prediction", rule: error.message }]);
        }
        throw error;
      }
      const count = config.prediction.predictions.length + config.prediction.anomalies.length;
      summary.push(
        `failure predictor: ${count} prediction${count === 1 ? "" : "s"} raising preventive incidents`,
      );
    }
    const service = new ServeRemediation(remediation, section, summary, options, predictor);
    holder.controller = service.controller;
    predictor?.loop.start();
    return service;
  }

  /**
   * Graceful stop, once the HTTP server no longer accepts deliveries (Alertmanager retries them
   * elsewhere or after the restart: nothing was claimed): running remediations get `shutdownGraceMs`
   * to finish; those still running are then stopped at their next verification wait, their
   * concurrency slot is released, and their incident is escalated ("presage stopped before … finished;
   * what it did stays applied") with a page — never left looking as if presage were still on it. Then
   * the outbox delivers what it can within `flushTimeoutMs` (the rest stays persisted) and the store
   * closes. Never throws; idempotent.
   */
  stop(): Promise<RemediationShutdown> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<RemediationShutdown> {
    const { engine, outbox, store } = this.remediation;
    const log = this.options.log ?? (() => undefined);
    // No new preventive incidents once stopping; the ones in flight are handled like any other.
    await this.predictor?.loop.stop();
    const running = engine.inFlight();
    const finishedInGrace = await within(engine.idle(), this.options.shutdownGraceMs ?? 20_000);
    const stillRunning = finishedInGrace ? [] : engine.inFlight();
    const handedBack: string[] = [];
    if (!finishedInGrace) {
      this.controller.abort(new RemediationError(RemediationErrorCode.actionFailed, SHUTDOWN_REASON));
      // Verification waits reject at once; an action call in progress ends within its retry budget.
      if (!(await within(engine.idle(), 15_000))) {
        log(`remediation: ${engine.inFlight().length} remediations still running after the stop signal`);
      }
      for (const incidentId of stillRunning) {
        try {
          if (await this.handBack(incidentId)) handedBack.push(incidentId);
        } catch (error) {
          log(`remediation: could not hand back incident ${incidentId}: ${errorMessage(error)}`);
        }
      }
    }
    await outbox.stop();
    let pendingNotifications = 0;
    try {
      // Each pass delivers what is due (up to 50); failed entries are rescheduled with backoff and
      // stay in the store, so passes stop once one delivers nothing.
      const deadline = Date.now() + (this.options.flushTimeoutMs ?? 5000);
      while (Date.now() < deadline) {
        const delivered = await valueWithin(outbox.dispatch(), deadline - Date.now());
        if (delivered === undefined || delivered === 0) break;
      }
      pendingNotifications = await store.pendingNotifications();
    } catch (error) {
      log(`remediation: flushing notifications failed: ${errorMessage(error)}`);
    }
    await store.close().catch((error: unknown) => {
      log(`remediation: closing the store failed: ${errorMessage(error)}`);
    });
    return {
      finished: running.length - stillRunning.length,
      handedBack,
      pendingNotifications,
    };
  }

  /** Escalates an incident whose remediation was stopped; false when it had ended meanwhile. */
  private async handBack(incidentId: string): Promise<boolean> {
    const { engine, store, outbox, metrics } = this.remediation;
    await store.updateGuards((state) => ({ state: releaseIncident(state, incidentId), result: undefined }));
    const before = await engine.incident(incidentId);
    if (
      before === undefined ||
      before.state === IncidentState.healed ||
      before.state === IncidentState.escalated
    ) {
      return false;
    }
    const last = [...before.timeline].reverse().find((event) => event.type !== "duplicate");
    const reason =
      `presage stopped (shutdown) before the remediation finished; last recorded: ${last?.type ?? "nothing"}` +
      `. Actions already applied stay in place (${before.actions}); check ${alertSubject(before.labels)} by hand.`;
    await store.appendEvent(incidentId, { type: "escalated", reason, atMs: Date.now() });
    metrics.incidents.inc({ outcome: "escalated" });
    const incident = (await engine.incident(incidentId)) ?? before;
    const base = this.config.notifications.ledgerBaseUrl?.replace(/\/+$/, "");
    await outbox.notify({
      kind: NotificationKind.escalated,
      summary: `Needs a human: ${incident.alertname} on ${alertSubject(incident.labels)}`,
      reason,
      incident,
      ...(base === undefined
        ? {}
        : { ledgerUrl: `${base}${API_PREFIX}/remediation/incidents/${incidentId}` }),
    });
    return true;
  }
}

/**
 * For a server without a `remediation:` section: `/api/v1/remediation/*` and the Alertmanager webhook
 * answer 404 `PRESAGE_REMEDIATION_NOT_CONFIGURED` saying so (not a bare "no route"), so a
 * misrouted Alertmanager or a dashboard asking for incidents learns why.
 */
export const remediationNotConfiguredPlugin: ApiPlugin = (app) =>
  app.register((scope, _options, done) => {
    const answer = (request: FastifyRequest, reply: FastifyReply): FastifyReply =>
      reply
        .code(404)
        .type(PROBLEM_CONTENT_TYPE)
        .send(
          JSON.stringify({
            type: `urn:presage:problem:${RemediationErrorCode.notConfigured}`,
            title: "Remediation not configured",
            status: 404,
            detail:
              "remediation is not configured on this server: start presage serve with --config <file> " +
              "holding a remediation: section (runbooks, webhook tokens)",
            code: RemediationErrorCode.notConfigured,
            instance: request.url.split("?")[0],
          }),
        );
    const schema = { hide: true };
    scope.all(`${API_PREFIX}/remediation`, { schema }, answer);
    scope.all(`${API_PREFIX}/remediation/*`, { schema }, answer);
    scope.all(`${API_PREFIX}/alerts/alertmanager`, { schema }, answer);
    done();
  });

/** Resolves true when `promise` settles within `timeoutMs`, false otherwise (it keeps running). */
async function within(promise: Promise<unknown>, timeoutMs: number): Promise<boolean> {
  const settled = promise.then(
    () => true,
    () => true,
  );
  return (await valueWithin(settled, timeoutMs)) ?? false;
}

/** The value of `promise` if it resolves within `timeoutMs`; undefined on timeout or rejection. */
async function valueWithin<T>(promise: Promise<T>, timeoutMs: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(
      () => {
        resolve(undefined);
      },
      Math.max(0, timeoutMs),
    );
  });
  try {
    return await Promise.race([promise.catch(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A timer that rejects with the signal's reason once it is aborted. */
function abortableSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

async function readTokenFile(source: string, field: string, path: string): Promise<string> {
  try {
    return (await readFile(path, "utf8")).trim();
  } catch (error) {
    throw new ConfigError(source, [
      { field, value: JSON.stringify(path), rule: `cannot be read: ${errorMessage(error)}` },
    ]);
  }
}
