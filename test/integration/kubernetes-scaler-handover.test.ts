import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { trainTarget } from "../../training/pipeline/train-target.js";
import { InClusterScaler } from "../../src/scaler/in-cluster-scaler.js";
import { PresageAnnotation } from "../../src/scaler/scaler-actuator.js";
import type { DecisionRecord } from "../../src/scaler/scaler-loop.js";
import { SyntheticMetricSource } from "../../src/sources/synthetic-metric-source.js";
import { FileModelRegistry } from "../../src/storage/file-model-registry.js";
import { kubePaths, startKubeApiStandIn, type KubeApiStandIn } from "../support/kube-api-stand-in.js";
import { hpaObject, kubeConfigFor } from "../support/kube-fixtures.js";

// Two scaler replicas (loop + Lease election + Kubernetes actuator, composed as in a pod) against the
// Kubernetes API stand-in over real HTTP: only the lease holder may act, and a graceful stop hands over.

const STEP_MS = 300_000;
const HPA_PATH = kubePaths.hpa("shop", "web");

describe("two scaler replicas sharing one Lease", () => {
  let standIn: KubeApiStandIn;
  let dir = "";
  let registry: FileModelRegistry;
  const source = new SyntheticMetricSource({ seed: 8, baseRps: 3000 });

  beforeAll(async () => {
    standIn = await startKubeApiStandIn();
    standIn.seed(
      hpaObject({
        namespace: "shop",
        name: "web",
        minReplicas: 2,
        maxReplicas: 50,
        annotations: {
          [PresageAnnotation.enabled]: "true",
          [PresageAnnotation.loadQuery]: "rps",
          [PresageAnnotation.podCapacity]: "100",
          [PresageAnnotation.mode]: "active",
          [PresageAnnotation.target]: "shop.web",
        },
      }),
    );
    dir = await mkdtemp(join(tmpdir(), "presage-handover-"));
    registry = new FileModelRegistry({ directory: dir });
    const endMs = Math.floor(Date.now() / STEP_MS) * STEP_MS;
    const history = await source.fetchRange({
      query: "rps",
      startMs: endMs - 14 * 86_400_000,
      endMs,
      stepSeconds: 300,
    });
    await trainTarget({
      target: {
        name: "shop.web",
        stepSeconds: 300,
        horizonSteps: 4,
        seasonalitySeconds: [86_400],
        models: ["snaive"],
      },
      history,
      registry,
      codeVersion: "test",
    });
  });

  afterAll(async () => {
    await registry.close();
    await standIn.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("lets only the leader act, and hands over on a graceful stop without double action", async () => {
    const decisions: (DecisionRecord & { replica: string })[] = [];
    const replica = (identity: string): InClusterScaler =>
      new InClusterScaler({
        kubeConfig: kubeConfigFor(standIn),
        registry,
        source,
        leaseNamespace: "presage",
        identity,
        tickMs: 150,
        lease: { durationSeconds: 2, renewDeadlineMs: 1500, retryPeriodMs: 200 },
        onDecision: (record) => decisions.push({ ...record, replica: identity }),
      });
    const a = replica("replica-a");
    const b = replica("replica-b");
    await a.start();
    await b.start();
    await new Promise((resolve) => setTimeout(resolve, 1500));

    const leaderFirst = a.elector.isLeader() ? "replica-a" : "replica-b";
    expect([a.elector.isLeader(), b.elector.isLeader()].filter(Boolean)).toHaveLength(1);
    const raised = standIn.read(HPA_PATH);
    expect((raised?.spec as { minReplicas: number }).minReplicas).toBeGreaterThan(2);
    expect(raised?.metadata?.annotations?.[PresageAnnotation.baselineMinReplicas]).toBe("2");

    const stopAtMs = Date.now();
    const [first, second] = leaderFirst === "replica-a" ? [a, b] : [b, a];
    await first.stop();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(second.elector.isLeader()).toBe(true);
    await second.stop();

    const acting = decisions.filter((record) => record.acting);
    const secondName = leaderFirst === "replica-a" ? "replica-b" : "replica-a";
    // Before the hand-over only the first leader acted; after it only the second; never both at once.
    expect(
      acting.filter((record) => record.atMs < stopAtMs).every((record) => record.replica === leaderFirst),
    ).toBe(true);
    const firstActsAfter = acting.filter(
      (record) => record.replica === leaderFirst && record.atMs > stopAtMs,
    );
    expect(firstActsAfter).toHaveLength(0);
    expect(acting.some((record) => record.replica === secondName)).toBe(true);
    // Shadow decisions of the follower were recorded but never written.
    expect(
      decisions.some((record) => record.replica === secondName && !record.acting && record.atMs < stopAtMs),
    ).toBe(true);
    // Both stopped gracefully: the declared baseline is back and the annotation gone.
    const restored = standIn.read(HPA_PATH);
    expect((restored?.spec as { minReplicas: number }).minReplicas).toBe(2);
    expect(restored?.metadata?.annotations?.[PresageAnnotation.baselineMinReplicas]).toBeUndefined();
  });
});
