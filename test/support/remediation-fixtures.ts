import type { ReceivedAlert } from "../../src/remediation/alerting/alertmanager-payload.js";
import { parseRunbookFiles } from "../../src/remediation/runbooks/load-runbooks.js";
import type { Runbook } from "../../src/remediation/runbooks/runbook.js";

/** One alert of a webhook payload, as Alertmanager 0.25 sends it. */
export interface PayloadAlert {
  status?: "firing" | "resolved";
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt?: string;
  endsAt?: string;
  fingerprint?: string;
}

/** An Alertmanager webhook payload (version 4) around `alerts`. */
export function webhookPayload(
  alerts: readonly PayloadAlert[],
  status?: "firing" | "resolved",
): Record<string, unknown> {
  const groupStatus =
    status ?? (alerts.some((alert) => (alert.status ?? "firing") === "firing") ? "firing" : "resolved");
  return {
    receiver: "presage",
    status: groupStatus,
    alerts: alerts.map((alert) => ({
      status: alert.status ?? "firing",
      labels: alert.labels,
      annotations: alert.annotations ?? { summary: "test" },
      startsAt: alert.startsAt ?? "2026-11-28T02:00:00.000Z",
      endsAt: alert.endsAt ?? "0001-01-01T00:00:00Z",
      generatorURL: "http://prometheus:9090/graph?g0.expr=up",
      ...(alert.fingerprint === undefined ? {} : { fingerprint: alert.fingerprint }),
    })),
    groupLabels: { alertname: alerts[0]?.labels.alertname ?? "" },
    commonLabels: {},
    commonAnnotations: {},
    externalURL: "http://alertmanager:9093",
    version: "4",
    groupKey: '{}:{alertname="X"}',
    truncatedAlerts: 0,
  };
}

/** A parsed alert for pure tests. */
export function receivedAlert(
  labels: Record<string, string>,
  overrides: Partial<ReceivedAlert> = {},
): ReceivedAlert {
  return {
    status: "firing",
    fingerprint: "0123456789abcdef",
    labels,
    annotations: {},
    startsAtMs: Date.parse("2026-11-28T02:00:00Z"),
    generatorURL: "",
    externalURL: "http://alertmanager:9093",
    ...overrides,
  };
}

/** Runbooks from YAML texts (file name → text); throws RunbookError like the loader. */
export function runbooksFromYaml(files: Record<string, string>): Runbook[] {
  return parseRunbookFiles(Object.entries(files).map(([name, text]) => ({ name, text })));
}

/** A restart runbook for alert `alertname` on `{{ labels.namespace }}/{{ labels.deployment }}`. */
export function restartRunbookYaml(
  options: { name?: string; alertname?: string; mode?: string; verify?: string; guards?: string } = {},
): string {
  return `name: ${options.name ?? "restart-on-errors"}
mode: ${options.mode ?? "auto"}
match:
  alertname: ${options.alertname ?? "HighErrorRate"}
  labels: ['deployment!=""']
steps:
  - action: restart-deployment
    params: { namespace: "{{ labels.namespace }}", deployment: "{{ labels.deployment }}" }
    onFailure: escalate
${options.verify ?? ""}
${options.guards ?? ""}
`;
}
