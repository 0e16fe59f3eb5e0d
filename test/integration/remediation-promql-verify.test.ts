import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrometheusPromqlProbe } from "../../src/remediation/execution/prometheus-promql-probe.js";
import { verifyStep } from "../../src/remediation/execution/verify-step.js";
import { renderSteps } from "../../src/remediation/planning/plan-remediation.js";
import { startPrometheus, type RealPrometheus } from "../support/real-prometheus.js";
import { restartRunbookYaml, runbooksFromYaml } from "../support/remediation-fixtures.js";

/** A real Prometheus holding an error ratio that falls from 20% to 0.1% after a restart at T_FIX. */
const STEP_SECONDS = 15;
const START_MS = Date.parse("2026-11-27T02:00:00Z");
const FIX_INDEX = 40;
const T_FIX = START_MS + FIX_INDEX * STEP_SECONDS * 1000;
let prometheus: RealPrometheus;

beforeAll(async () => {
  prometheus = await startPrometheus({
    series: [
      {
        name: "presage_deployment_error_ratio",
        labels: { namespace: "shop", deployment: "api-server" },
        startMs: START_MS,
        stepSeconds: STEP_SECONDS,
        values: Array.from({ length: 120 }, (_, index) => (index < FIX_INDEX ? 0.2 : 0.001)),
      },
      {
        name: "presage_deployment_error_ratio",
        labels: { namespace: "shop", deployment: "cart" },
        startMs: START_MS,
        stepSeconds: STEP_SECONDS,
        values: Array.from({ length: 120 }, () => 0.3),
      },
    ],
  });
});

afterAll(async () => {
  await prometheus.stop();
});

function step(deployment: string) {
  const [runbook] = runbooksFromYaml({
    "r.yaml": restartRunbookYaml({
      verify: `verify:
  timeout: 10m
  interval: 1m
  promql: { query: 'max(presage_deployment_error_ratio{namespace="{{ labels.namespace }}", deployment="{{ labels.deployment }}"})', below: 0.01 }`,
    }),
  });
  const rendered = renderSteps(runbook!, { alertname: "HighErrorRate", namespace: "shop", deployment });
  if (!rendered.ok) throw new Error(rendered.problems.join("; "));
  return rendered.steps[0]!;
}

/** A clock starting at `startMs` that `sleep` advances (no real waiting). */
function fakeClock(startMs: number) {
  let nowMs = startMs;
  return {
    now: () => nowMs,
    sleep: (ms: number) => {
      nowMs += ms;
      return Promise.resolve();
    },
  };
}

describe("PromQL verification against a real Prometheus", () => {
  it("passes once the templated query's value falls below the threshold, reporting the value", async () => {
    const clock = fakeClock(T_FIX - 3 * 60_000);
    const probe = new PrometheusPromqlProbe({ url: prometheus.url, now: clock.now });
    expect(await probe.queryValue('max(presage_deployment_error_ratio{deployment="api-server"})')).toBe(0.2);
    const result = await verifyStep(step("api-server"), {
      promql: probe,
      alertResolved: () => Promise.resolve(false),
      ...clock,
    });
    expect(result.ok).toBe(true);
    expect(result.checks).toBe(4);
    expect(result.detail).toBe("promql 0.001 < 0.01 ✓");
  });

  it("fails after the timeout when the value stays high, and when the query has no sample", async () => {
    const clock = fakeClock(T_FIX);
    const probe = new PrometheusPromqlProbe({ url: prometheus.url, now: clock.now });
    const high = await verifyStep(step("cart"), {
      promql: probe,
      alertResolved: () => Promise.resolve(false),
      ...clock,
    });
    expect(high).toMatchObject({ ok: false, detail: "not verified within 600s: promql 0.3 < 0.01 ✗" });
    const missing = await verifyStep(step("gone"), {
      promql: probe,
      alertResolved: () => Promise.resolve(false),
      ...fakeClock(T_FIX),
    });
    expect(missing.ok).toBe(false);
    expect(missing.detail).toMatch(/no sample ✗$/);
  });

  it("reads an instant query at the clock's time: the largest of several series, or a scalar", async () => {
    const probe = new PrometheusPromqlProbe({ url: prometheus.url, now: () => T_FIX });
    expect(await probe.queryValue('presage_deployment_error_ratio{namespace="shop"}')).toBe(0.3);
    expect(await probe.queryValue('presage_deployment_error_ratio{namespace="shop"}', "lowest")).toBe(0.001);
    expect(await probe.queryValue('scalar(presage_deployment_error_ratio{deployment="api-server"})')).toBe(
      0.001,
    );
    expect(await probe.queryValue('presage_deployment_error_ratio{deployment="gone"}')).toBeUndefined();
  });

  it("counts a Prometheus that is down as not verified, never as verified", async () => {
    const clock = fakeClock(T_FIX);
    const probe = new PrometheusPromqlProbe({
      url: "http://127.0.0.1:1",
      retry: { attempts: 1 },
      now: clock.now,
    });
    const result = await verifyStep(step("api-server"), {
      promql: probe,
      alertResolved: () => Promise.resolve(true),
      ...clock,
    });
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(/promql failed: /);
  });
});
