import { describe, expect, it } from "vitest";
import {
  actionApplied,
  describeInterruptedRun,
  RunPhase,
  type InterruptedRun,
} from "../../src/remediation/notifications/interrupted-run.js";
import { foldIncident } from "../../src/remediation/ledger/incident.js";
import { formatNotification } from "../../src/remediation/notifications/notification-format.js";
import type { RemediationNotification } from "../../src/remediation/notifications/remediation-notification.js";
import { receivedAlert } from "../support/remediation-fixtures.js";

const LABELS = { alertname: "HighErrorRate", namespace: "shop", deployment: "api-server" };

function run(overrides: Partial<InterruptedRun> = {}): InterruptedRun {
  return {
    incidentId: "f1-1",
    alertname: "HighErrorRate",
    labels: LABELS,
    runbook: "high-error-rate",
    steps: [
      {
        index: 0,
        description: "rollout restart deployment/api-server -n shop",
        target: "shop/api-server",
        onFailure: "next",
      },
      {
        index: 1,
        description: "rollout undo deployment/api-server -n shop",
        target: "shop/api-server",
        onFailure: "undo",
      },
    ],
    phase: RunPhase.admitting,
    step: 0,
    applied: [],
    error: "connect ECONNREFUSED 127.0.0.1:6379",
    stoppedAtMs: Date.parse("2026-11-28T02:05:00Z"),
    ...overrides,
  };
}

describe("the page about a run stopped by an unexpected error", () => {
  it("says no action was applied when the run stopped before applying anything", () => {
    expect(actionApplied(run())).toBe("no");
    const { summary, reason } = describeInterruptedRun(run());
    expect(summary).toBe(
      "Needs a human: HighErrorRate on api-server — remediation by high-error-rate stopped by an unexpected error; the ledger may be incomplete",
    );
    expect(reason).toContain(
      "stopped while admitting step 1 of 2 (rollout restart deployment/api-server -n shop)",
    );
    expect(reason).toContain("No action of this run had been applied.");
    expect(reason).toContain("will not retry or undo anything");
  });

  it("says the action may or may not have been applied when the run stopped while applying or undoing it", () => {
    expect(actionApplied(run({ phase: RunPhase.applying }))).toBe("maybe");
    expect(describeInterruptedRun(run({ phase: RunPhase.applying })).reason).toContain(
      "Step 1's action may or may not have been applied.",
    );
    expect(describeInterruptedRun(run({ phase: RunPhase.undoing, step: 1 })).reason).toContain(
      "Step 2's undo may or may not have been applied.",
    );
  });

  it("names the actions still in place once one was applied, even past the steps", () => {
    const { step, ...rest } = run();
    expect(step).toBe(0);
    const finishing: InterruptedRun = {
      ...rest,
      phase: RunPhase.finishing,
      applied: ["step 1 (rollout restart deployment/api-server -n shop): restarted at 02:04:10"],
    };
    expect(actionApplied(finishing)).toBe("yes");
    const { reason } = describeInterruptedRun(finishing);
    expect(reason).toContain("stopped while finishing: connect ECONNREFUSED");
    expect(reason).toContain("Applied by this run and still in place: step 1 (rollout restart");
  });

  it("marks the step that was running in both wire formats and says the ledger may be incomplete", () => {
    const interrupted = run({ phase: RunPhase.preparing, step: 1 });
    const { summary, reason } = describeInterruptedRun(interrupted);
    const atMs = Date.parse("2026-11-28T02:04:00Z");
    const incident = foldIncident("f1-1", [
      { type: "received", alert: receivedAlert(LABELS), atMs },
      { type: "matched", runbook: "high-error-rate", mode: "auto", steps: interrupted.steps, atMs },
      { type: "action-failed", step: 0, description: "rollout restart", detail: "HTTP 500", atMs },
      { type: "escalated", reason, atMs: interrupted.stoppedAtMs },
    ])!;
    const page: RemediationNotification = { kind: "escalated", summary, reason, incident, interrupted };
    const slack = formatNotification("slack", page) as {
      text: string;
      blocks: { text: { text: string } }[];
    };
    const text = slack.blocks[0]?.text.text ?? "";
    expect(slack.text).toMatch(/^:rotating_light: Needs a human: HighErrorRate on api-server/);
    expect(text).toContain("*Ledger:* The incident ledger may be incomplete");
    expect(text).toContain(
      "2. rollout undo deployment/api-server -n shop (on failure: undo) ← preparing when it stopped",
    );
    expect(text).toContain("• step 1 action-failed rollout restart: HTTP 500");
    const webhook = formatNotification("webhook", page);
    expect(webhook).toMatchObject({
      kind: "escalated",
      ledgerIncomplete: true,
      incident: { id: "f1-1", state: "escalated", runbook: "high-error-rate" },
      alert: { labels: LABELS },
      run: { phase: "preparing", step: 1, actionApplied: "no", stoppedAt: "2026-11-28T02:05:00.000Z" },
      ledgerUrl: null,
    });
    // An ordinary notification says nothing of an incomplete ledger.
    const ordinary = formatNotification("webhook", { kind: "escalated", summary, reason, incident });
    expect(ordinary).not.toHaveProperty("ledgerIncomplete");
    expect(
      JSON.stringify(formatNotification("slack", { kind: "escalated", summary, incident })),
    ).not.toContain("*Ledger:*");
  });
});
