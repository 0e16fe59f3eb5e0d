import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { chromium, type Browser, type ConsoleMessage, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import type { CapacityTargetSummaryView, CapacityTargetView } from "../../src/api/capacity-status-view.js";
import type { ForecastView, SeriesView, TargetSummary } from "../../src/api/presage-backend.js";
import type {
  CapacityTargetJson,
  CapacityTargetSummaryJson,
  DecisionJson,
  ForecastJson,
  ModelVersionJson,
  SeriesJson,
  TargetJson,
} from "../../src/dashboard/api-types.js";
import type { DecisionRecord } from "../../src/scaler/scaler-loop.js";
import type { ArtifactSummary } from "../../training/registry/model-artifact.js";
import { startPresageServe, type PresageServeProcess } from "../support/presage-serve-process.js";

const repoRoot = resolve(import.meta.dirname, "../..");
const outputDir = join(repoRoot, "test-output");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Pixels of the forecast chart's canvas whose colour is near the actual (ink) and forecast (blue) lines. */
interface CanvasInk {
  readonly width: number;
  readonly height: number;
  readonly actualPixels: number;
  readonly forecastPixels: number;
}

/** Runs in the page: counts canvas pixels close to the two line colours of the forecast chart. */
const COUNT_FORECAST_INK = `(() => {
  const canvas = document.querySelector('[data-panel="forecast"] canvas');
  if (!canvas) return null;
  const { width, height } = canvas;
  const pixels = canvas.getContext("2d").getImageData(0, 0, width, height).data;
  const near = (i, r, g, b) =>
    pixels[i + 3] > 200 && Math.abs(pixels[i] - r) < 40 && Math.abs(pixels[i + 1] - g) < 40 && Math.abs(pixels[i + 2] - b) < 40;
  let actualPixels = 0;
  let forecastPixels = 0;
  for (let i = 0; i < pixels.length; i += 4) {
    if (near(i, 31, 41, 55)) actualPixels++;
    else if (near(i, 37, 99, 235)) forecastPixels++;
  }
  return { width, height, actualPixels, forecastPixels };
})()`;

/** Runs in the page: label → value of every legend entry of a panel's chart. */
const legendOf = (panel: string): string => `(() => {
  const rows = document.querySelectorAll('[data-panel="${panel}"] .u-legend .u-series');
  return Object.fromEntries([...rows].map((row) => [
    row.querySelector(".u-label")?.textContent ?? "",
    row.querySelector(".u-value")?.textContent ?? "",
  ]));
})()`;

/** Runs in the page: label → value of every legend entry of the chart under `selector`. */
const legendAt = (selector: string): string => `(() => {
  const rows = document.querySelectorAll('${selector} .u-legend .u-series');
  return Object.fromEntries([...rows].map((row) => [
    row.querySelector(".u-label")?.textContent ?? "",
    row.querySelector(".u-value")?.textContent ?? "",
  ]));
})()`;

/** Runs in the page: pixels of the canvas under `selector` near each of the given colours. */
const countInk = (
  selector: string,
  colors: readonly (readonly [number, number, number])[],
): string => `(() => {
  const canvas = document.querySelector('${selector} canvas');
  if (!canvas) return null;
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  const colors = ${JSON.stringify(colors)};
  const counts = colors.map(() => 0);
  for (let i = 0; i < pixels.length; i += 4) {
    if (pixels[i + 3] <= 200) continue;
    const k = colors.findIndex(([r, g, b]) =>
      Math.abs(pixels[i] - r) < 40 && Math.abs(pixels[i + 1] - g) < 40 && Math.abs(pixels[i + 2] - b) < 40);
    if (k >= 0) counts[k]++;
  }
  return counts;
})()`;

/** A legend value as a number ("1,234" → 1234), NaN when it is not one. */
function legendNumber(text: string | undefined): number {
  const cleaned = (text ?? "").replace(/,/g, "").trim();
  return /^-?\d+(\.\d+)?$/.test(cleaned) ? Number(cleaned) : Number.NaN;
}

/** Chromium's console line for a 404 of the remediation routes (a server without remediation). */
function isRemediationNotFound(message: ConsoleMessage): boolean {
  return message.location().url.includes("/api/v1/remediation/") && message.text().includes("404");
}

async function dataPoints(page: Page, panel: string): Promise<number> {
  const points = await page.getAttribute(`[data-panel="${panel}"] .chart-container`, "data-points");
  return Number(points ?? "0");
}

describe("the dashboard in headless Chromium against `presage serve`", () => {
  let server: PresageServeProcess | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    expect(
      existsSync(CHROMIUM),
      `Chromium not found at ${CHROMIUM} (Debian package chromium; .ci/run installs it)`,
    ).toBe(true);
    await mkdir(outputDir, { recursive: true });
    // One after the other, so that a browser that fails to start never leaves the server unstopped.
    server = await startPresageServe([], { timeoutMs: 180_000 });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu"] });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("mirrors the API's types: every backend value fits the dashboard's JSON types (checked by tsc)", () => {
    expectTypeOf<TargetSummary>().toExtend<TargetJson>();
    expectTypeOf<ForecastView>().toExtend<ForecastJson>();
    expectTypeOf<SeriesView>().toExtend<SeriesJson>();
    expectTypeOf<DecisionRecord>().toExtend<DecisionJson>();
    expectTypeOf<ArtifactSummary>().toExtend<ModelVersionJson>();
    expectTypeOf<CapacityTargetSummaryView>().toExtend<CapacityTargetSummaryJson>();
    expectTypeOf<CapacityTargetView>().toExtend<CapacityTargetJson>();
  });

  it("draws actual vs forecast with bands, floor vs replicas, backtest scores and the capacity runway, without console errors", async () => {
    const context = await browser!.newContext({ viewport: { width: 1280, height: 1500 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on("console", (message: ConsoleMessage) => {
      // This server runs no remediation: the self-healing panel's 404 is its answer, which Chromium logs.
      if (message.type() === "error" && !isRemediationNotFound(message)) {
        problems.push(`console ${message.type()}: ${message.text()}`);
      }
    });
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    page.on("requestfailed", (request) =>
      problems.push(`request failed: ${request.url()} ${request.failure()?.errorText ?? ""}`),
    );

    await page.goto(server!.dashboardUrl);
    await page.waitForSelector('body[data-state="ready"]', { timeout: 60_000 });
    // The token moved from the address bar to sessionStorage.
    expect(page.url()).not.toContain("token=");
    expect(await page.evaluate('sessionStorage.getItem("presage.apiToken")')).toBe(server!.readToken);

    // Polled from here: the page's Content-Security-Policy forbids the eval a string predicate needs.
    await expect
      .poll(() => dataPoints(page, "forecast"), { timeout: 60_000, interval: 250 })
      .toBeGreaterThan(0);
    expect(await dataPoints(page, "forecast")).toBeGreaterThan(10);
    const ink = await page.evaluate<CanvasInk | null>(COUNT_FORECAST_INK);
    expect(ink, "the forecast chart has a canvas").not.toBeNull();
    expect(ink!.width).toBeGreaterThan(200);
    expect(ink!.actualPixels, "pixels of the actual (history) line").toBeGreaterThan(50);
    expect(ink!.forecastPixels, "pixels of the forecast line").toBeGreaterThan(50);

    const forecastLegend = await page.evaluate<Record<string, string>>(legendOf("forecast"));
    expect(legendNumber(forecastLegend.Actual), JSON.stringify(forecastLegend)).toBeGreaterThanOrEqual(0);
    expect(legendNumber(forecastLegend.Forecast), JSON.stringify(forecastLegend)).toBeGreaterThanOrEqual(0);
    const low95 = legendNumber(forecastLegend["95% low"]);
    const high95 = legendNumber(forecastLegend["95% high"]);
    const low80 = legendNumber(forecastLegend["80% low"]);
    const high80 = legendNumber(forecastLegend["80% high"]);
    expect(low95).toBeLessThanOrEqual(low80);
    expect(high80).toBeLessThanOrEqual(high95);

    // The embedded scaler decides every tick (1 s); the dashboard refreshes every 10 s.
    await expect
      .poll(() => dataPoints(page, "replicas"), { timeout: 90_000, interval: 500 })
      .toBeGreaterThanOrEqual(3);
    const replicasLegend = await page.evaluate<Record<string, string>>(legendOf("replicas"));
    expect(
      legendNumber(replicasLegend["Floor (presage)"]),
      JSON.stringify(replicasLegend),
    ).toBeGreaterThanOrEqual(1);
    expect(
      legendNumber(replicasLegend["HPA replicas"]),
      JSON.stringify(replicasLegend),
    ).toBeGreaterThanOrEqual(1);
    const reasons = await page
      .locator('[data-panel="replicas"] table.decisions tbody .reason')
      .allTextContents();
    expect(reasons.length).toBeGreaterThan(0);
    for (const reason of reasons) {
      expect([
        "raise",
        "hold",
        "hold-cooldown",
        "lower",
        "hold-outage",
        "baseline-no-forecast",
        "clamped",
      ]).toContain(reason);
    }

    const modelRows = page.locator('[data-panel="models"] table.models tbody tr');
    expect(await modelRows.count()).toBeGreaterThan(0);
    const currentMase = await page
      .locator('[data-panel="models"] table.models tbody tr.current td')
      .nth(3)
      .textContent();
    expect(legendNumber(currentMase ?? "")).toBeGreaterThan(0);

    // Capacity runway: the embedded service plans cluster CPU and memory on synthetic daily history.
    const cpuChart = '[data-panel="capacity"] [data-fingerprint="cluster.cpu/cpu"].chart-container';
    await expect
      .poll(async () => Number((await page.getAttribute(cpuChart, "data-points")) ?? "0"), {
        timeout: 60_000,
        interval: 250,
      })
      .toBeGreaterThan(300);
    const runwayLegend = await page.evaluate<Record<string, string>>(legendAt(cpuChart));
    const legendText = JSON.stringify(runwayLegend);
    const usage = legendNumber(runwayLegend.Usage);
    const limit = legendNumber(runwayLegend["Limit (80%)"]);
    expect(usage, legendText).toBeGreaterThan(0);
    expect(legendNumber(runwayLegend["Forecast p50"]), legendText).toBeGreaterThan(0);
    expect(legendNumber(runwayLegend["80% low"]), legendText).toBeLessThanOrEqual(
      legendNumber(runwayLegend["80% high (p90)"]),
    );
    expect(legendNumber(runwayLegend.Capacity), legendText).toBe(640);
    expect(limit, legendText).toBe(512);
    expect(usage, legendText).toBeLessThan(limit);
    const runwayInk = await page.evaluate<number[] | null>(
      countInk(cpuChart, [
        [31, 41, 55],
        [124, 58, 237],
      ]),
    );
    expect(runwayInk, "the runway chart has a canvas").not.toBeNull();
    expect(runwayInk![0], "pixels of the usage line").toBeGreaterThan(50);
    expect(runwayInk![1], "pixels of the forecast line").toBeGreaterThan(50);
    const markers = (await page.getAttribute(cpuChart, "data-markers")) ?? "";
    expect(markers).toMatch(/p90 \d{4}-\d{2}-\d{2}/);
    const cpuRow = page.locator(
      '[data-panel="capacity"] table.capacity tbody tr[data-fingerprint="cluster.cpu/cpu"]',
    );
    expect(await cpuRow.locator("td.runway-p90").textContent()).toMatch(/^\d+ d \(\d{4}-\d{2}-\d{2}\)$/);
    expect(await cpuRow.locator(".status").textContent()).toMatch(/^open #1 · not sent \(no sinks\)$/);
    expect(await cpuRow.locator("td.backtest").textContent()).toMatch(/^\d+\.\d% at \d+ d$/);
    expect(await page.locator('[data-panel="capacity"] table.capacity tbody tr').count()).toBe(2);

    // Self-healing: this server has no remediation section, and the panel says so instead of failing.
    expect(await page.textContent('[data-panel="remediation"] .remediation-stats')).toMatch(
      /^Self-healing is not configured on this server/,
    );
    expect(await page.isVisible('[data-panel="remediation"] .panel-note')).toBe(false);

    await page.screenshot({ path: join(outputDir, "dashboard.png"), fullPage: true });
    expect(problems).toEqual([]);
    await context.close();
  });

  it("asks for a token when it has none, and says so plainly when the token is wrong", async () => {
    const context = await browser!.newContext();
    const page = await context.newPage();
    await page.goto(`${server!.baseUrl}/`);
    await page.waitForSelector('body[data-state="token"]', { timeout: 30_000 });
    expect(await page.isVisible("#token-input")).toBe(true);

    await page.fill("#token-input", "not-a-token");
    await page.click('form.token-form button[type="submit"]');
    await page.waitForSelector('body[data-state="error"]', { timeout: 30_000 });
    const banner = await page.textContent(".banner");
    expect(banner).toMatch(/rejected the token \(401/);
    expect(await page.isVisible("#token-input")).toBe(true);

    await page.fill("#token-input", server!.readToken);
    await page.click('form.token-form button[type="submit"]');
    await page.waitForSelector('body[data-state="ready"]', { timeout: 60_000 });
    expect(await page.isVisible(".banner")).toBe(false);
    await context.close();
  });

  it("says the server is unreachable instead of failing silently", async () => {
    const context = await browser!.newContext();
    const page = await context.newPage();
    await page.goto(server!.dashboardUrl);
    await page.waitForSelector('body[data-state="ready"]', { timeout: 60_000 });
    await context.route("**/api/v1/**", (route) => route.abort("connectionrefused"));
    await page.click("#refresh-now");
    await page.waitForSelector('body[data-state="error"]', { timeout: 30_000 });
    expect(await page.textContent(".banner")).toMatch(/cannot reach the presage API/i);
    await context.close();
  });

  it("serves the built files with content types and ETags, and nothing outside them", async () => {
    const base = server!.baseUrl;
    const index = await fetch(`${base}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get("content-type")).toMatch(/^text\/html/);
    expect(index.headers.get("content-security-policy")).toContain("script-src 'self'");
    const script = await fetch(`${base}/dashboard/main.js`);
    expect(script.headers.get("content-type")).toMatch(/^text\/javascript/);
    const etag = script.headers.get("etag");
    expect(etag).toMatch(/^".+"$/);
    const again = await fetch(`${base}/dashboard/main.js`, { headers: { "if-none-match": etag! } });
    expect(again.status).toBe(304);
    const uplot = await fetch(`${base}/dashboard/vendor/uPlot.iife.min.js`);
    expect(uplot.status).toBe(200);
    expect((await uplot.text()).length).toBeGreaterThan(10_000);
    for (const path of [
      "/dashboard/../package.json",
      "/dashboard/..%2f..%2fpackage.json",
      "/dashboard/%2e%2e/%2e%2e/package.json",
      "/dashboard/vendor/../../../package.json",
      "/dashboard/nope.js",
    ]) {
      const response = await fetch(`${base}${path}`);
      expect(response.status, path).toBe(404);
      expect(await response.text(), path).not.toContain('"name": "presage"');
    }
  });
});
