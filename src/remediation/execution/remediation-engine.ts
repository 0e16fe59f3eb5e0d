import { deliveryKey, incidentIdOf, type ReceivedAlert } from "../alerting/alertmanager-payload.js";
import type { SilenceSource } from "../alerting/alertmanager-silences.js";
import type { Silence } from "../alerting/silence.js";
import type {
  IncidentEvent,
  IncidentEventBody,
  PredictionMark,
  PredictionOutcome,
  StepSummary,
} from "../ledger/incident-event.js";
import { foldIncident, IncidentState, type Incident } from "../ledger/incident.js";
import type { RemediationMetrics } from "../ledger/remediation-metrics.js";
import { computeRemediationStats, type RemediationStats } from "../ledger/remediation-stats.js";
import { formatNotification, type SinkFormat } from "../notifications/notification-format.js";
import { NO_SINK, type NotificationOutbox } from "../notifications/notification-outbox.js";
import {
  actionApplied,
  describeInterruptedRun,
  RunPhase,
  type InterruptedRun,
} from "../notifications/interrupted-run.js";
import {
  alertSubject,
  formatElapsed,
  NotificationKind,
  type RemediationNotification,
} from "../notifications/remediation-notification.js";
import {
  decideAdmission,
  recordBreakerOutcome,
  releaseIncident,
  resetBreaker,
  type AdmissionDecision,
} from "../planning/decide-admission.js";
import { limitsForRunbook, type GuardLimits } from "../planning/guard-limits.js";
import type { GuardState } from "../planning/guard-state.js";
import type { MaintenanceWindow } from "../planning/maintenance-window.js";
import { planRemediation, selectRunbook, type PlannedStep } from "../planning/plan-remediation.js";
import { errorMessage, RemediationError, RemediationErrorCode } from "../remediation-error.js";
import { OnFailure, type Runbook, type RunbookMode } from "../runbooks/runbook.js";
import type { RemediationStore } from "../storage/remediation-store.js";
import type { ActionRunner, AppliedAction, PromqlProbe, RolloutProbe } from "./action-runner.js";
import { verifyStep } from "./verify-step.js";

/** Options of {@link RemediationEngine}. */
export interface RemediationEngineOptions {
  readonly store: RemediationStore;
  readonly runbooks: readonly Runbook[];
  readonly actions: ActionRunner;
  /** For `verify.rollout`. @defaultValue none (such checks fail) */
  readonly rollout?: RolloutProbe;
  /** For `verify.promql`. @defaultValue none (such checks fail) */
  readonly promql?: PromqlProbe;
  /** Alertmanager's silences. @defaultValue none: silences are not checked */
  readonly silences?: SilenceSource;
  /** Act when silences cannot be read. @defaultValue false (fail safe: do not act, page) */
  readonly actWithoutSilences?: boolean;
  readonly limits: GuardLimits;
  /** Mode of runbooks that set none. @defaultValue "dry-run" */
  readonly defaultMode?: RunbookMode;
  /** @defaultValue none */
  readonly maintenanceWindows?: readonly MaintenanceWindow[];
  /**
   * Notifications (healed, escalated, approval requested, breaker opened), queued in the store. When a
   * run stops on an unexpected error, or a notification that needs a human cannot be queued, its sinks
   * are also called directly (bypassing the store). @defaultValue none
   */
  readonly notifications?: NotificationOutbox;
  readonly metrics?: RemediationMetrics;
  /** How long a delivery key is remembered (duplicates within it are ignored). @defaultValue 7 days */
  readonly deliveryTtlMs?: number;
  /** Pending approvals older than this are refused. @defaultValue 1 hour */
  readonly approvalTimeoutMs?: number;
  /** Page a human when the guards refuse an incident's action. @defaultValue true */
  readonly pageOnGuardDenial?: boolean;
  /** Link to an incident in the API, for notifications. @defaultValue none */
  readonly ledgerUrl?: (incidentId: string) => string;
  /** @defaultValue Date.now */
  readonly now?: () => number;
  /** @defaultValue a real timer */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @defaultValue none */
  readonly log?: (line: string) => void;
}

/** What happened to one alert of a delivery. */
export interface AlertReceipt {
  readonly incidentId: string;
  readonly fingerprint: string;
  readonly outcome:
    "duplicate" | "resolved" | "unmatched" | "skipped" | "dry-run" | "awaiting-approval" | "acting";
  readonly runbook?: string;
  readonly detail?: string;
}

