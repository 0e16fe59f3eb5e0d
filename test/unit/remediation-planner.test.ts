import { describe, expect, it } from "vitest";
import { compileMatcher } from "../../src/remediation/alerting/label-matcher.js";
import type { CompiledMatcher } from "../../src/remediation/alerting/label-matcher.js";
import { activeMaintenanceWindow } from "../../src/remediation/planning/maintenance-window.js";
import {
  planRemediation,
  selectRunbook,
  type PlanContext,
} from "../../src/remediation/planning/plan-remediation.js";
import { receivedAlert, restartRunbookYaml, runbooksFromYaml } from "../support/remediation-fixtures.js";

const NOW = Date.parse("2026-11-28T02:00:30Z");
const CONTEXT: PlanContext = {
  nowMs: NOW,
  defaultMode: "dry-run",
  maintenanceWindows: [],
  breakers: {},
  silences: [],
  actWithoutSilences: false,
};
const LABELS = {
  alertname: "HighErrorRate",
  namespace: "shop",
  deployment: "api-server",
  severity: "critical",
};

const RUNBOOKS = runbooksFromYaml({
  "restart.yaml": restartRunbookYaml({
    verify: `verify:\n  promql: { query: 'err{deployment="{{ labels.deployment }}"}', below: 0.01 }`,
  }),
  "rollback.yaml": `name: rollback-critical
mode: approval
priority: 5
match:
  alertname: HighErrorRate
  severity: [critical]
  labels: ['namespace=~"shop|web"']
steps:
  - action: rollback-deployment
    params: { namespace: "{{ labels.namespace }}", deployment: "{{ labels.deployment }}" }
`,
  "default-mode.yaml": `name: scale-out
match: { alertname: Saturation }
steps:
  - action: scale-deployment
    params: { namespace: "{{ labels.namespace }}", deployment: "{{ labels.deployment }}", by: 2, max: 10 }
`,
});

function matcher(text: string): CompiledMatcher {
  const [name, value] = text.split("=");
  const compiled = compileMatcher({ name: name!, operator: "=", value: value! });
  if (typeof compiled === "string") throw new Error(compiled);
  return compiled;
}

