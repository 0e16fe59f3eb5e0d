// The dashboard's self-healing panel in headless Chromium against the compiled `presage serve` with a
// remediation: section acting on the Kubernetes API stand-in: incidents created by Alertmanager
// webhook posts show with their state, runbook and MTTR, unfold their timeline on click, and the
// stats line and an open circuit breaker show above them. A server without remediation says so.
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import {
  chromium,
  type Browser,
  type BrowserContext,
  type ConsoleMessage,
  type Locator,
  type Page,
} from "playwright-core";
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import type {
  GuardStateJson,
  IncidentJson,
  IncidentStateJson,
  RemediationStatsJson,
} from "../../src/dashboard/api-types.js";
import type { Incident, IncidentState } from "../../src/remediation/ledger/incident.js";
import type { RemediationStats } from "../../src/remediation/ledger/remediation-stats.js";
import type { GuardState } from "../../src/remediation/planning/guard-state.js";
import { startKubeApiStandIn, type KubeApiStandIn } from "../support/kube-api-stand-in.js";
import { deploymentObject, kubeconfigYamlFor } from "../support/kube-fixtures.js";
import { startPresageServe, type PresageServeProcess } from "../support/presage-serve-process.js";
import { webhookPayload } from "../support/remediation-fixtures.js";

const repoRoot = resolve(import.meta.dirname, "../..");
const outputDir = join(repoRoot, "test-output");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const WEBHOOK_TOKEN = "e2e-dashboard-webhook-token";
const PANEL = '[data-panel="remediation"]';

/** Heals: a rolling restart, verified by the (simulated) rollout. */
const HEALING_RUNBOOK = `name: restart-on-errors
mode: auto
match:
  alertname: DashboardDemoErrors
  labels: ['deployment!=""']
steps:
  - action: restart-deployment
    params: { namespace: "{{ labels.namespace }}", deployment: "{{ labels.deployment }}" }
    onFailure: escalate
verify: { rollout: true, interval: 1s, timeout: 2m }
`;

/** Escalates (the alert never resolves within 3 s) and opens its breaker at the first failure. */
const ESCALATING_RUNBOOK = `name: restart-until-resolved
mode: auto
match:
  alertname: DashboardDemoStuck
  labels: ['deployment!=""']
steps:
  - action: restart-deployment
    params: { namespace: "{{ labels.namespace }}", deployment: "{{ labels.deployment }}" }
    onFailure: escalate
verify: { alertResolved: true, interval: 1s, timeout: 3s }
guards: { breakerThreshold: 1 }
`;

/** Chromium's console line for a 404 of the remediation routes (a server without remediation). */
function isRemediationNotFound(message: ConsoleMessage): boolean {
  return message.location().url.includes("/api/v1/remediation/") && message.text().includes("404");
}

