import { afterEach, describe, expect, it } from "vitest";
import { API_PREFIX, type ApiPlugin } from "../../src/api/api-app.js";
import { alertWebhookRoutes } from "../../src/api/routes/alert-webhook-routes.js";
import { remediationRoutes } from "../../src/api/routes/remediation-routes.js";
import { bearer, buildInMemoryApi } from "../support/in-memory-backend.js";
import { restartRunbookYaml, runbooksFromYaml, webhookPayload } from "../support/remediation-fixtures.js";
import { RemediationHarness, WEBHOOK_TOKEN } from "../support/remediation-harness.js";

let harness: RemediationHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe("remediation routes mounted in the API app", () => {
  it("serve the webhook and the ledger next to the core routes, with the API's auth, errors and OpenAPI", async () => {
    harness = await RemediationHarness.start({
      runbooks: runbooksFromYaml({ "r.yaml": restartRunbookYaml() }),
    });
    harness.seedDeployments(["api-server"]);
    const { engine } = await harness.addReplica();
    const plugin: ApiPlugin = (app, context) =>
      app.register(async (scope) => {
        await scope.register(alertWebhookRoutes, { prefix: API_PREFIX, engine, tokens: [WEBHOOK_TOKEN] });
        await scope.register(remediationRoutes, { prefix: API_PREFIX, engine, auth: context.auth });
      });
    const { app } = await buildInMemoryApi({ plugins: [plugin], dashboard: false });
    const delivered = await app.inject({
      method: "POST",
      url: `${API_PREFIX}/alerts/alertmanager`,
      headers: { authorization: `Bearer ${WEBHOOK_TOKEN}`, "content-type": "application/json" },
      payload: JSON.stringify(
        webhookPayload([
          { labels: { alertname: "HighErrorRate", namespace: "shop", deployment: "api-server" } },
        ]),
      ),
    });
    expect(delivered.statusCode).toBe(200);
    await harness.idle();
    const broken = await app.inject({
      method: "POST",
      url: `${API_PREFIX}/alerts/alertmanager`,
      headers: { authorization: `Bearer ${WEBHOOK_TOKEN}`, "content-type": "application/json" },
      payload: "{not json",
    });
    expect(broken.statusCode).toBe(400);
    expect(broken.json()).toMatchObject({ code: "PRESAGE_API_INVALID_REQUEST" });
    const incidents = await app.inject({
      method: "GET",
      url: `${API_PREFIX}/remediation/incidents`,
      headers: bearer("read"),
    });
    expect(incidents.statusCode).toBe(200);
    expect(
      incidents.json<{ incidents: { state: string }[] }>().incidents.map((incident) => incident.state),
    ).toEqual(["healed"]);
    const unauthenticated = await app.inject({ method: "GET", url: `${API_PREFIX}/remediation/stats` });
    expect(unauthenticated.statusCode).toBe(401);
    const reset = await app.inject({
      method: "POST",
      url: `${API_PREFIX}/remediation/breakers/restart-on-errors/reset`,
      headers: bearer("read"),
    });
    expect(reset.statusCode).toBe(403);
    const openapi = await app.inject({ method: "GET", url: "/docs/json" });
    const paths = Object.keys(openapi.json<{ paths: Record<string, unknown> }>().paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        `${API_PREFIX}/alerts/alertmanager`,
        `${API_PREFIX}/remediation/incidents/{id}/approve`,
      ]),
    );
    // The core routes still parse JSON bodies their own way.
    const core = await app.inject({ method: "GET", url: `${API_PREFIX}/targets`, headers: bearer("read") });
    expect(core.statusCode).toBe(200);
    await app.close();
  });
});