/** Events that show an incident was planned: its firing alert must not be planned again. */
const PLANNED: ReadonlySet<IncidentEvent["type"]> = new Set([
  "unmatched",
  "skipped",
  "dry-run",
  "awaiting-approval",
  "matched",
]);

/** What a run did so far, kept in memory: the page about an unexpected stop cannot rely on the ledger. */
interface RunTracker {
  phase: RunPhase;
  step: number | undefined;
  /** Step index → `step N (description): detail`, for actions applied and not undone. */
  readonly applied: Map<number, string>;
  /**
   * The incident's events as this run knows them — those before it started, then each one it
   * records, held here before the store is written (so a page can say what the ledger may lack).
   */
  readonly events: IncidentEvent[];
  /** Why releasing the concurrency slot failed after the run had stopped on an error. */
  releaseError?: string;
}

/**
 * A rejected `sleep` during verification: the host stopped the run on purpose (a shutdown) and hands
 * the incident back itself, so this is not an unexpected failure to page about.
 */
class StoppedByHost extends Error {
  constructor(cause: unknown) {
    super(errorMessage(cause), { cause });
    this.name = "StoppedByHost";
  }
}

const realSleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

/**
 * Alertmanager → planner → guards → executor → verify, for one or many replicas.
 *
 * `receive` acknowledges a delivery quickly: each alert is claimed once (fingerprint + startsAt +
 * status, persisted), recorded in the ledger and planned; an `auto` plan then runs in the background
 * (`idle()` waits for it). Every step is admitted by the guards atomically in the shared store, applied,
 * verified, and on failure undone / followed by the next step / escalated as the runbook says. Every
 * outcome is appended to the incident's timeline.
 */
export class RemediationEngine {
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly log: (line: string) => void;
  /** Remediations running in this process, with their incident. */
  private readonly running = new Map<Promise<void>, string>();
  private readonly defaultMode: RunbookMode;
  private runbooks: readonly Runbook[];

