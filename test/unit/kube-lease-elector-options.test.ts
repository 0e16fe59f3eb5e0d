import { KubeConfig } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { LeaseElector, resolveLeaseElectorOptions } from "../../src/scaler/kubernetes/lease-elector.js";

function kubeConfig(): KubeConfig {
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: "c", server: "https://127.0.0.1:6443", skipTLSVerify: false }],
    users: [{ name: "u", token: "t" }],
    contexts: [{ name: "x", cluster: "c", user: "u" }],
    currentContext: "x",
  });
  return config;
}

describe("resolveLeaseElectorOptions", () => {
  it("applies client-go's defaults: 15 s lease, 10 s renew deadline, 2 s retry period", () => {
    const resolved = resolveLeaseElectorOptions({
      kubeConfig: kubeConfig(),
      namespace: "presage",
      identity: "p-0",
    });
    expect(resolved).toEqual({
      namespace: "presage",
      leaseName: "presage-scaler",
      identity: "p-0",
      leaseDurationSeconds: 15,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2000,
    });
    expect(Object.isFrozen(resolved)).toBe(true);
  });

  it("gives every instance its own identity by default", () => {
    const a = resolveLeaseElectorOptions({ kubeConfig: kubeConfig(), namespace: "presage" });
    const b = resolveLeaseElectorOptions({ kubeConfig: kubeConfig(), namespace: "presage" });
    expect(a.identity).not.toBe(b.identity);
  });

  it("reports every broken rule at once, naming the field and value", () => {
    expect(() =>
      resolveLeaseElectorOptions({
        kubeConfig: kubeConfig(),
        namespace: "",
        leaseDurationSeconds: 10,
        renewDeadlineMs: 10_000,
        retryPeriodMs: 20_000,
      }),
    ).toThrow(
      "lease election: `namespace` must not be empty; `renewDeadlineMs` (10000) must be > 0 and < `leaseDurationSeconds` × 1000 (10000); `retryPeriodMs` (20000) must be > 0 and < `renewDeadlineMs` (10000)",
    );
  });

  it("is not leader before its first attempt", () => {
    const elector = new LeaseElector({ kubeConfig: kubeConfig(), namespace: "presage", identity: "p-0" });
    expect(elector.isLeader()).toBe(false);
    expect(elector.observedHolder).toBeUndefined();
  });
});
