import { describe, expect, it } from "vitest";
import {
  deliveryKey,
  incidentIdOf,
  labelsFingerprint,
  parseAlertmanagerPayload,
} from "../../src/remediation/alerting/alertmanager-payload.js";
import { compileMatcher, parseMatcher } from "../../src/remediation/alerting/label-matcher.js";
import { matchingSilence } from "../../src/remediation/alerting/silence.js";
import { webhookPayload } from "../support/remediation-fixtures.js";

const FIRING = webhookPayload([
  {
    labels: { alertname: "HighErrorRate", namespace: "shop", deployment: "api-server", severity: "critical" },
    fingerprint: "c6eadffa33fcdf37",
  },
]);

describe("Alertmanager webhook payload (version 4)", () => {
  it("reads a payload as Alertmanager 0.25 sends it", () => {
    const parsed = parseAlertmanagerPayload(FIRING);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.alerts).toHaveLength(1);
    const [alert] = parsed.alerts;
    expect(alert?.fingerprint).toBe("c6eadffa33fcdf37");
    expect(alert?.startsAtMs).toBe(Date.parse("2026-11-28T02:00:00Z"));
    expect(alert?.endsAtMs).toBeUndefined();
    expect(alert?.labels.deployment).toBe("api-server");
  });

  it("tolerates fields a newer Alertmanager adds", () => {
    expect(parseAlertmanagerPayload({ ...FIRING, orgId: 1, extra: { a: 1 } }).ok).toBe(true);
  });

  it("derives a stable fingerprint from the labels when none is sent", () => {
    const labels = { alertname: "X", b: "2", a: "1" };
    const parsed = parseAlertmanagerPayload(webhookPayload([{ labels }]));
    expect(parsed.ok && parsed.alerts[0]?.fingerprint).toBe(
      labelsFingerprint({ a: "1", alertname: "X", b: "2" }),
    );
    expect(labelsFingerprint(labels)).toMatch(/^[0-9a-f]{16}$/);
    expect(labelsFingerprint(labels)).not.toBe(labelsFingerprint({ ...labels, a: "2" }));
  });

  it.each([
    ["version 3", { ...FIRING, version: "3" }, "version"],
    ["no alerts", { ...FIRING, alerts: [] }, "alerts"],
    ["an alert without alertname", webhookPayload([{ labels: { job: "x" } }]), "alerts[0].labels"],
    [
      "a bad label name",
      webhookPayload([{ labels: { alertname: "X", "bad-name": "1" } }]),
      "alerts[0].labels.bad-name",
    ],
    [
      "startsAt that is not a time",
      webhookPayload([{ labels: { alertname: "X" }, startsAt: "yesterday" }]),
      "alerts[0].startsAt",
    ],
    [
      "startsAt at Go's zero time",
      webhookPayload([{ labels: { alertname: "X" }, startsAt: "0001-01-01T00:00:00Z" }]),
      "alerts[0].startsAt",
    ],
    [
      "an unknown status",
      webhookPayload([{ labels: { alertname: "X" }, status: "pending" as never }]),
      "alerts[0].status",
    ],
    [
      "a fingerprint with non-hex characters",
      webhookPayload([{ labels: { alertname: "X" }, fingerprint: "zz" }]),
      "alerts[0].fingerprint",
    ],
    ["not an object", "hello", "(body)"],
    ["null", null, "(body)"],
  ])("refuses %s, naming the field", (_name, body, field) => {
    const parsed = parseAlertmanagerPayload(body);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.problems.map((problem) => problem.field)).toContain(field);
  });

  it("keys deliveries by fingerprint, startsAt and status, and incidents by fingerprint and startsAt", () => {
    const parsed = parseAlertmanagerPayload(
      webhookPayload([
        { labels: { alertname: "X" }, fingerprint: "aa" },
        { labels: { alertname: "X" }, fingerprint: "aa", status: "resolved", endsAt: "2026-11-28T02:05:00Z" },
        { labels: { alertname: "X" }, fingerprint: "aa", startsAt: "2026-11-28T03:00:00Z" },
      ]),
    );
    if (!parsed.ok) throw new Error("payload refused");
    const [firing, resolved, later] = parsed.alerts;
    expect(deliveryKey(firing!)).not.toBe(deliveryKey(resolved!));
    expect(incidentIdOf(firing!)).toBe(incidentIdOf(resolved!));
    expect(incidentIdOf(firing!)).not.toBe(incidentIdOf(later!));
    expect(resolved?.endsAtMs).toBe(Date.parse("2026-11-28T02:05:00Z"));
  });
});

describe("label matchers", () => {
  const compile = (text: string) => {
    const matcher = parseMatcher(text);
    if (typeof matcher === "string") throw new Error(matcher);
    const compiled = compileMatcher(matcher);
    if (typeof compiled === "string") throw new Error(compiled);
    return compiled;
  };

  it.each([
    ['namespace="shop"', { namespace: "shop" }, true],
    ['namespace="shop"', { namespace: "shop2" }, false],
    ['namespace!="shop"', { namespace: "web" }, true],
    ['namespace!="shop"', {}, true],
    ['team=""', {}, true],
    ['team!=""', {}, false],
    ['namespace=~"shop|web"', { namespace: "web" }, true],
    ['namespace=~"shop|web"', { namespace: "webshop" }, false],
    ['namespace=~"sh.*"', { namespace: "shop" }, true],
    ['namespace!~"kube-.*"', { namespace: "kube-system" }, false],
    ['namespace!~"kube-.*"', { namespace: "shop" }, true],
    ["severity=critical", { severity: "critical" }, true],
  ])("%s on %j is %s (regexes anchored, missing labels empty)", (text, labels, expected) => {
    expect(compile(text).test(labels)).toBe(expected);
  });

  it("says why a matcher is malformed or its regex invalid", () => {
    expect(parseMatcher("namespace")).toMatch(/must look like/);
    const matcher = parseMatcher('a=~"("');
    expect(typeof matcher).not.toBe("string");
    if (typeof matcher !== "string") expect(compileMatcher(matcher)).toMatch(/regex "\(" is invalid/);
  });

  it("finds an active silence only when every matcher matches and now is inside it", () => {
    const silence = {
      id: "s1",
      matchers: [compile('alertname="HighErrorRate"'), compile('namespace=~"shop"')],
      startsAtMs: 1000,
      endsAtMs: 2000,
      createdBy: "ops",
      comment: "deploying",
    };
    expect(matchingSilence([silence], { alertname: "HighErrorRate", namespace: "shop" }, 1500)?.id).toBe(
      "s1",
    );
    expect(
      matchingSilence([silence], { alertname: "HighErrorRate", namespace: "web" }, 1500),
    ).toBeUndefined();
    expect(
      matchingSilence([silence], { alertname: "HighErrorRate", namespace: "shop" }, 2000),
    ).toBeUndefined();
    expect(
      matchingSilence([silence], { alertname: "HighErrorRate", namespace: "shop" }, 999),
    ).toBeUndefined();
  });
});