  constructor(private readonly options: RemediationEngineOptions) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? realSleep;
    this.log = options.log ?? (() => undefined);
    this.defaultMode = options.defaultMode ?? "dry-run";
    this.runbooks = options.runbooks;
  }

  /** Replaces the runbooks (after a reload of the directory); running incidents keep their plan. */
  setRunbooks(runbooks: readonly Runbook[]): void {
    this.runbooks = runbooks;
  }

  /** Handles the alerts of one delivery in order; returns what happened to each. */
  async receive(alerts: readonly ReceivedAlert[]): Promise<AlertReceipt[]> {
    const receipts: AlertReceipt[] = [];
    for (const alert of alerts) receipts.push(await this.receiveOne(alert));
    return receipts;
  }

  /**
   * Handles a prediction of the failure predictor as one firing alert — the same claim, runbook
   * matching, guards, executor and ledger — with the incident marked preventive (a `predicted` event
   * after `received`). When the prediction names a runbook, only that runbook is considered (it must
   * still match the alert's alertname, severity and matchers).
   */
  async receivePrediction(alert: ReceivedAlert, prediction: PredictionMark): Promise<AlertReceipt> {
    return this.receiveOne(alert, prediction);
  }

  /**
   * Records a preventive incident's verdict once (across replicas: claimed in the store) and counts it
   * in `presage_prediction_{prevented,missed}_total`. False when it was already recorded or the
   * incident is not preventive.
   */
  async recordPredictionOutcome(
    incidentId: string,
    outcome: PredictionOutcome,
    detail: string,
  ): Promise<boolean> {
    const incident = await this.incident(incidentId);
    if (incident?.prediction === undefined || incident.predictionOutcome !== undefined) return false;
    if (!(await this.options.store.claimDelivery(`prediction-judged:${incidentId}`, this.deliveryTtlMs()))) {
      return false;
    }
    await this.append(incidentId, { type: "prediction-judged", outcome, detail });
    const counter =
      outcome === "prevented"
        ? this.options.metrics?.predictionsPrevented
        : this.options.metrics?.predictionsMissed;
    counter?.inc({ prediction: incident.prediction.name });
    return true;
  }

  /** Waits until no remediation runs in this process (a host's shutdown grace waits for this). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running.keys()]);
  }

  /** {@link idle}, then every direct page sent so far delivered or given up. */
  async settled(): Promise<void> {
    await this.idle();
    await this.options.notifications?.settled();
  }

  /** Incidents whose remediation runs in this process now (what a shutdown must finish or hand back). */
  inFlight(): string[] {
    return [...new Set(this.running.values())];
  }

  /** One incident, or undefined. */
  async incident(id: string): Promise<Incident | undefined> {
    return foldIncident(id, await this.options.store.events(id));
  }

  /** The newest incidents first. */
  async incidents(limit = 100): Promise<Incident[]> {
    const ids = await this.options.store.listIncidentIds(limit);
    const incidents = await Promise.all(ids.map((id) => this.incident(id)));
    return incidents.filter((incident): incident is Incident => incident !== undefined);
  }

  /** Outcome rates over the ledger (up to `limit` newest incidents). */
  async stats(limit = 10_000): Promise<RemediationStats> {
    return computeRemediationStats(await this.incidents(limit));
  }

  guardState(): Promise<GuardState> {
    return this.options.store.readGuards();
  }

  /** Closes a runbook's circuit breaker by hand. */
  async resetBreaker(runbook: string): Promise<void> {
    await this.options.store.updateGuards((state) => ({
      state: resetBreaker(state, runbook),
      result: undefined,
    }));
  }

  /**
   * Runs an incident waiting for approval. Throws `unknownIncident` / `notAwaitingApproval` (also when
   * another admin or replica decided first, or the approval expired).
   */
  async approve(incidentId: string, by: string): Promise<Incident> {
    const { incident, runbook, alert } = await this.awaiting(incidentId);
    if (!(await this.options.store.claimDelivery(`decision:${incidentId}`, this.deliveryTtlMs()))) {
      throw new RemediationError(
        RemediationErrorCode.notAwaitingApproval,
        `incident ${incidentId} was already decided`,
      );
    }
    const approved = await this.append(incidentId, { type: "approved", by });
    // The world may have changed while the incident waited: a silence, a maintenance window or an
    // open breaker that would stop an automatic run stops an approved one too — planned once, as an
    // automatic run would be, and that plan's steps are what runs.
    const plan = await this.plan(alert, [{ ...runbook, mode: "auto" }], "auto", {
      silences: true,
      guards: true,
    });
    if (plan.kind === "run") {
      this.launch(incidentId, alert, runbook, plan.steps, [...incident.timeline, approved]);
    } else if (plan.kind === "skip") {
      this.options.metrics?.incidents.inc({ outcome: "skipped" });
      await this.append(incidentId, {
        type: "skipped",
        runbook: runbook.name,
        reason: plan.reason,
        detail: `approved by ${by}, but not acting: ${plan.detail}`,
      });
      if (plan.page) {
        await this.notify(
          incidentId,
          NotificationKind.escalated,
          `approved, but not acting: ${plan.detail}`,
          alert,
        );
      }
    } else {
      await this.escalate(
        incidentId,
        `approved, but runbook ${runbook.name} no longer applies: ${plan.detail}`,
      );
    }
    return (await this.incident(incident.id)) ?? incident;
  }

  /**
   * Plans `alert` against `candidates` with what stops a run now: maintenance windows, and when asked
   * (`read`) Alertmanager's silences (unreadable ones make the plan a paging skip unless configured
   * otherwise) and the stored breakers.
   */
  private async plan(
    alert: ReceivedAlert,
    candidates: readonly Runbook[],
    defaultMode: RunbookMode,
    read: { readonly silences: boolean; readonly guards: boolean },
  ): Promise<ReturnType<typeof planRemediation>> {
    const silences =
      !read.silences || this.options.silences === undefined
        ? []
        : await this.options.silences.activeSilences().then(
            (list): readonly Silence[] => list,
            (error: unknown) => ({ unavailable: errorMessage(error) }),
          );
    const guards = read.guards ? await this.options.store.readGuards() : undefined;
    return planRemediation(alert, candidates, {
      nowMs: this.now(),
      defaultMode,
      maintenanceWindows: this.options.maintenanceWindows ?? [],
      breakers: guards?.breakers ?? {},
      silences,
      actWithoutSilences: this.options.actWithoutSilences ?? false,
    });
  }

  /** Refuses an incident waiting for approval (same errors as `approve`). */
  async reject(incidentId: string, by: string, reason: string): Promise<Incident> {
    const { incident } = await this.awaiting(incidentId);
    if (!(await this.options.store.claimDelivery(`decision:${incidentId}`, this.deliveryTtlMs()))) {
      throw new RemediationError(
        RemediationErrorCode.notAwaitingApproval,
        `incident ${incidentId} was already decided`,
      );
    }
    await this.append(incidentId, { type: "rejected", by, reason });
    this.options.metrics?.incidents.inc({ outcome: "rejected" });
    return (await this.incident(incident.id)) ?? incident;
  }

  private deliveryTtlMs(): number {
    return this.options.deliveryTtlMs ?? 7 * 86_400_000;
  }

  private async awaiting(
    incidentId: string,
  ): Promise<{ incident: Incident; runbook: Runbook; alert: ReceivedAlert }> {
    const incident = await this.incident(incidentId);
    if (incident === undefined) {
      throw new RemediationError(
        RemediationErrorCode.unknownIncident,
        `no incident ${JSON.stringify(incidentId)}`,
      );
    }
    const waiting = [...incident.timeline].reverse().find((event) => event.type === "awaiting-approval");
    if (incident.state !== IncidentState.awaitingApproval || waiting === undefined) {
      throw new RemediationError(
        RemediationErrorCode.notAwaitingApproval,
        `incident ${incidentId} is ${incident.state}, not awaiting approval`,
      );
    }
    if (incident.resolvedAtMs !== undefined) {
      throw new RemediationError(
        RemediationErrorCode.notAwaitingApproval,
        `the alert of incident ${incidentId} resolved at ${new Date(incident.resolvedAtMs).toISOString()}; nothing to approve`,
      );
    }
    const timeoutMs = this.options.approvalTimeoutMs ?? 3_600_000;
    if (this.now() - waiting.atMs > timeoutMs) {
      throw new RemediationError(
        RemediationErrorCode.notAwaitingApproval,
        `the approval of incident ${incidentId} expired (requested ${new Date(waiting.atMs).toISOString()}, approvals last ${timeoutMs / 1000}s)`,
      );
    }
    const runbook = this.runbooks.find((candidate) => candidate.name === incident.runbook);
    const received = incident.timeline.find((event) => event.type === "received");
    if (runbook === undefined || received?.type !== "received") {
      throw new RemediationError(
        RemediationErrorCode.notAwaitingApproval,
        `runbook ${incident.runbook ?? "?"} of incident ${incidentId} is no longer loaded`,
      );
    }
    return { incident, runbook, alert: received.alert };
  }

  private async receiveOne(alert: ReceivedAlert, prediction?: PredictionMark): Promise<AlertReceipt> {
    const incidentId = incidentIdOf(alert);
    const key = deliveryKey(alert);
    if (!(await this.options.store.claimDelivery(key, this.deliveryTtlMs()))) {
      this.options.metrics?.alerts.inc({ outcome: "duplicate" });
      await this.append(incidentId, { type: "duplicate", status: alert.status });
      return { incidentId, fingerprint: alert.fingerprint, outcome: "duplicate" };
    }
    try {
      return await this.handleClaimed(alert, incidentId, prediction);
    } catch (error) {
      // Not recorded (the store failed): give the claim back so Alertmanager's retry of this delivery
      // (the webhook answers 503) is handled instead of being taken for a duplicate.
      await this.options.store.releaseDelivery(key).catch((releaseError: unknown) => {
        this.log(`could not release delivery ${key} after a failure: ${errorMessage(releaseError)}`);
      });
      throw error;
    }
  }

  private async handleClaimed(
    alert: ReceivedAlert,
    incidentId: string,
    prediction?: PredictionMark,
  ): Promise<AlertReceipt> {
    const base = { incidentId, fingerprint: alert.fingerprint };
    const metrics = this.options.metrics;
    if (alert.status === "resolved") {
      metrics?.alerts.inc({ outcome: "resolved" });
      if ((await this.options.store.events(incidentId)).length === 0) {
        await this.append(incidentId, { type: "received", alert });
      }
      await this.append(incidentId, { type: "resolved", endsAtMs: alert.endsAtMs ?? this.now() });
      return { ...base, outcome: "resolved" };
    }
    // The delivery claim expires (`deliveryTtlMs`) while an alert may go on firing and Alertmanager
    // re-notifying with the same startsAt: an incident already planned is never planned (acted on) again.
    if ((await this.options.store.events(incidentId)).some((event) => PLANNED.has(event.type))) {
      metrics?.alerts.inc({ outcome: "duplicate" });
      await this.append(incidentId, { type: "duplicate", status: alert.status });
      return { ...base, outcome: "duplicate" };
    }
    metrics?.alerts.inc({ outcome: "received" });
    const before = [await this.append(incidentId, { type: "received", alert })];
    if (prediction !== undefined)
      before.push(await this.append(incidentId, { type: "predicted", prediction }));
    const candidates =
      prediction?.runbook === undefined
        ? this.runbooks
        : this.runbooks.filter((runbook) => runbook.name === prediction.runbook);
    const matched = selectRunbook(alert, candidates);
    const mode = matched?.mode ?? this.defaultMode;
    const plan = await this.plan(alert, candidates, this.defaultMode, {
      silences: matched !== undefined && mode !== "dry-run",
      guards: matched !== undefined,
    });
    switch (plan.kind) {
      case "unmatched":
        metrics?.incidents.inc({ outcome: "unmatched" });
        await this.append(incidentId, { type: "unmatched", detail: plan.detail });
        return { ...base, outcome: "unmatched", detail: plan.detail };
      case "skip":
        metrics?.incidents.inc({ outcome: "skipped" });
        await this.append(incidentId, {
          type: "skipped",
          runbook: plan.runbook,
          reason: plan.reason,
          detail: plan.detail,
        });
        if (plan.page)
          await this.notify(incidentId, NotificationKind.escalated, `not acting: ${plan.detail}`, alert);
        return { ...base, outcome: "skipped", runbook: plan.runbook, detail: plan.detail };
      case "run": {
        const steps = plan.steps.map(summarize);
        if (plan.mode === "dry-run") {
          metrics?.incidents.inc({ outcome: "dry-run" });
          await this.append(incidentId, { type: "dry-run", runbook: plan.runbook, steps });
          return { ...base, outcome: "dry-run", runbook: plan.runbook };
        }
        if (plan.mode === "approval") {
          metrics?.incidents.inc({ outcome: "awaiting-approval" });
          await this.append(incidentId, { type: "awaiting-approval", runbook: plan.runbook, steps });
          await this.notify(
            incidentId,
            NotificationKind.approvalRequested,
            `runbook ${plan.runbook} waits for an admin's approval`,
            alert,
          );
          return { ...base, outcome: "awaiting-approval", runbook: plan.runbook };
        }
        before.push(
          await this.append(incidentId, { type: "matched", runbook: plan.runbook, mode: plan.mode, steps }),
        );
        const runbook = candidates.find((candidate) => candidate.name === plan.runbook)!;
        this.launch(incidentId, alert, runbook, plan.steps, before);
        return { ...base, outcome: "acting", runbook: plan.runbook };
      }
    }
  }

  /**
   * Runs a plan in the background, tracked for `idle()`; never an unhandled rejection. A run stopped by
   * an unexpected error (the store failing mid-run, a bug) pages a human directly — see
   * {@link stoppedUnexpectedly}.
   */
  private launch(
    incidentId: string,
    alert: ReceivedAlert,
    runbook: Runbook,
    steps: readonly PlannedStep[],
    before: readonly IncidentEvent[],
  ): void {
    const tracker: RunTracker = {
      phase: RunPhase.preparing,
      step: undefined,
      applied: new Map(),
      events: [...before],
    };
    const run = this.execute(incidentId, alert, runbook, steps, tracker)
      .catch((error: unknown) => this.stoppedUnexpectedly(incidentId, alert, runbook, steps, tracker, error))
      .catch((error: unknown) => {
        this.log(`incident ${incidentId}: handling a stopped remediation failed: ${errorMessage(error)}`);
      });
    this.running.set(run, incidentId);
    void run.finally(() => this.running.delete(run));
  }

  private async execute(
    incidentId: string,
    alert: ReceivedAlert,
    runbook: Runbook,
    steps: readonly PlannedStep[],
    tracker: RunTracker,
  ): Promise<void> {
    const limits = limitsForRunbook(this.options.limits, runbook);
    const metrics = this.options.metrics;
    let healed = false;
    let escalation: string | undefined;
    let attempted = false;
    let guarded = false;
    try {
      for (const step of steps) {
        const labels = { runbook: runbook.name, action: step.action.kind };
        const name = `step ${step.index + 1} (${step.description})`;
        tracker.step = step.index;
        tracker.phase = RunPhase.preparing;
        let prepared;
        try {
          prepared = await this.options.actions.prepare(step.action);
        } catch (error) {
          await this.append(
            incidentId,
            {
              type: "action-failed",
              step: step.index,
              description: step.description,
              detail: errorMessage(error),
            },
            tracker,
          );
          metrics?.actions.inc({ ...labels, outcome: "failed" });
          const nothingToDo =
            error instanceof RemediationError && error.code === RemediationErrorCode.nothingToDo;
          if (!nothingToDo) attempted = true;
          if (step.onFailure === OnFailure.next) continue;
          escalation = `step ${step.index + 1} (${step.description}) could not start: ${errorMessage(error)}`;
          break;
        }
        tracker.phase = RunPhase.admitting;
        const decision: AdmissionDecision = await this.options.store.updateGuards((state) => {
          const outcome = decideAdmission(state, {
            incidentId,
            runbook: runbook.name,
            target: step.target,
            nowMs: this.now(),
            limits,
            ...(prepared.disruption === undefined ? {} : { disruption: prepared.disruption }),
          });
          return { state: outcome.state, result: outcome };
        });
        if (!decision.admitted) {
          metrics?.guardDenials.inc({ reason: decision.reason });
          await this.append(
            incidentId,
            {
              type: "denied",
              step: step.index,
              reason: decision.reason,
              detail: decision.detail,
            },
            tracker,
          );
          guarded = true;
          escalation = `the guards refused step ${step.index + 1} (${step.description}): ${decision.detail}`;
          break;
        }
        attempted = true;
        tracker.phase = RunPhase.applying;
        let applied: AppliedAction;
        try {
          applied = await this.options.actions.apply(prepared);
        } catch (error) {
          metrics?.actions.inc({ ...labels, outcome: "failed" });
          await this.append(
            incidentId,
            {
              type: "action-failed",
              step: step.index,
              description: step.description,
              detail: errorMessage(error),
            },
            tracker,
          );
          if (step.onFailure === OnFailure.next) continue;
          escalation = `step ${step.index + 1} (${step.description}) failed: ${errorMessage(error)}`;
          break;
        }
        // In memory first: if recording it fails, the page must still say it was applied.
        tracker.applied.set(step.index, `${name}: ${applied.detail}`);
        tracker.phase = RunPhase.verifying;
        metrics?.actions.inc({ ...labels, outcome: "applied" });
        await this.append(
          incidentId,
          {
            type: "acted",
            step: step.index,
            description: step.description,
            detail: applied.detail,
          },
          tracker,
        );
        const verification = await verifyStep(step, {
          rollout: this.options.rollout,
          promql: this.options.promql,
          alertResolved: async () =>
            (await this.options.store.events(incidentId)).some((event) => event.type === "resolved"),
          now: this.now,
          sleep: (ms) =>
            this.sleep(ms).catch((error: unknown) => {
              throw new StoppedByHost(error);
            }),
        });
        if (verification.ok) {
          await this.append(
            incidentId,
            {
              type: "verified",
              step: step.index,
              detail: verification.detail,
            },
            tracker,
          );
          healed = true;
          break;
        }
        await this.append(
          incidentId,
          {
            type: "verification-failed",
            step: step.index,
            detail: verification.detail,
          },
          tracker,
        );
        if (verification.unknown === true) {
          // Prometheus or the API server could not be read: whether the step worked is unknown, and
          // neither an undo nor a further step may act on a state nobody can see. A human decides.
          escalation = `step ${step.index + 1} (${step.description}) could not be verified (${verification.detail}); no undo or further step while its effect is unknown`;
          break;
        }
        if (step.onFailure === OnFailure.undo) {
          tracker.phase = RunPhase.undoing;
          await this.undo(incidentId, step, applied, labels, tracker);
          escalation = `step ${step.index + 1} (${step.description}) did not fix it and was undone: ${verification.detail}`;
          break;
        }
        if (step.onFailure === OnFailure.escalate) {
          escalation = `step ${step.index + 1} (${step.description}) did not fix it: ${verification.detail}`;
          break;
        }
      }
      tracker.phase = RunPhase.finishing;
      tracker.step = undefined;
      if (!healed && escalation === undefined) escalation = `no step of runbook ${runbook.name} fixed it`;
    } finally {
      await this.options.store
        .updateGuards((state) => ({
          state: releaseIncident(state, incidentId),
          result: undefined,
        }))
        .catch((error: unknown) => {
          if (tracker.phase === RunPhase.finishing) throw error;
          // The run already stopped on an error: keep that one (the page names it), note this one.
          tracker.releaseError = errorMessage(error);
        });
    }
    if (attempted) {
      const transition = await this.options.store.updateGuards((state) => {
        const outcome = recordBreakerOutcome(state, runbook.name, healed, this.now(), limits);
        return { state: outcome.state, result: outcome.transition };
      });
      if (transition === "opened") {
        const detail = `runbook ${runbook.name} failed ${limits.breakerThreshold} times in a row; its circuit breaker is open for ${formatElapsed(limits.breakerOpenMs)}`;
        await this.append(incidentId, { type: "breaker-opened", runbook: runbook.name, detail }, tracker);
        await this.notify(incidentId, NotificationKind.breakerOpened, detail);
      }
    }
    if (healed) {
      await this.append(incidentId, { type: "healed" }, tracker);
      metrics?.incidents.inc({ outcome: "healed" });
      const incident = await this.incident(incidentId);
      if (incident?.mttr !== undefined) metrics?.observeMttr(incident.mttr);
      await this.notify(incidentId, NotificationKind.healed);
      return;
    }
    if (guarded && !attempted && this.options.pageOnGuardDenial === false) {
      metrics?.incidents.inc({ outcome: "skipped" });
      return;
    }
    await this.escalate(incidentId, escalation ?? "remediation did not complete");
  }

  private async undo(
    incidentId: string,
    step: PlannedStep,
    applied: AppliedAction,
    labels: { runbook: string; action: string },
    tracker: RunTracker,
  ): Promise<void> {
    if (!applied.prepared.undoable) {
      await this.append(
        incidentId,
        {
          type: "revert-failed",
          step: step.index,
          detail: `${step.description} cannot be undone`,
        },
        tracker,
      );
      return;
    }
    try {
      const detail = await this.options.actions.undo(applied);
      tracker.applied.delete(step.index);
      this.options.metrics?.actions.inc({ ...labels, outcome: "reverted" });
      await this.append(incidentId, { type: "reverted", step: step.index, detail }, tracker);
    } catch (error) {
      await this.append(
        incidentId,
        {
          type: "revert-failed",
          step: step.index,
          detail: errorMessage(error),
        },
        tracker,
      );
    }
  }

  /**
   * A run stopped by an unexpected error — typically the store failing mid-run, when presage may
   * already have acted on the cluster without recording it. Fail safe: nothing is retried or undone
   * (the state is unknown); a human is paged directly through the sinks, bypassing the store-backed
   * outbox (likely down too), with what this process holds in memory; it is counted in
   * `presage_remediation_unrecorded_failures_total`, and a page that reaches no sink in
   * `presage_remediation_direct_pages_failed_total`. Then the escalation is recorded, best effort.
   */
  private async stoppedUnexpectedly(
    incidentId: string,
    alert: ReceivedAlert,
    runbook: Runbook,
    steps: readonly PlannedStep[],
    tracker: RunTracker,
    error: unknown,
  ): Promise<void> {
    // A host's stop hands the incident back through the store; with the store failing too, page here.
    if (error instanceof StoppedByHost && tracker.releaseError === undefined) {
      this.log(
        `incident ${incidentId}: remediation stopped by its host (${error.message}); handed back there`,
      );
      return;
    }
    const run: InterruptedRun = {
      incidentId,
      alertname: alert.labels.alertname ?? "",
      labels: alert.labels,
      runbook: runbook.name,
      steps: steps.map(summarize),
      phase: tracker.phase,
      ...(tracker.step === undefined ? {} : { step: tracker.step }),
      applied: [...tracker.applied.values()],
      error:
        errorMessage(error) +
        (tracker.releaseError === undefined
          ? ""
          : `; releasing its concurrency slot failed too (the guards may still count it in flight): ${tracker.releaseError}`),
      stoppedAtMs: this.now(),
    };
    const applied = actionApplied(run);
    const { summary, reason } = describeInterruptedRun(run);
    this.log(
      `incident ${incidentId}: UNRECORDED FAILURE: remediation stopped by an unexpected error; the ledger may be incomplete; paging a human directly: ${reason}`,
    );
    this.options.metrics?.unrecordedFailures.inc({ runbook: runbook.name, applied });
    const notification: RemediationNotification = {
      kind: NotificationKind.escalated,
      summary,
      reason,
      // What this run held in memory (which starts with the alert's `received` event), escalated.
      incident: foldIncident(incidentId, [
        ...tracker.events,
        { type: "escalated", reason, atMs: run.stoppedAtMs },
      ])!,
      ...(this.options.ledgerUrl === undefined ? {} : { ledgerUrl: this.options.ledgerUrl(incidentId) }),
      interrupted: run,
    };
    this.page(NotificationKind.escalated, `incident ${incidentId}'s unrecorded failure`, (format) =>
      formatNotification(format, notification),
    );
    try {
      await this.append(incidentId, {
        type: "escalated",
        reason: `${reason} (paged directly, bypassing the store; the ledger may be incomplete)`,
      });
    } catch (appendError) {
      this.log(
        `incident ${incidentId}: could not record the escalation either: ${errorMessage(appendError)}`,
      );
    }
  }

  /**
   * Pages the sinks that take `kind` directly, bypassing the store, in the background (`settled()` waits).
   * Without an outbox nobody can be told: logged loudly and counted as a failed page.
   */
  private page(kind: NotificationKind, about: string, bodyFor: (format: SinkFormat) => unknown): void {
    const outbox = this.options.notifications;
    if (outbox !== undefined) {
      outbox.page(kind, bodyFor, about);
      return;
    }
    this.options.metrics?.directPagesFailed.inc({ sink: NO_SINK });
    this.log(`PAGE FAILED: no notification sinks are configured, so nobody was told about ${about}`);
  }

  private async escalate(incidentId: string, reason: string): Promise<void> {
    this.options.metrics?.incidents.inc({ outcome: "escalated" });
    await this.append(incidentId, { type: "escalated", reason });
    await this.notify(incidentId, NotificationKind.escalated, reason);
  }

  /**
   * Appends an event to the incident's ledger and returns it. A running remediation passes its
   * tracker: the event is held there first (see {@link RunTracker.events}), so a page can still say
   * what the ledger may lack.
   */
  private async append(
    incidentId: string,
    body: IncidentEventBody,
    tracker?: RunTracker,
  ): Promise<IncidentEvent> {
    const event = { ...body, atMs: this.now() } as IncidentEvent;
    tracker?.events.push(event);
    await this.options.store.appendEvent(incidentId, event);
    return event;
  }

  /**
   * Queues a notification; a failure to queue is logged, and one that needs a human (not `healed`) is
   * then sent directly to the sinks.
   */
  private async notify(
    incidentId: string,
    kind: RemediationNotification["kind"],
    reason?: string,
    alert?: ReceivedAlert,
  ): Promise<void> {
    const outbox = this.options.notifications;
    if (outbox === undefined) return;
    let incident: Incident | undefined;
    try {
      incident = await this.incident(incidentId);
    } catch (error) {
      // The webhook's 503 would not help: the incident is already recorded as planned, so
      // Alertmanager's retry is a duplicate. One that needs a human is paged from the alert instead.
      if (alert === undefined || kind === NotificationKind.healed) throw error;
      this.log(
        `incident ${incidentId}: could not read the incident for the ${kind} notification: ${errorMessage(error)}`,
      );
      // What a notification can say of an incident whose ledger could not be read: the alert alone.
      incident = foldIncident(incidentId, [{ type: "received", alert, atMs: this.now() }])!;
      const notification: RemediationNotification = {
        kind,
        summary: `Needs a human: ${incident.alertname} on ${alertSubject(incident.labels)}`,
        reason: `${reason ?? kind} (the incident ledger could not be read: ${errorMessage(error)})`,
        incident,
      };
      this.page(kind, `incident ${incidentId}'s ${kind} notification`, (format) =>
        formatNotification(format, notification),
      );
      return;
    }
    if (incident === undefined) return;
    const subject = alertSubject(incident.labels);
    const summary =
      kind === NotificationKind.healed
        ? `Auto-remediated ${incident.alertname} on ${subject}${incident.mttr === undefined ? "" : ` (${formatElapsed(incident.mttr.totalMs)})`}`
        : kind === NotificationKind.approvalRequested
          ? `Approval needed: ${incident.runbook ?? "runbook"} for ${incident.alertname} on ${subject}`
          : kind === NotificationKind.breakerOpened
            ? `Circuit breaker opened: ${incident.runbook ?? "runbook"} (${incident.alertname} on ${subject})`
            : `Needs a human: ${incident.alertname} on ${subject}`;
    const notification: RemediationNotification = {
      kind,
      summary,
      ...(reason === undefined ? {} : { reason }),
      incident,
      ...(this.options.ledgerUrl === undefined ? {} : { ledgerUrl: this.options.ledgerUrl(incidentId) }),
    };
    // Never throws: what the store cannot queue and needs a human is paged directly.
    await outbox.notify(notification, `incident ${incidentId}'s ${kind} notification`);
  }
}

function summarize(step: PlannedStep): StepSummary {
  return { index: step.index, description: step.description, target: step.target, onFailure: step.onFailure };
}
