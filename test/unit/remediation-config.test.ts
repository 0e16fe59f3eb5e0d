import { describe, expect, it } from "vitest";
import { ConfigError, parseConfigText } from "../../src/config/presage-config.js";

const TOKEN = "a-webhook-token-of-some-length";

function problems(text: string): string[] {
  try {
    parseConfigText(text);
  } catch (error) {
    if (error instanceof ConfigError)
      return error.problems.map((problem) => `${problem.field} ${problem.rule}`);
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("the remediation config section", () => {
  it("resolves defaults, durations and paths (a remediation-only file needs no targets)", () => {
    const config = parseConfigText(
      `remediation:
  runbooksDir: runbooks
  webhook: { tokens: ["${TOKEN}"] }
  guards: { cooldown: 15m, maxActionsPerHour: 12 }
  maintenanceWindows:
    - { name: saturday, cron: "0 2 * * 6", duration: 2h, runbooks: [high-error-rate] }
    - { name: freeze, from: "2026-12-24T00:00:00Z", to: "2026-12-27T00:00:00Z" }
  alertmanager: { url: "http://alertmanager:9093" }
  notifications:
    sinks:
      - { name: slack, type: slack, url: "https://hooks.slack.com/services/T/B/X", kinds: [healed, escalated] }
`,
      "presage.yaml",
      "/etc/presage",
    );
    const remediation = config.remediation!;
    expect(remediation.runbooksDir).toBe("/etc/presage/runbooks");
    expect(remediation.defaultMode).toBe("dry-run");
    expect(remediation.limits).toMatchObject({
      cooldownMs: 900_000,
      maxActionsPerHour: 12,
      maxConcurrent: 3,
      breakerOpenMs: 3_600_000,
    });
    expect(remediation.maintenanceWindows).toEqual([
      { name: "saturday", cron: "0 2 * * 6", durationMs: 7_200_000, runbooks: ["high-error-rate"] },
      {
        name: "freeze",
        fromMs: Date.parse("2026-12-24T00:00:00Z"),
        toMs: Date.parse("2026-12-27T00:00:00Z"),
        runbooks: [],
      },
    ]);
    expect(remediation.alertmanager).toEqual({ url: "http://alertmanager:9093", actWithoutSilences: false });
    expect(remediation.notifications.sinks[0]).toMatchObject({
      name: "slack",
      format: "slack",
      kinds: ["healed", "escalated"],
    });
  });

  it("reports every problem at once, naming field and rule", () => {
    const found = problems(`remediation:
  webhook: { tokens: [] }
  defaultMode: yolo
  guards: { cooldown: soon, blastRadiusPercent: 150 }
  maintenanceWindows:
    - { name: w, cron: "not cron", duration: 1h }
    - { name: z, cron: "0 2 * * 6", duration: 1h, timezone: Mars/Olympus }
  notifications:
    sinks:
      - { name: a, type: slack, url: "ftp://x" }
      - { name: a, type: webhook, url: "http://x" }
`);
    expect(found).toEqual(
      expect.arrayContaining([
        "remediation.webhook needs tokens or tokenFile: the webhook never runs unauthenticated",
        expect.stringMatching(/^remediation\.defaultMode /),
        expect.stringMatching(/^remediation\.guards\.cooldown must be a duration/),
        expect.stringMatching(/^remediation\.guards\.blastRadiusPercent /),
        expect.stringMatching(/^remediation\.maintenanceWindows\[1\].*must be an IANA time zone/),
        expect.stringMatching(/^remediation\.notifications\.sinks\[0\]\.url must be an http\(s\) URL/),
      ]),
    );
  });
});
