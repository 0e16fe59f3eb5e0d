import {
  actionApplied,
  describeInterruptedRun,
  LEDGER_MAY_BE_INCOMPLETE,
  type InterruptedRun,
} from "./interrupted-run.js";
import { incidentFacts, NotificationKind, type RemediationNotification } from "./remediation-notification.js";

/** The two wire formats notifications are sent in. */
export const SinkFormat = { slack: "slack", webhook: "webhook" } as const;
export type SinkFormat = (typeof SinkFormat)[keyof typeof SinkFormat];

const EMOJI: Record<RemediationNotification["kind"], string> = {
  [NotificationKind.healed]: ":white_check_mark:",
  [NotificationKind.escalated]: ":rotating_light:",
  [NotificationKind.approvalRequested]: ":raising_hand:",
  [NotificationKind.breakerOpened]: ":no_entry:",
};

/** Cuts text to Slack's section limit (3000 chars). */
function clip(text: string, max = 2900): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * A Slack incoming-webhook message (`text` as the fallback plus `blocks`): the summary, the reason,
 * the alert's labels, the actions and verification results, and the ledger link.
 */
export function formatSlackMessage(notification: RemediationNotification): Record<string, unknown> {
  const { incident } = notification;
  const facts = incidentFacts(incident);
  const text = `${EMOJI[notification.kind]} ${notification.summary}`;
  const lines = [
    `*${notification.summary}*`,
    ...(notification.reason === undefined ? [] : [`*Why a human is needed:* ${notification.reason}`]),
    `*Alert:* ${Object.entries(incident.labels)
      .map(([name, value]) => `${name}=${value}`)
      .join(", ")}`,
    ...(incident.runbook === undefined ? [] : [`*Runbook:* ${incident.runbook}`]),
    ...(facts.actions.length === 0 ? [] : ["*Actions:*", ...facts.actions.map((line) => `• ${line}`)]),
    ...(facts.verification.length === 0
      ? []
      : ["*Verification:*", ...facts.verification.map((line) => `• ${line}`)]),
    ...(notification.ledgerUrl === undefined
      ? []
      : [`<${notification.ledgerUrl}|Incident ${incident.id} in the ledger>`]),
  ];
  return {
    text,
    blocks: [
      {
        type: "section",
        text: { type: "mrkdwn", text: clip(`${EMOJI[notification.kind]} ${lines.join("\n")}`) },
      },
    ],
  };
}

/** The generic JSON webhook body: everything, machine-readable. */
export function formatWebhookMessage(notification: RemediationNotification): Record<string, unknown> {
  const { incident } = notification;
  const facts = incidentFacts(incident);
  const received = incident.timeline.find((event) => event.type === "received");
  return {
    kind: notification.kind,
    summary: notification.summary,
    ...(notification.reason === undefined ? {} : { reason: notification.reason }),
    incident: {
      id: incident.id,
      state: incident.state,
      runbook: incident.runbook ?? null,
      startsAt: new Date(incident.startsAtMs).toISOString(),
      mttr: incident.mttr ?? null,
    },
    alert: received?.type === "received" ? received.alert : { labels: incident.labels },
    actions: facts.actions,
    verification: facts.verification,
    timeline: incident.timeline,
    ledgerUrl: notification.ledgerUrl ?? null,
  };
}

export function formatNotification(
  format: SinkFormat,
  notification: RemediationNotification,
): Record<string, unknown> {
  return format === SinkFormat.slack ? formatSlackMessage(notification) : formatWebhookMessage(notification);
}

/**
 * A page about a run stopped by an unexpected error, in `format`, built only from what the engine held
 * in memory (never from the ledger, which may be unreadable). Sent as an `escalated` notification.
 */
export function formatInterruptedRun(format: SinkFormat, run: InterruptedRun): Record<string, unknown> {
  const { summary, reason } = describeInterruptedRun(run);
  const steps = run.steps.map(
    (step) =>
      `${step.index + 1}. ${step.description} (on failure: ${step.onFailure})${step.index === run.step ? ` ← ${run.phase} when it stopped` : ""}`,
  );
  if (format === SinkFormat.slack) {
    const emoji = EMOJI[NotificationKind.escalated];
    const lines = [
      `*${summary}*`,
      `*Why a human is needed:* ${reason}`,
      `*Ledger:* ${LEDGER_MAY_BE_INCOMPLETE}`,
      `*Alert:* ${Object.entries(run.labels)
        .map(([name, value]) => `${name}=${value}`)
        .join(", ")}`,
      `*Runbook:* ${run.runbook}`,
      "*Steps planned:*",
      ...steps.map((line) => `• ${line}`),
      ...(run.progress.length === 0
        ? []
        : ["*What this run did:*", ...run.progress.map((line) => `• ${line}`)]),
      ...(run.ledgerUrl === undefined
        ? []
        : [`<${run.ledgerUrl}|Incident ${run.incidentId} in the ledger (may be incomplete)>`]),
    ];
    return {
      text: `${emoji} ${summary}`,
      blocks: [{ type: "section", text: { type: "mrkdwn", text: clip(`${emoji} ${lines.join("\n")}`) } }],
    };
  }
  return {
    kind: NotificationKind.escalated,
    summary,
    reason,
    ledgerIncomplete: true,
    ledgerNote: LEDGER_MAY_BE_INCOMPLETE,
    incident: { id: run.incidentId, state: "unknown", runbook: run.runbook },
    alert: { labels: run.labels },
    run: {
      phase: run.phase,
      step: run.step ?? null,
      actionApplied: actionApplied(run),
      stepsPlanned: run.steps,
      applied: run.applied,
      progress: run.progress,
      error: run.error,
      stoppedAt: new Date(run.stoppedAtMs).toISOString(),
    },
    ledgerUrl: run.ledgerUrl ?? null,
  };
}