/** Records console errors (but a remediation 404, counted apart), page errors and failed requests of a page. */
function watchProblems(page: Page): { problems: string[]; remediationNotFound: () => number } {
  const problems: string[] = [];
  let notFound = 0;
  page.on("console", (message: ConsoleMessage) => {
    if (message.type() !== "error") return;
    if (isRemediationNotFound(message)) notFound += 1;
    else problems.push(`console error: ${message.text()} (${message.location().url})`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("requestfailed", (request) =>
    problems.push(`request failed: ${request.url()} ${request.failure()?.errorText ?? ""}`),
  );
  return { problems, remediationNotFound: () => notFound };
}

/** An attribute of every element the locator matches, in document order. */
async function attributesOf(locator: Locator, name: string): Promise<(string | null)[]> {
  const count = await locator.count();
  return Promise.all(Array.from({ length: count }, (_, index) => locator.nth(index).getAttribute(name)));
}

async function text(page: Page, selector: string): Promise<string> {
  return (await page.locator(selector).first().textContent()) ?? "";
}

describe("the dashboard's self-healing panel in headless Chromium against `presage serve`", () => {
  let dir = "";
  let standIn: KubeApiStandIn | undefined;
  let browser: Browser | undefined;
  const servers: PresageServeProcess[] = [];

  beforeAll(async () => {
    expect(
      existsSync(CHROMIUM),
      `Chromium not found at ${CHROMIUM} (Debian package chromium; .ci/run installs it)`,
    ).toBe(true);
    await mkdir(outputDir, { recursive: true });
    dir = await mkdtemp(join(tmpdir(), "presage-dashboard-remediation-"));
    standIn = await startKubeApiStandIn({ simulateDeployments: true });
    standIn.seed(deploymentObject({ namespace: "shop", name: "web", replicas: 4 }));
    standIn.seed(deploymentObject({ namespace: "shop", name: "cart", replicas: 4 }));
    await mkdir(join(dir, "runbooks"));
    await writeFile(join(dir, "runbooks", "restart-on-errors.yaml"), HEALING_RUNBOOK);
    await writeFile(join(dir, "runbooks", "restart-until-resolved.yaml"), ESCALATING_RUNBOOK);
    await writeFile(join(dir, "kubeconfig"), kubeconfigYamlFor(standIn));
    await writeFile(
      join(dir, "presage.yaml"),
      [
        "remediation:",
        "  runbooksDir: runbooks",
        "  directory: remediation-state",
        `  webhook: { tokens: ["${WEBHOOK_TOKEN}"] }`,
      ].join("\n"),
    );
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu"] });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    for (const server of servers) await server.stop();
    await standIn?.close();
    if (dir !== "") await rm(dir, { recursive: true, force: true });
  });

  it("mirrors the remediation API's types: every backend value fits the dashboard's JSON types (checked by tsc)", () => {
    expectTypeOf<Incident>().toExtend<IncidentJson>();
    // Both ways: a state added to the backend fails here until the dashboard knows it.
    expectTypeOf<IncidentState>().toEqualTypeOf<IncidentStateJson>();
    // What GET /remediation/stats answers (remediation-routes.ts): the MTTR list as median and p95.
    expectTypeOf<
      Omit<RemediationStats, "mttrMs"> & { mttrMedianMs: number | null; mttrP95Ms: number | null }
    >().toExtend<RemediationStatsJson>();
    expectTypeOf<GuardState>().toExtend<GuardStateJson>();
  });

  it("shows the stats line, the open breaker and the incidents with state, runbook and MTTR, and unfolds a timeline on click", async () => {
    const server = await startPresageServe(
      [
        "--config",
        join(dir, "presage.yaml"),
        "--kubeconfig",
        join(dir, "kubeconfig"),
        "--model",
        "snaive",
        "--tick-ms",
        "0",
      ],
      { timeoutMs: 180_000 },
    );
    servers.push(server);
    const read = async <T>(path: string): Promise<T> =>
      (await (
        await fetch(`${server.baseUrl}/api/v1${path}`, {
          headers: { authorization: `Bearer ${server.readToken}` },
        })
      ).json()) as T;
    const deliver = async (alertname: string, deployment: string, fingerprint: string): Promise<string> => {
      const response = await fetch(`${server.baseUrl}/api/v1/alerts/alertmanager`, {
        method: "POST",
        headers: { authorization: `Bearer ${WEBHOOK_TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify(
          webhookPayload([
            {
              labels: { alertname, severity: "critical", namespace: "shop", deployment },
              startsAt: new Date(Date.now() - 3 * 60_000).toISOString(),
              fingerprint,
            },
          ]),
        ),
      });
      expect(response.status, server.output()).toBe(200);
      const body = (await response.json()) as { receipts: { incidentId: string; outcome: string }[] };
      expect(body.receipts[0]?.outcome).toBe("acting");
      return body.receipts[0]!.incidentId;
    };
    /** Waits (via the API) until the incident reaches `state`, so the page has something settled to show. */
    const settled = async (id: string, state: string): Promise<void> => {
      await expect
        .poll(async () => (await read<IncidentJson>(`/remediation/incidents/${id}`)).state, {
          timeout: 120_000,
          interval: 250,
        })
        .toBe(state);
    };
    // One after the other, so that the escalated incident is the newer one.
    const healedId = await deliver("DashboardDemoErrors", "web", "da5eb0a4d0000001");
    await settled(healedId, "healed");
    const escalatedId = await deliver("DashboardDemoStuck", "cart", "da5eb0a4d0000002");
    await settled(escalatedId, "escalated");

    const context = await browser!.newContext({ viewport: { width: 1400, height: 1600 } });
    const page = await context.newPage();
    const { problems } = watchProblems(page);
    await page.goto(server.dashboardUrl);
    await page.waitForSelector('body[data-state="ready"]', { timeout: 60_000 });
    const rows = page.locator(`${PANEL} table.incidents tbody tr.incident`);
    await expect.poll(() => rows.count(), { timeout: 60_000, interval: 250 }).toBe(2);

    // Newest first; states as badges, runbooks, subjects, MTTR only when healed.
    expect(await attributesOf(rows, "data-incident-id")).toEqual([escalatedId, healedId]);
    const healed = page.locator(`${PANEL} tr.incident[data-incident-id="${healedId}"]`);
    const escalated = page.locator(`${PANEL} tr.incident[data-incident-id="${escalatedId}"]`);
    expect(await healed.locator(".status").textContent()).toBe("healed");
    expect(await healed.locator(".status").getAttribute("class")).toContain("incident-healed");
    expect(await healed.locator("td.runbook").textContent()).toBe("restart-on-errors");
    expect(await healed.locator("td").nth(2).textContent()).toBe("DashboardDemoErrors");
    expect(await healed.locator("td").nth(3).textContent()).toBe("shop/web");
    expect(await healed.locator("td").nth(5).textContent()).toMatch(/\(\d+ min ago\)$/);
    expect(await healed.locator("td.mttr").textContent()).toMatch(/^(\d+[dhm])*\d+[hms]$/);
    expect(await escalated.locator(".status").textContent()).toBe("escalated");
    expect(await escalated.locator("td.runbook").textContent()).toBe("restart-until-resolved");
    expect(await escalated.locator("td").nth(3).textContent()).toBe("shop/cart");
    expect(await escalated.locator("td.mttr").textContent()).toBe("—");
    expect(await text(page, `${PANEL} .panel-subtitle`)).toBe("2 incidents");

    // The stats line, from GET /remediation/stats.
    const stats = await text(page, `${PANEL} .remediation-stats`);
    expect(stats).toContain("2 incidents, 2 with a runbook (100.0%)");
    expect(stats).toContain("2 acted on, 1 healed: 50.0% self-healing success");
    expect(stats).toContain("1 escalated");
    expect(stats).toMatch(/MTTR median (\d+[dhm])*\d+[hms], p95 /);

    // The breaker opened by the escalation (threshold 1), from GET /remediation/guards.
    expect(await page.isVisible(`${PANEL} .remediation-breakers`)).toBe(true);
    expect(await text(page, `${PANEL} .remediation-breakers li`)).toMatch(
      /^Circuit breaker open: runbook restart-until-resolved failed 1 time in a row/,
    );

    // No timeline until a row is clicked; a click unfolds it, another folds it again.
    const timelines = page.locator(`${PANEL} tr.incident-timeline`);
    expect(await timelines.count()).toBe(0);
    await healed.locator("td.runbook").click();
    await expect.poll(() => timelines.count(), { timeout: 10_000 }).toBe(1);
    expect(await healed.locator("button.expand").getAttribute("aria-expanded")).toBe("true");
    const events = timelines.locator("li");
    const types = await attributesOf(events, "data-event-type");
    expect(types[0]).toBe("received");
    expect(types).toEqual(expect.arrayContaining(["matched", "acted", "verified"]));
    expect(types.at(-1)).toBe("healed");
    expect(types.indexOf("acted")).toBeLessThan(types.indexOf("verified"));
    const acted = await timelines.locator('li[data-event-type="acted"] .event-detail').textContent();
    expect(acted).toContain("step 1");
    expect(acted).toContain("rollout restart deployment/web -n shop");
    expect(await timelines.locator('li[data-event-type="matched"]').textContent()).toContain(
      "runbook restart-on-errors",
    );
    // The unfolded timeline stays unfolded across refreshes (the page redraws every 10 s).
    const updatedBefore = await text(page, ".updated");
    await page.click("#refresh-now");
    await expect
      .poll(() => text(page, ".updated"), { timeout: 60_000, interval: 250 })
      .not.toBe(updatedBefore);
    expect(await timelines.count()).toBe(1);
    await page.screenshot({ path: join(outputDir, "dashboard-remediation.png"), fullPage: true });
    await healed.locator("button.expand").click();
    await expect.poll(() => timelines.count(), { timeout: 10_000 }).toBe(0);

    // Another failure of the remediation routes shows in the panel like any panel's problem.
    await context.route("**/api/v1/remediation/incidents**", (route) =>
      route.fulfill({
        status: 503,
        contentType: "application/problem+json",
        body: JSON.stringify({ title: "Service unavailable", detail: "store down", code: "PRESAGE_TEST" }),
      }),
    );
    await page.click("#refresh-now");
    const note = page.locator(`${PANEL} .panel-note`);
    await expect.poll(() => note.isVisible(), { timeout: 30_000, interval: 250 }).toBe(true);
    expect(await note.textContent()).toBe("Service unavailable: store down (503 PRESAGE_TEST)");
    expect(await rows.count(), "the last incidents stay shown, dimmed").toBe(2);

    expect(problems.filter((problem) => !problem.includes("503"))).toEqual([]);
    await context.close();
  }, 420_000);

  it("says self-healing is not configured on a server without a remediation section", async () => {
    const server = await startPresageServe(["--model", "snaive", "--tick-ms", "0"], { timeoutMs: 180_000 });
    servers.push(server);
    const context: BrowserContext = await browser!.newContext();
    const page = await context.newPage();
    const { problems, remediationNotFound } = watchProblems(page);
    await page.goto(server.dashboardUrl);
    await page.waitForSelector('body[data-state="ready"]', { timeout: 60_000 });
    const summary = `${PANEL} .remediation-stats`;
    await expect
      .poll(() => text(page, summary), { timeout: 60_000, interval: 250 })
      .toMatch(/^Self-healing is not configured on this server: add a remediation: section/);
    expect(await text(page, `${PANEL} .panel-subtitle`)).toBe("not configured");
    expect(await page.isVisible(`${PANEL} .panel-note`), "not shown as an error").toBe(false);
    expect(await page.isVisible(`${PANEL} table.incidents`)).toBe(false);
    expect(await page.isVisible(`${PANEL} .remediation-breakers`)).toBe(false);
    // The 404 is the panel's answer, not a failure; the next refreshes do not ask again (each 404 is a
    // console line), so after one more refresh there is still exactly one.
    const updatedBefore = await text(page, ".updated");
    await page.click("#refresh-now");
    await expect
      .poll(() => text(page, ".updated"), { timeout: 60_000, interval: 250 })
      .not.toBe(updatedBefore);
    expect(await text(page, summary)).toMatch(/^Self-healing is not configured/);
    expect(remediationNotFound()).toBe(1);
    expect(problems).toEqual([]);
    await context.close();
  }, 300_000);
});