describe("planner: alert + runbooks + guard state → plan", () => {
  it("picks the matching runbook with the highest priority, severity and matchers included", () => {
    expect(selectRunbook(receivedAlert(LABELS), RUNBOOKS)?.name).toBe("rollback-critical");
    expect(selectRunbook(receivedAlert({ ...LABELS, severity: "warning" }), RUNBOOKS)?.name).toBe(
      "restart-on-errors",
    );
    expect(selectRunbook(receivedAlert({ ...LABELS, namespace: "billing" }), RUNBOOKS)?.name).toBe(
      "restart-on-errors",
    );
    expect(selectRunbook(receivedAlert({ alertname: "HighErrorRate" }), RUNBOOKS)).toBeUndefined();
    expect(selectRunbook(receivedAlert({ alertname: "DiskFull" }), RUNBOOKS)).toBeUndefined();
  });

  it("renders the steps with the alert's labels, validated, in the runbook's mode", () => {
    const plan = planRemediation(receivedAlert({ ...LABELS, severity: "warning" }), RUNBOOKS, CONTEXT);
    expect(plan).toMatchObject({ kind: "run", runbook: "restart-on-errors", mode: "auto" });
    if (plan.kind !== "run") return;
    expect(plan.steps).toHaveLength(1);
    expect(plan.steps[0]).toMatchObject({
      action: { kind: "restart-deployment", params: { namespace: "shop", deployment: "api-server" } },
      target: "deployment/shop/api-server",
      description: "rollout restart deployment/api-server -n shop",
      onFailure: "escalate",
      verify: { promql: { query: 'err{deployment="api-server"}', below: 0.01 } },
    });
  });

  it("uses the configured default mode for runbooks that set none", () => {
    const plan = planRemediation(
      receivedAlert({ alertname: "Saturation", namespace: "shop", deployment: "web" }),
      RUNBOOKS,
      CONTEXT,
    );
    expect(plan).toMatchObject({ kind: "run", mode: "dry-run", runbook: "scale-out" });
  });

  it("says why nothing runs: no runbook", () => {
    expect(planRemediation(receivedAlert({ alertname: "DiskFull" }), RUNBOOKS, CONTEXT)).toEqual({
      kind: "unmatched",
      detail: "no runbook matches alert DiskFull",
    });
  });

  it("skips and pages when the alert lacks a label the runbook templates, or it renders an invalid name", () => {
    const [scale] = RUNBOOKS.filter((runbook) => runbook.name === "scale-out");
    const plan = planRemediation(
      receivedAlert({ alertname: "Saturation", namespace: "shop" }),
      [scale!],
      CONTEXT,
    );
    expect(plan).toMatchObject({ kind: "skip", reason: "template", page: true });
    expect(plan.kind === "skip" && plan.detail).toMatch(/no label "deployment"/);
    const invalid = planRemediation(
      receivedAlert({ alertname: "Saturation", namespace: "shop", deployment: "../../etc" }),
      [scale!],
      CONTEXT,
    );
    expect(invalid).toMatchObject({ kind: "skip", reason: "template" });
    expect(invalid.kind === "skip" && invalid.detail).toMatch(
      /params\.deployment: must be a DNS-1123 subdomain/,
    );
  });

  it("skips (and pages) while the runbook's breaker is open; not after", () => {
    const warning = receivedAlert({ ...LABELS, severity: "warning" });
    const open = { breakers: { "restart-on-errors": { failures: 3, openUntilMs: NOW + 1 } } };
    expect(planRemediation(warning, RUNBOOKS, { ...CONTEXT, ...open })).toMatchObject({
      kind: "skip",
      reason: "breaker-open",
      page: true,
    });
    expect(planRemediation(warning, RUNBOOKS, { ...CONTEXT, ...open, nowMs: NOW + 1 })).toMatchObject({
      kind: "run",
    });
  });

  it("records dry-run runbooks whatever the guards say", () => {
    const plan = planRemediation(
      receivedAlert({ alertname: "Saturation", namespace: "shop", deployment: "web" }),
      RUNBOOKS,
      {
        ...CONTEXT,
        breakers: { "scale-out": { failures: 9, openUntilMs: NOW + 1000 } },
        silences: { unavailable: "down" },
      },
    );
    expect(plan).toMatchObject({ kind: "run", mode: "dry-run" });
  });

  it("skips without paging inside a maintenance window of the runbook", () => {
    const windows = [{ name: "saturday", fromMs: NOW - 1, toMs: NOW + 1, runbooks: ["restart-on-errors"] }];
    const warning = receivedAlert({ ...LABELS, severity: "warning" });
    expect(planRemediation(warning, RUNBOOKS, { ...CONTEXT, maintenanceWindows: windows })).toMatchObject({
      kind: "skip",
      reason: "maintenance",
      page: false,
    });
    expect(
      planRemediation(receivedAlert(LABELS), RUNBOOKS, { ...CONTEXT, maintenanceWindows: windows }),
    ).toMatchObject({ kind: "run" });
  });

  it("respects an active Alertmanager silence, and fails safe when silences cannot be read", () => {
    const warning = receivedAlert({ ...LABELS, severity: "warning" });
    const silence = {
      id: "s1",
      matchers: [matcher("deployment=api-server")],
      startsAtMs: NOW - 1,
      endsAtMs: NOW + 1,
      createdBy: "ops",
      comment: "deploying",
    };
    expect(planRemediation(warning, RUNBOOKS, { ...CONTEXT, silences: [silence] })).toMatchObject({
      kind: "skip",
      reason: "silenced",
      page: false,
    });
    expect(
      planRemediation(warning, RUNBOOKS, { ...CONTEXT, silences: [{ ...silence, endsAtMs: NOW }] }),
    ).toMatchObject({ kind: "run" });
    expect(
      planRemediation(warning, RUNBOOKS, { ...CONTEXT, silences: { unavailable: "ECONNREFUSED" } }),
    ).toMatchObject({
      kind: "skip",
      reason: "silences-unavailable",
      page: true,
    });
    expect(
      planRemediation(warning, RUNBOOKS, {
        ...CONTEXT,
        silences: { unavailable: "ECONNREFUSED" },
        actWithoutSilences: true,
      }),
    ).toMatchObject({ kind: "run" });
  });
});

describe("maintenance windows", () => {
  it("covers [start, start + duration) of a recurring cron window, in UTC by default", () => {
    const saturday = { name: "sat", cron: "0 2 * * 6", durationMs: 2 * 3_600_000, runbooks: [] };
    const start = Date.parse("2026-11-28T02:00:00Z"); // a Saturday
    expect(activeMaintenanceWindow([saturday], "any", start - 1)).toBeUndefined();
    expect(activeMaintenanceWindow([saturday], "any", start)?.name).toBe("sat");
    expect(activeMaintenanceWindow([saturday], "any", start + 2 * 3_600_000 - 1)?.name).toBe("sat");
    expect(activeMaintenanceWindow([saturday], "any", start + 2 * 3_600_000)).toBeUndefined();
    expect(activeMaintenanceWindow([saturday], "any", start + 7 * 86_400_000 + 60_000)?.name).toBe("sat");
  });

  it("applies only to the runbooks it lists", () => {
    const window = { name: "w", fromMs: 0, toMs: 10, runbooks: ["a"] };
    expect(activeMaintenanceWindow([window], "a", 5)?.name).toBe("w");
    expect(activeMaintenanceWindow([window], "b", 5)).toBeUndefined();
  });
});
