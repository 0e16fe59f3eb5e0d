import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IncidentState } from "../../src/remediation/ledger/incident.js";
import { startRedis, type RealRedis } from "../support/real-redis.js";
import { RemediationHarness } from "../support/remediation-harness.js";
import {
  restartRunbookYaml,
  runbooksFromYaml,
  webhookPayload,
  type PayloadAlert,
} from "../support/remediation-fixtures.js";

/**
 * A storm: 1,000 distinct alerts in 10 s, each delivered to both replicas of an HA pair (2,000
 * notifications) in groups of 20, two presage replicas sharing Redis, one Kubernetes API. The guards
 * must hold exactly (the global hourly cap is reached and never exceeded, no Deployment acted on
 * twice within its cooldown) and the ledger must account for every alert.
 */
const ALERTS = 1000;
const DEPLOYMENTS = 200;
const GROUP = 20;
const SPREAD_MS = 10_000;
const MAX_ACTIONS_PER_HOUR = 25;
const PER_RUNBOOK = 15;

const RUNBOOKS = runbooksFromYaml({
  "errors.yaml": restartRunbookYaml({
    name: "restart-errors",
    alertname: "HighErrorRate",
    verify: "verify: { rollout: true, timeout: 5s, interval: 50ms }",
  }),
  "memory.yaml": restartRunbookYaml({
    name: "restart-memory",
    alertname: "MemoryLeak",
    verify: "verify: { rollout: true, timeout: 5s, interval: 50ms }",
  }),
});

let redis: RealRedis;

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  await redis.stop();
});

async function startHarness(mode: "cluster" | "embedded"): Promise<RemediationHarness> {
  const harness = await RemediationHarness.start({
    runbooks: RUNBOOKS,
    ...(mode === "cluster" ? { redisUrl: redis.url } : {}),
    limits: {
      maxActionsPerHour: MAX_ACTIONS_PER_HOUR,
      maxActionsPerHourPerRunbook: PER_RUNBOOK,
      maxConcurrent: 1000,
      cooldownMs: 600_000,
    },
    engine: { pageOnGuardDenial: false },
  });
  harness.seedDeployments(
    Array.from({ length: DEPLOYMENTS }, (_, index) => `svc-${index}`),
    4,
  );
  // Cluster mode: two replicas behind one Service; embedded mode is one process.
  await harness.addReplica();
  if (mode === "cluster") await harness.addReplica();
  return harness;
}

function alert(index: number): PayloadAlert {
  return {
    labels: {
      alertname: index % 2 === 0 ? "HighErrorRate" : "MemoryLeak",
      namespace: "shop",
      deployment: `svc-${index % DEPLOYMENTS}`,
      severity: "critical",
    },
    fingerprint: (0x10000 + index).toString(16),
    startsAt: new Date(Date.parse("2026-11-28T02:00:00Z") + index).toISOString(),
  };
}

describe.each(["cluster", "embedded"] as const)("an alert storm (%s mode)", (mode) => {
  let harness: RemediationHarness;
  afterAll(async () => {
    await harness.close();
  });

  it("1,000 alerts in 10 s: guards hold exactly and the ledger loses nothing", async () => {
    harness = await startHarness(mode);
    const first = harness.replicas[0];
    const second = harness.replicas[1] ?? first;
    const groups = Array.from({ length: ALERTS / GROUP }, (_, group) =>
      webhookPayload(Array.from({ length: GROUP }, (_, offset) => alert(group * GROUP + offset))),
    );
    const statuses: number[] = [];
    await Promise.all(
      groups.map(
        (payload, index) =>
          new Promise<void>((resolve, reject) => {
            setTimeout(
              () => {
                Promise.all([harness.deliver(first!, payload), harness.deliver(second!, payload)])
                  .then((responses) => {
                    statuses.push(...responses.map((response) => response.statusCode));
                    resolve();
                  })
                  .catch(reject);
              },
              (index * SPREAD_MS) / groups.length,
            );
          }),
      ),
    );
    await harness.idle();
    expect(statuses).toHaveLength(2 * groups.length);
    expect(statuses.every((status) => status === 200)).toBe(true);

    // Guards: exactly the global cap of actions, each runbook within its own, no Deployment twice.
    const patches = harness.deploymentPatches();
    expect(patches).toHaveLength(MAX_ACTIONS_PER_HOUR);
    expect(new Set(patches.map((patch) => patch.path)).size).toBe(MAX_ACTIONS_PER_HOUR);
    const incidents = await first!.engine.incidents(5000);
    const acted = incidents.filter((incident) => incident.actions > 0);
    expect(acted).toHaveLength(MAX_ACTIONS_PER_HOUR);
    for (const runbook of ["restart-errors", "restart-memory"]) {
      expect(acted.filter((incident) => incident.runbook === runbook).length).toBeLessThanOrEqual(
        PER_RUNBOOK,
      );
    }
    expect((await first!.engine.guardState()).actions).toHaveLength(MAX_ACTIONS_PER_HOUR);

    // Ledger: every alert is one incident with a final outcome, and every duplicate is recorded.
    expect(incidents).toHaveLength(ALERTS);
    expect(new Set(incidents.map((incident) => incident.fingerprint)).size).toBe(ALERTS);
    const states = new Map<string, number>();
    for (const incident of incidents) states.set(incident.state, (states.get(incident.state) ?? 0) + 1);
    expect(Object.fromEntries(states)).toEqual({
      [IncidentState.healed]: MAX_ACTIONS_PER_HOUR,
      [IncidentState.skipped]: ALERTS - MAX_ACTIONS_PER_HOUR,
    });
    const duplicates = incidents.reduce(
      (sum, incident) => sum + incident.timeline.filter((event) => event.type === "duplicate").length,
      0,
    );
    expect(duplicates).toBe(ALERTS);
    const denials = incidents.flatMap((incident) =>
      incident.timeline.filter((event) => event.type === "denied"),
    );
    expect(denials).toHaveLength(ALERTS - MAX_ACTIONS_PER_HOUR);
    const reasons = new Set(denials.map((event) => ("reason" in event ? event.reason : "")));
    expect([...reasons].every((reason) => ["global-rate", "runbook-rate", "cooldown"].includes(reason))).toBe(
      true,
    );
    const healedByBoth = new Set(acted.map((incident) => incident.id));
    expect(healedByBoth.size).toBe(MAX_ACTIONS_PER_HOUR);
  });
});
