import type { ReceivedAlert } from "../alerting/alertmanager-payload.js";
import { matchingSilence, type Silence } from "../alerting/silence.js";
import { renderTemplate } from "../runbooks/label-template.js";
import {
  actionTarget,
  describeAction,
  parseActionParams,
  type RemediationAction,
} from "../runbooks/remediation-action.js";
import type { OnFailure, Runbook, RunbookMode, Verification } from "../runbooks/runbook.js";
import { renderStepParams } from "../runbooks/render-step-params.js";
import { breakerOpen } from "./decide-admission.js";
import type { BreakerState } from "./guard-state.js";
import { activeMaintenanceWindow, type MaintenanceWindow } from "./maintenance-window.js";

/** One step ready to run: parameters rendered and validated. */
export interface PlannedStep {
  readonly index: number;
  readonly action: RemediationAction;
  readonly description: string;
  readonly target: string;
  readonly onFailure: OnFailure;
  readonly verify?: Verification;
}

/** Why a matched runbook is not run. */
export const SkipReason = {
  template: "template",
  breakerOpen: "breaker-open",
  maintenance: "maintenance",
  silenced: "silenced",
  silencesUnavailable: "silences-unavailable",
} as const;
export type SkipReason = (typeof SkipReason)[keyof typeof SkipReason];

export type RemediationPlan =
  | { readonly kind: "unmatched"; readonly detail: string }
  | {
      readonly kind: "skip";
      readonly runbook: string;
      readonly reason: SkipReason;
      readonly detail: string;
      /** Whether a human should be told (a broken runbook, a failure to check silences). */
      readonly page: boolean;
    }
  | {
      readonly kind: "run";
      readonly runbook: string;
      readonly mode: RunbookMode;
      readonly steps: readonly PlannedStep[];
    };

/** What the planner decides over, read before planning. */
export interface PlanContext {
  readonly nowMs: number;
  readonly defaultMode: RunbookMode;
  readonly maintenanceWindows: readonly MaintenanceWindow[];
  readonly breakers: Readonly<Record<string, BreakerState>>;
  /** Active silences, or why they could not be read. */
  readonly silences: readonly Silence[] | { readonly unavailable: string };
  /** Act anyway when silences cannot be read. @defaultValue false: do not act, page a human */
  readonly actWithoutSilences: boolean;
}

/** The runbook for an alert: alertname equal, severity listed (if the runbook lists any), every matcher; highest priority, then name. */
export function selectRunbook(alert: ReceivedAlert, runbooks: readonly Runbook[]): Runbook | undefined {
  const candidates = runbooks.filter(
    (runbook) =>
      runbook.match.alertname === alert.labels.alertname &&
      (runbook.match.severities === undefined ||
        runbook.match.severities.includes(alert.labels.severity ?? "")) &&
      runbook.match.matchers.every((matcher) => matcher.test(alert.labels)),
  );
  return candidates.sort((a, b) => b.priority - a.priority || a.name.localeCompare(b.name))[0];
}

/** Renders a runbook's steps for an alert; every problem at once. */
export function renderSteps(
  runbook: Runbook,
  labels: Readonly<Record<string, string>>,
): { ok: true; steps: PlannedStep[] } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const steps: PlannedStep[] = [];
  runbook.steps.forEach((step, index) => {
    const rendered = renderStepParams(step, index, labels);
    if (!rendered.ok) {
      problems.push(...rendered.problems);
      return;
    }
    const parsed = parseActionParams(step.action, rendered.value);
    if (!parsed.ok) {
      problems.push(...parsed.problems.map((problem) => `steps[${index}].${problem}`));
      return;
    }
    let verify = step.verify;
    if (verify?.promql !== undefined) {
      const query = renderTemplate(verify.promql.query, labels);
      if (!query.ok) {
        problems.push(
          `steps[${index}].verify.promql.query: the alert has no label ${query.missing.map((name) => `"${name}"`).join(", ")}`,
        );
        return;
      }
      verify = { ...verify, promql: { ...verify.promql, query: query.text } };
    }
    steps.push({
      index,
      action: parsed.action,
      description: describeAction(parsed.action),
      target: actionTarget(parsed.action),
      onFailure: step.onFailure,
      ...(verify === undefined ? {} : { verify }),
    });
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, steps };
}

/**
 * Alert + runbooks + guard state → what to do, pure. Order: match; render (a broken template pages a
 * human — the runbook needs fixing); dry-run runbooks are recorded whatever the state; then the
 * circuit breaker, maintenance windows and Alertmanager silences (unreadable silences: do not act
 * and page, unless configured to act anyway). Rates, cooldowns, concurrency and blast radius are
 * checked per action at admission, atomically with recording it.
 */
export function planRemediation(
  alert: ReceivedAlert,
  runbooks: readonly Runbook[],
  context: PlanContext,
): RemediationPlan {
  const runbook = selectRunbook(alert, runbooks);
  if (runbook === undefined) {
    return { kind: "unmatched", detail: `no runbook matches alert ${alert.labels.alertname ?? ""}` };
  }
  const rendered = renderSteps(runbook, alert.labels);
  if (!rendered.ok) {
    return {
      kind: "skip",
      runbook: runbook.name,
      reason: SkipReason.template,
      detail: rendered.problems.join("; "),
      page: true,
    };
  }
  const mode = runbook.mode ?? context.defaultMode;
  if (mode === "dry-run") return { kind: "run", runbook: runbook.name, mode, steps: rendered.steps };
  const breaker = context.breakers[runbook.name];
  if (breakerOpen(breaker, context.nowMs)) {
    return {
      kind: "skip",
      runbook: runbook.name,
      reason: SkipReason.breakerOpen,
      detail: `circuit breaker open after ${breaker?.failures ?? 0} consecutive failures until ${new Date(breaker?.openUntilMs ?? 0).toISOString()}`,
      page: true,
    };
  }
  const window = activeMaintenanceWindow(context.maintenanceWindows, runbook.name, context.nowMs);
  if (window !== undefined) {
    return {
      kind: "skip",
      runbook: runbook.name,
      reason: SkipReason.maintenance,
      detail: `maintenance window ${window.name} is active`,
      page: false,
    };
  }
  if ("unavailable" in context.silences) {
    if (!context.actWithoutSilences) {
      return {
        kind: "skip",
        runbook: runbook.name,
        reason: SkipReason.silencesUnavailable,
        detail: `could not read Alertmanager's silences (${context.silences.unavailable}); not acting without knowing whether a human silenced this alert`,
        page: true,
      };
    }
  } else {
    const silence = matchingSilence(context.silences, alert.labels, context.nowMs);
    if (silence !== undefined) {
      return {
        kind: "skip",
        runbook: runbook.name,
        reason: SkipReason.silenced,
        detail: `silenced by ${silence.id} (${silence.createdBy}: ${silence.comment})`,
        page: false,
      };
    }
  }
  return { kind: "run", runbook: runbook.name, mode, steps: rendered.steps };
}
