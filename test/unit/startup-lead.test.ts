import { describe, expect, it } from "vitest";
import type { HpaState } from "../../src/scaler/scaler-actuator.js";
import { resolveScalerTarget, type ScalerTarget } from "../../src/scaler/scaler-target.js";
import type { StartupSampleRequest } from "../../src/scaler/startup/prometheus-startup-samples.js";
import { LeadSource, startupLead } from "../../src/scaler/startup/startup-lead.js";
import { StartupLeadTracker } from "../../src/scaler/startup/startup-lead-tracker.js";
import { startupSecondsQuery } from "../../src/scaler/startup/startup-seconds-query.js";

const MINUTE = 60_000;

describe("startupLead", () => {
  it("uses the p90 of measured start-ups in place of a default lead", () => {
    const samples = [30, 35, 40, 42, 45, 50, 55, 60, 70, 95];
    const lead = startupLead(samples, { configuredLeadMs: 3 * MINUTE, leadDeclared: false });
    expect(lead).toMatchObject({ leadMs: 70_000, source: LeadSource.measured, measuredMs: 70_000, pods: 10 });
    expect(lead.detail).toBe("lead 70s measured (p90 of 10 pod start-ups)");
  });

  it("never shortens a declared lead, but lengthens it when pods start slower", () => {
    const fast = startupLead([20, 25, 30], { configuredLeadMs: 2 * MINUTE, leadDeclared: true });
    expect(fast).toMatchObject({ leadMs: 2 * MINUTE, source: LeadSource.configured, measuredMs: 30_000 });
    expect(fast.detail).toContain("longer than the measured p90 of 3 pod start-ups: 30s");
    const slow = startupLead([200, 240, 250], { configuredLeadMs: 2 * MINUTE, leadDeclared: true });
    expect(slow).toMatchObject({ leadMs: 250_000, source: LeadSource.measured });
  });

  it("keeps the configured lead with fewer usable samples than minPods", () => {
    const lead = startupLead([40, 50], { configuredLeadMs: 3 * MINUTE, leadDeclared: false });
    expect(lead).toMatchObject({ leadMs: 3 * MINUTE, source: LeadSource.configured, pods: 2 });
    expect(lead.measuredMs).toBeUndefined();
    expect(lead.detail).toBe("lead 3m default (2 of 3 pod start-ups needed to measure)");
    expect(startupLead([], { configuredLeadMs: 0, leadDeclared: true }).leadMs).toBe(0);
  });

  it("drops samples that are not start-ups: NaN, negative, or longer than maxStartupMs", () => {
    const lead = startupLead([Number.NaN, -5, Infinity, 4000, 60, 61, 62], {
      configuredLeadMs: 3 * MINUTE,
      leadDeclared: false,
    });
    expect(lead).toMatchObject({ pods: 3, leadMs: 62_000 });
    const strict = startupLead([60, 61, 62, 100], {
      configuredLeadMs: 0,
      leadDeclared: false,
      maxStartupMs: 90_000,
      minPods: 4,
    });
    expect(strict).toMatchObject({ pods: 3, source: LeadSource.configured });
  });

  it("takes the nearest rank of the quantile, rounding up to whole seconds", () => {
    const samples = Array.from({ length: 100 }, (_, index) => index + 0.5);
    expect(startupLead(samples, { configuredLeadMs: 0, leadDeclared: false, quantile: 0.5 }).leadMs).toBe(
      50_000,
    );
    expect(startupLead(samples, { configuredLeadMs: 0, leadDeclared: false, quantile: 0.99 }).leadMs).toBe(
      99_000,
    );
    expect(startupLead([12.2, 12.2, 12.2], { configuredLeadMs: 0, leadDeclared: false }).leadMs).toBe(13_000);
  });

  it("does not depend on the order of the samples", () => {
    const samples = [90, 10, 50, 30, 70, 20, 80, 40, 60, 100];
    const sorted = [...samples].sort((a, b) => a - b);
    const options = { configuredLeadMs: MINUTE, leadDeclared: false };
    expect(startupLead(samples, options)).toEqual(startupLead(sorted, options));
  });

  it("rejects options outside their rules, naming each", () => {
    expect(() =>
      startupLead([1, 2, 3], { configuredLeadMs: -1, leadDeclared: false, quantile: 1, minPods: 0 }),
    ).toThrow(
      /`configuredLeadMs` \(-1\) must be ≥ 0; `quantile` \(1\) must be ≥ 0.5 and < 1; `minPods` \(0\)/,
    );
  });
});

