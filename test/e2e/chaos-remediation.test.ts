import { describe, expect, it } from "vitest";
import { startChaosEnvironment } from "../support/chaos-environment.js";

describe("scratch", () => {
  it("starts", async () => {
    const env = await startChaosEnvironment({
      topology: { namespace: "shop", deployments: ["mem-a", "crash-a"], nodes: ["worker-1", "disk-1"] },
      log: (line) => console.log(line), rulesFile: "/tmp/chaos-fixed-rules.yaml",
    });
    try {
      console.log(env.rulesText);
      const q = async (p: string) => console.log(p, JSON.stringify(await env.prometheus.query(p)));
      await q("presage:deployment_memory_limit_ratio");
      await q("presage:deployment_error_ratio:rate2m");
      await q("presage:deployment_cpu_saturation_ratio");
      await q("presage:deployment_restarts:increase10m");
      await q("up");
      await env.controller.leak("shop", "mem-a", 60 * 1024 * 1024);
      const t0 = Date.now();
      for (let i = 0; i < 60; i++) {
        await new Promise((r) => setTimeout(r, 1000));
        const inc = await env.presage.api<{ incidents: { id: string; state: string; resolvedAtMs?: number; timeline: unknown[] }[] }>("GET", "/remediation/incidents");
        const ratio = await env.prometheus.query("presage:deployment_memory_limit_ratio");
        console.log(Date.now() - t0, JSON.stringify(ratio.map((r) => [r.metric.deployment, r.value[1]])), JSON.stringify(inc.body.incidents.map((x) => [x.state, x.resolvedAtMs])));
        if (inc.body.incidents.some((x) => x.resolvedAtMs !== undefined)) { console.log(JSON.stringify(inc.body.incidents, null, 1)); break; }
      }
      expect(1).toBe(1);
    } finally {
      await env.close();
    }
  }, 180_000);
});
