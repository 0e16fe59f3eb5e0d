import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RemediationHarness, type RemediationReplica } from "../support/remediation-harness.js";
import { restartRunbookYaml, runbooksFromYaml, webhookPayload } from "../support/remediation-fixtures.js";

/**
 * Fuzzed webhook bodies through the real Fastify app (inject): never a 5xx, never a crash (the app
 * keeps answering), never an action (the stand-in sees no write).
 */
const RUNBOOKS = runbooksFromYaml({ "restart.yaml": restartRunbookYaml({ alertname: "HighErrorRate" }) });
const VALID = webhookPayload([
  {
    labels: { alertname: "HighErrorRate", namespace: "shop", deployment: "api-server", severity: "critical" },
    fingerprint: "ab12",
  },
]);
/** The base of the mutated cases: valid, but for an alert no runbook matches, so whatever survives a mutation cannot act. */
const VALID_UNMATCHED = webhookPayload([
  {
    labels: { alertname: "FuzzAlert", namespace: "shop", deployment: "api-server", severity: "critical" },
    fingerprint: "ab13",
  },
]);

let harness: RemediationHarness;
let replica: RemediationReplica;
let statuses: Map<number, number>;

beforeAll(async () => {
  harness = await RemediationHarness.start({ runbooks: RUNBOOKS });
  harness.seedDeployments(["api-server"]);
  replica = await harness.addReplica();
  statuses = new Map();
});

afterAll(async () => {
  await harness.close();
});

async function post(payload: string, contentType = "application/json"): Promise<number> {
  const response = await replica.app.inject({
    method: "POST",
    url: "/api/v1/alerts/alertmanager",
    headers: { authorization: "Bearer alertmanager-secret", "content-type": contentType },
    payload,
  });
  statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
  return response.statusCode;
}

/** A valid payload with one field replaced by something arbitrary (or deleted) — the hard cases. */
const mutatedPayload = fc
  .tuple(
    fc.constantFrom(
      "version",
      "groupKey",
      "status",
      "receiver",
      "alerts",
      "externalURL",
      "truncatedAlerts",
      "alerts.0",
      "alerts.0.status",
      "alerts.0.labels",
      "alerts.0.labels.alertname",
      "alerts.0.labels.deployment",
      "alerts.0.startsAt",
      "alerts.0.endsAt",
      "alerts.0.fingerprint",
      "alerts.0.annotations",
    ),
    fc.oneof(
      fc.constant(undefined),
      fc.jsonValue(),
      fc.string(),
      fc.integer(),
      fc.constant(null),
      fc.constant({ alertname: 1 }),
    ),
  )
  .map(([path, value]) => {
    const copy: Record<string, unknown> = structuredClone(VALID_UNMATCHED);
    const keys = path.split(".");
    let node: Record<string, unknown> = copy;
    for (const key of keys.slice(0, -1)) node = node[key] as Record<string, unknown>;
    const last = keys[keys.length - 1]!;
    if (value === undefined) Reflect.deleteProperty(node, last);
    else node[last] = value;
    return copy;
  })
  // A mutation that happens to leave a valid alert for our runbook is not a bad body.
  .filter((body) => !JSON.stringify(body).includes('"HighErrorRate"'));

describe("fuzzed webhook bodies", () => {
  it("never answer 5xx, never crash, never act: arbitrary JSON values", async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        const status = await post(JSON.stringify(value));
        expect(status).toBeGreaterThanOrEqual(400);
        expect(status).toBeLessThan(500);
      }),
      { numRuns: 1500, seed: 20261128 },
    );
  });

  it("never answer 5xx, never crash, never act: arbitrary strings and bytes, in any content type", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: "binary", maxLength: 300 })),
        fc.constantFrom(
          "application/json",
          "application/json; charset=utf-8",
          "text/plain",
          "application/x-www-form-urlencoded",
          "application/octet-stream",
        ),
        async (text, contentType) => {
          const status = await post(text, contentType);
          expect(status).toBeGreaterThanOrEqual(400);
          expect(status).toBeLessThan(500);
        },
      ),
      { numRuns: 1500, seed: 7 },
    );
  });

  it("never answer 5xx, never crash, never act: valid payloads with one field broken", async () => {
    await fc.assert(
      fc.asyncProperty(mutatedPayload, async (body) => {
        const status = await post(JSON.stringify(body));
        expect(status).toBeLessThan(500);
      }),
      { numRuns: 1500, seed: 42 },
    );
  });

  it("answered every case with a 4xx (or a harmless 200) and made no write to Kubernetes", async () => {
    await harness.idle();
    const total = [...statuses.values()].reduce((sum, count) => sum + count, 0);
    expect(total).toBeGreaterThanOrEqual(4500);
    expect([...statuses.keys()].every((status) => status < 500)).toBe(true);
    expect(harness.standIn.writes()).toHaveLength(0);
    // Still alive and still acting on a real alert.
    expect(await post(JSON.stringify(VALID))).toBe(200);
    await harness.idle();
    expect(harness.deploymentPatches()).toHaveLength(1);
  });
});
