import { describe, expect, it } from "vitest";
import { verifyStep, type VerifierDependencies } from "../../src/remediation/execution/verify-step.js";
import type { PlannedStep } from "../../src/remediation/planning/plan-remediation.js";
import type { Verification } from "../../src/remediation/runbooks/runbook.js";

const VERIFY: Verification = { timeoutMs: 60_000, intervalMs: 10_000, rollout: true, alertResolved: false };

function step(
  verify: Verification | undefined,
  kind: "restart-deployment" | "cordon-node" = "restart-deployment",
): PlannedStep {
  return {
    index: 0,
    action:
      kind === "cordon-node"
        ? { kind, params: { node: "n1" } }
        : { kind, params: { namespace: "shop", deployment: "web" } },
    description: "x",
    target: "t",
    onFailure: "escalate",
    ...(verify === undefined ? {} : { verify }),
  };
}

function clock(readings: {
  rollout?: boolean[];
  resolved?: boolean[];
}): VerifierDependencies & { elapsed: () => number } {
  let nowMs = 0;
  let check = 0;
  return {
    now: () => nowMs,
    sleep: (ms) => {
      nowMs += ms;
      check += 1;
      return Promise.resolve();
    },
    rollout: {
      rolloutStatus: () => {
        const healthy = readings.rollout?.[Math.min(check, readings.rollout.length - 1)] ?? true;
        if (readings.rollout === undefined) return Promise.reject(new Error("API down"));
        return Promise.resolve({ healthy, detail: healthy ? "done" : "1 of 2 updated" });
      },
    },
    alertResolved: () =>
      Promise.resolve(readings.resolved?.[Math.min(check, readings.resolved.length - 1)] ?? false),
    elapsed: () => nowMs,
  };
}

describe("verifyStep", () => {
  it("passes at the first check where every condition holds", async () => {
    const dependencies = clock({ rollout: [false, false, true], resolved: [false, true, true] });
    const result = await verifyStep(step({ ...VERIFY, alertResolved: true }), dependencies);
    expect(result).toEqual({ ok: true, checks: 3, detail: "rollout shop/web: done ✓; alert resolved ✓" });
    expect(dependencies.elapsed()).toBe(20_000);
  });

  it("fails after exactly the timeout, with the last readings", async () => {
    const dependencies = clock({ rollout: [false] });
    const result = await verifyStep(step(VERIFY), dependencies);
    expect(result.ok).toBe(false);
    expect(result.checks).toBe(7);
    expect(result.detail).toBe("not verified within 60s: rollout shop/web: 1 of 2 updated ✗");
    expect(dependencies.elapsed()).toBe(60_000);
  });

  it("counts a probe that throws as not yet, never as success", async () => {
    const result = await verifyStep(step({ ...VERIFY, timeoutMs: 10_000 }), clock({}));
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(/rollout check failed: API down ✗/);
  });

  it("marks a failure unknown only when every failing condition could not be read", async () => {
    const down = await verifyStep(step({ ...VERIFY, timeoutMs: 0 }), clock({}));
    expect(down).toMatchObject({ ok: false, unknown: true });
    const notRolledOut = await verifyStep(
      step({ ...VERIFY, timeoutMs: 0, promql: { query: "up", above: 0 } }),
      clock({ rollout: [false] }),
    );
    expect(notRolledOut.ok).toBe(false);
    expect(notRolledOut.detail).toMatch(/no Prometheus configured ✗/);
    expect(notRolledOut.unknown).toBeUndefined();
  });

  it("skips the rollout check for actions without a Deployment, and passes at once without a verification", async () => {
    expect(
      await verifyStep(step({ ...VERIFY, alertResolved: true }, "cordon-node"), clock({ resolved: [true] })),
    ).toMatchObject({ ok: true, checks: 1 });
    expect(await verifyStep(step(undefined), clock({}))).toEqual({
      ok: true,
      detail: "no verification configured",
      checks: 0,
    });
  });

  it("fails at once when its only condition does not apply to the step (rollout of a cordon)", async () => {
    const result = await verifyStep(step(VERIFY, "cordon-node"), clock({ rollout: [true] }));
    expect(result).toEqual({
      ok: false,
      detail: "no verification condition applies to this step's action",
      checks: 1,
    });
  });

  it("judges an `above` condition on the lowest series and a `below` one on the highest", async () => {
    const series = [0.2, 0.99];
    const probe = {
      queryValue: (_query: string, worst?: "highest" | "lowest") =>
        Promise.resolve(worst === "lowest" ? Math.min(...series) : Math.max(...series)),
    };
    const above = await verifyStep(
      step({ ...VERIFY, rollout: false, timeoutMs: 0, promql: { query: "up", above: 0.5 } }),
      { ...clock({}), promql: probe },
    );
    expect(above).toMatchObject({ ok: false, detail: "not verified within 0s: promql 0.2 > 0.5 ✗" });
    const below = await verifyStep(
      step({ ...VERIFY, rollout: false, timeoutMs: 0, promql: { query: "errors", below: 0.5 } }),
      { ...clock({}), promql: probe },
    );
    expect(below).toMatchObject({ ok: false, detail: "not verified within 0s: promql 0.99 < 0.5 ✗" });
  });

  it("fails a PromQL condition when no Prometheus is configured", async () => {
    const result = await verifyStep(
      step({ ...VERIFY, rollout: false, timeoutMs: 0, promql: { query: "up", below: 1 } }),
      clock({}),
    );
    expect(result).toMatchObject({
      ok: false,
      detail: "not verified within 0s: promql: no Prometheus configured ✗",
    });
  });
});