describe("startupSecondsQuery", () => {
  it("joins created and Ready times per pod, only for pods of the workload that were Ready", () => {
    const query = startupSecondsQuery({ namespace: "shop", kind: "Deployment", name: "web" }, 86_400);
    expect(query).toContain(
      'max by (namespace, pod) (max_over_time(kube_pod_status_ready_time{namespace="shop"}[86400s]))',
    );
    expect(query).toContain(
      '- on (namespace, pod) max by (namespace, pod) (max_over_time(kube_pod_created{namespace="shop"}[86400s]))',
    );
    expect(query).toContain('kube_pod_status_ready{namespace="shop", condition="true"}');
    expect(query).toContain("> time() - 86400");
    expect(query).toContain(
      'kube_replicaset_owner{namespace="shop", owner_kind="Deployment", owner_name="web"}',
    );
    expect(query).toContain('kube_pod_owner{namespace="shop", owner_kind="Deployment", owner_name="web"}');
  });

  it("escapes label values and refuses a look-back under a second", () => {
    const query = startupSecondsQuery({ namespace: "a", kind: "Deployment", name: 'x"y\\z' }, 60);
    expect(query).toContain('owner_name="x\\"y\\\\z"');
    expect(() => startupSecondsQuery({ namespace: "a", kind: "Deployment", name: "b" }, 0)).toThrow(
      /`lookbackSeconds` \(0\) must be an integer ≥ 1/,
    );
  });
});

describe("StartupLeadTracker", () => {
  const target: ScalerTarget = resolveScalerTarget({
    name: "shop.web",
    hpa: { namespace: "shop", name: "web" },
    loadQuery: "rps",
    podCapacity: 100,
  });
  const noWorkload: HpaState = {
    ref: target.hpa,
    minReplicas: 2,
    maxReplicas: 20,
    currentReplicas: 2,
    baselineMinReplicas: 2,
    baselineRecorded: false,
  };
  const hpa: HpaState = { ...noWorkload, scaleTarget: { kind: "Deployment", name: "web-deploy" } };

  class FakeSampler {
    requests: StartupSampleRequest[] = [];
    samples: number[] | Error = [40, 50, 60];
    sample(request: StartupSampleRequest): Promise<number[]> {
      this.requests.push(request);
      return this.samples instanceof Error ? Promise.reject(this.samples) : Promise.resolve(this.samples);
    }
  }

  it("samples the HPA's workload once per refresh interval, not every tick", async () => {
    const sampler = new FakeSampler();
    const tracker = new StartupLeadTracker({ sampler, refreshMs: 5 * MINUTE, lookbackMs: 3_600_000 });
    const first = await tracker.lead(target, hpa, 0);
    expect(first.lead).toMatchObject({ leadMs: 60_000, source: "measured" });
    await tracker.lead(target, hpa, MINUTE);
    await tracker.lead(target, hpa, 4 * MINUTE);
    expect(sampler.requests).toHaveLength(1);
    expect(sampler.requests[0]).toEqual({
      workload: { namespace: "shop", kind: "Deployment", name: "web-deploy" },
      lookbackMs: 3_600_000,
      atMs: 0,
    });
    sampler.samples = [100, 110, 120];
    const refreshed = await tracker.lead(target, hpa, 5 * MINUTE);
    expect(sampler.requests).toHaveLength(2);
    expect(refreshed.lead.leadMs).toBe(120_000);
  });

  it("keeps the last samples when a refresh fails, reports the failure once, and retries at the next refresh", async () => {
    const sampler = new FakeSampler();
    const tracker = new StartupLeadTracker({ sampler, refreshMs: MINUTE });
    await tracker.lead(target, hpa, 0);
    sampler.samples = new Error("prometheus down");
    const failed = await tracker.lead(target, hpa, MINUTE);
    expect(failed.error).toBeInstanceOf(Error);
    expect(failed.lead.leadMs).toBe(60_000);
    const next = await tracker.lead(target, hpa, MINUTE + 1000);
    expect(next.error).toBeUndefined();
    expect(sampler.requests).toHaveLength(2);
  });

  it("falls back to the configured lead without samples or without a scale target", async () => {
    const sampler = new FakeSampler();
    sampler.samples = new Error("no prometheus");
    const tracker = new StartupLeadTracker({ sampler });
    const failed = await tracker.lead(target, hpa, 0);
    expect(failed.lead).toMatchObject({ leadMs: 180_000, source: "configured" });
    const other = resolveScalerTarget({ ...target, hpa: { namespace: "shop", name: "api" }, leadMs: 90_000 });
    const tracked = await tracker.lead(other, { ...noWorkload, ref: other.hpa }, 0);
    expect(tracked.lead).toMatchObject({ leadMs: 90_000, source: "configured" });
    expect(sampler.requests).toHaveLength(1);
  });
});
