import { describe, expect, it } from "vitest";
import type { IncidentEvent, IncidentEventBody } from "../../src/remediation/ledger/incident-event.js";
import { foldIncident, IncidentState, type Incident } from "../../src/remediation/ledger/incident.js";
import { RemediationMetrics } from "../../src/remediation/ledger/remediation-metrics.js";
import { computeRemediationStats, REFIRE_WINDOW_MS } from "../../src/remediation/ledger/remediation-stats.js";
import {
  formatSlackMessage,
  formatWebhookMessage,
} from "../../src/remediation/notifications/notification-format.js";
import { formatElapsed } from "../../src/remediation/notifications/remediation-notification.js";
import { receivedAlert } from "../support/remediation-fixtures.js";

const START = Date.parse("2026-11-28T02:00:00Z");
const LABELS = { alertname: "HighErrorRate", namespace: "shop", deployment: "api-server" };

function incident(
  id: string,
  events: (IncidentEventBody & { atMs?: number })[],
  fingerprint = id,
  startsAtMs = START,
): Incident {
  const timeline = [
    {
      type: "received",
      alert: receivedAlert(LABELS, { fingerprint, startsAtMs }),
      atMs: startsAtMs + 30_000,
    },
    ...events.map((event, index) => ({ atMs: startsAtMs + 60_000 * (index + 1), ...event })),
  ] as IncidentEvent[];
  const folded = foldIncident(id, timeline);
  if (folded === undefined) throw new Error("no incident");
  return folded;
}

const healed = (id: string, fingerprint = id, startsAtMs = START): Incident =>
  incident(
    id,
    [
      { type: "matched", runbook: "rb", mode: "auto", steps: [] },
      {
        type: "acted",
        step: 0,
        description: "rollout restart deployment/api-server -n shop",
        detail: "ok",
        atMs: startsAtMs + 60_000,
      },
      { type: "verified", step: 0, detail: "promql 0 < 0.01 ✓", atMs: startsAtMs + 112_000 },
      { type: "healed", atMs: startsAtMs + 112_000 },
    ],
    fingerprint,
    startsAtMs,
  );

describe("incident ledger", () => {
  it("folds a timeline into state, runbook, actions and MTTR split into detect / act / verify", () => {
    const folded = healed("a");
    expect(folded.state).toBe(IncidentState.healed);
    expect(folded.runbook).toBe("rb");
    expect(folded.actions).toBe(1);
    expect(folded.mttr).toEqual({ detectMs: 30_000, actMs: 30_000, verifyMs: 52_000, totalMs: 112_000 });
  });

  it("marks incidents resolved before any decision as closed, and guard-refused ones as skipped", () => {
    expect(incident("b", [{ type: "resolved", endsAtMs: START + 1 }]).state).toBe(IncidentState.closed);
    expect(
      incident("c", [
        { type: "matched", runbook: "rb", mode: "auto", steps: [] },
        { type: "denied", step: 0, reason: "cooldown", detail: "x" },
      ]).state,
    ).toBe(IncidentState.skipped);
    expect(foldIncident("d", [])).toBeUndefined();
  });

  it("computes success, false-positive (reverted or re-fired within 30 min), manual-intervention and coverage rates", () => {
    const incidents = [
      healed("h1"),
      healed("h2", "fp-refired"),
      // The same alert fires again 20 minutes after h2 healed: h2 was a false positive.
      incident("refire", [{ type: "unmatched", detail: "x" }], "fp-refired", START + 112_000 + 20 * 60_000),
      // Re-fired after the window: not counted.
      healed("h3", "fp-late"),
      incident(
        "late",
        [{ type: "unmatched", detail: "x" }],
        "fp-late",
        START + 112_000 + REFIRE_WINDOW_MS + 1,
      ),
      incident("reverted", [
        { type: "matched", runbook: "rb", mode: "auto", steps: [] },
        { type: "acted", step: 0, description: "scale", detail: "ok" },
        { type: "verification-failed", step: 0, detail: "no" },
        { type: "reverted", step: 0, detail: "scaled back" },
        { type: "escalated", reason: "did not fix it" },
      ]),
      incident("approval", [{ type: "awaiting-approval", runbook: "rb", steps: [] }]),
      incident("silenced", [{ type: "skipped", runbook: "rb", reason: "silenced", detail: "s1" }]),
    ];
    const stats = computeRemediationStats(incidents);
    expect(stats).toMatchObject({
      incidents: 8,
      covered: 6,
      acted: 4,
      healed: 3,
      escalated: 1,
      falsePositives: 2,
      manual: 2,
    });
    expect(stats.successRate).toBeCloseTo(3 / 4);
    expect(stats.falsePositiveRate).toBeCloseTo(2 / 4);
    expect(stats.manualInterventionRate).toBeCloseTo(2 / 6);
    expect(stats.coverage).toBeCloseTo(6 / 8);
    expect(stats.mttrMs).toEqual([112_000, 112_000, 112_000]);
    expect(computeRemediationStats([])).toMatchObject({ successRate: 0, coverage: 0 });
  });

  it("exposes the rates and the MTTR histogram on /metrics", async () => {
    const incidents = [healed("h1"), incident("u", [{ type: "unmatched", detail: "x" }])];
    const metrics = new RemediationMetrics({
      stats: () => Promise.resolve(computeRemediationStats(incidents)),
    });
    metrics.observeMttr(healed("h1").mttr!);
    const text = await metrics.metrics();
    expect(text).toMatch(/presage_remediation_success_ratio 1/);
    expect(text).toMatch(/presage_remediation_coverage_ratio 0.5/);
    expect(text).toMatch(/presage_remediation_false_positive_ratio 0/);
    expect(text).toMatch(/presage_remediation_mttr_seconds_bucket\{le="120",phase="total"\} 1/);
    expect(text).toMatch(/presage_remediation_mttr_seconds_sum\{phase="verify"\} 52/);
  });
});

describe("notifications", () => {
  it("formats a Slack message and a generic JSON body with the alert, actions, verification and ledger link", () => {
    const notification = {
      kind: "healed" as const,
      summary: `Auto-remediated HighErrorRate on api-server (${formatElapsed(112_000)})`,
      incident: healed("h1"),
      ledgerUrl: "https://presage.example/api/v1/remediation/incidents/h1",
    };
    expect(notification.summary).toBe("Auto-remediated HighErrorRate on api-server (1m52s)");
    const slack = formatSlackMessage(notification);
    expect(slack.text).toContain("Auto-remediated HighErrorRate on api-server (1m52s)");
    const block = JSON.stringify(slack.blocks);
    expect(block).toContain("rollout restart deployment/api-server -n shop");
    expect(block).toContain("promql 0 < 0.01");
    expect(block).toContain("https://presage.example/api/v1/remediation/incidents/h1");
    const body = formatWebhookMessage({ ...notification, kind: "escalated", reason: "did not fix it" });
    expect(body).toMatchObject({
      kind: "escalated",
      reason: "did not fix it",
      alert: { labels: LABELS },
      ledgerUrl: notification.ledgerUrl,
    });
    expect(body.actions).toEqual(["step 1 rollout restart deployment/api-server -n shop: ok"]);
    expect(formatElapsed(850)).toBe("850ms");
    expect(formatElapsed(3 * 3_600_000 + 5 * 60_000)).toBe("3h05m");
  });
});
