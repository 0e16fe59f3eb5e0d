import { actionApplied, LEDGER_MAY_BE_INCOMPLETE, type InterruptedRun } from "./interrupted-run.js";
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
  const { interrupted } = notification;
  const lines = [
    `*${notification.summary}*`,
    ...(notification.reason === undefined ? [] : [`*Why a human is needed:* ${notification.reason}`]),
    ...(interrupted === undefined
      ? []
      : [
          `*Ledger:* ${LEDGER_MAY_BE_INCOMPLETE}`,
          "*Steps planned:*",
          ...interrupted.steps.map(
            (step) =>
              `• ${step.index + 1}. ${step.description} (on failure: ${step.onFailure})${step.index === interrupted.step ? ` ← ${interrupted.phase} when it stopped` : ""}`,
          ),
        ]),
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
    ...(notification.interrupted === undefined ? {} : interruptedFields(notification.interrupted)),
  };
}

/** What the JSON webhook body adds about a run stopped by an unexpected error. */
function interruptedFields(run: InterruptedRun): Record<string, unknown> {
  return {
    ledgerIncomplete: true,
    ledgerNote: LEDGER_MAY_BE_INCOMPLETE,
    run: {
      phase: run.phase,
      step: run.step ?? null,
      actionApplied: actionApplied(run),
      stepsPlanned: run.steps,
      applied: run.applied,
      error: run.error,
      stoppedAt: new Date(run.stoppedAtMs).toISOString(),
    },
  };
}

export function formatNotification(
  format: SinkFormat,
  notification: RemediationNotification,
): Record<string, unknown> {
  return format === SinkFormat.slack ? formatSlackMessage(notification) : formatWebhookMessage(notification);
}
