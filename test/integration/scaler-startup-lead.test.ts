import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { trainTarget } from "../../training/pipeline/train-target.js";
import { KubernetesActuator } from "../../src/scaler/kubernetes/kubernetes-actuator.js";
import { ScalerLoop } from "../../src/scaler/scaler-loop.js";
import { ScalerMetrics } from "../../src/scaler/scaler-metrics.js";
import { PrometheusStartupSamples } from "../../src/scaler/startup/prometheus-startup-samples.js";
import { StartupLeadTracker } from "../../src/scaler/startup/startup-lead-tracker.js";
import { alignDownMs } from "../../src/sources/aligned-range.js";
import { SyntheticMetricSource } from "../../src/sources/synthetic-metric-source.js";
import { FileModelRegistry } from "../../src/storage/file-model-registry.js";
import { startKubeApiStandIn, type KubeApiStandIn } from "../support/kube-api-stand-in.js";
import { hpaObject, kubeConfigFor } from "../support/kube-fixtures.js";
import { ksmPodSeries, ksmReplicaSetOwner, type KsmPod } from "../support/kube-state-metrics-series.js";
import { startPrometheus, type BackfillSeries, type RealPrometheus } from "../support/real-prometheus.js";

// Pod start-up times read by the real PromQL from a real Prometheus holding kube-state-metrics-shaped
// series (backfilled with promtool), and the loop using them as its lead.

const MINUTE = 60_000;
/** Evaluation time: two hours ago, whole minutes (backfilled blocks stay clear of the head block). */
const NOW = alignDownMs(Date.now() - 2 * 3_600_000, MINUTE);
const LOOKBACK_MS = 3_600_000;
const SAMPLING = { fromMs: NOW - 3 * 3_600_000, toMs: NOW, stepSeconds: 60 };
const WEB_RS = "web-7d4f8b9c6";
/** Start-up seconds of Deployment web's pods created in the last hour: p90 (nearest rank) is 90. */
const WEB_STARTUPS = [40, 45, 50, 55, 60, 65, 70, 80, 90, 120];

function pod(
  name: string,
  createdMs: number,
  startupSeconds: number | undefined,
  extra: Partial<KsmPod> = {},
): KsmPod {
  return {
    namespace: "shop",
    pod: name,
    uid: `uid-${name}`,
    createdMs,
    ...(startupSeconds === undefined ? {} : { readyMs: createdMs + startupSeconds * 1000 }),
    owner: { kind: "ReplicaSet", name: WEB_RS },
    ...extra,
  };
}

function kubeStateMetrics(): BackfillSeries[] {
  const pods: KsmPod[] = [
    ...WEB_STARTUPS.map((seconds, index) =>
      pod(`${WEB_RS}-p${index}`, NOW - 55 * MINUTE + index * 4 * MINUTE + 7000, seconds, {
        // One pod already scaled away, one exported by two KSM replicas.
        ...(index === 0 ? { deletedMs: NOW - 20 * MINUTE } : {}),
        ...(index === 1 ? { instances: ["ksm-0", "ksm-1"] } : {}),
      }),
    ),
    // Created before the look-back: not a recent start-up, however long it took.
    pod(`${WEB_RS}-old`, NOW - 2 * 3_600_000, 900),
    // Still starting, exported the pre-2.10 way (ready_time = its not-ready transition): not counted.
    pod(`${WEB_RS}-new`, NOW - 3 * MINUTE, undefined, { legacyReadyTime: true }),
    // Deployment web-api's pods share the "web-" prefix; owner references keep them apart.
    ...[600, 610, 620, 630].map((seconds, index) =>
      pod(`web-api-5c9d7-q${index}`, NOW - 50 * MINUTE + index * MINUTE, seconds, {
        owner: { kind: "ReplicaSet", name: "web-api-5c9d7" },
      }),
    ),
    // A StatefulSet owns its pods directly.
    ...[20, 30, 25].map((seconds, index) =>
      pod(`db-${index}`, NOW - 40 * MINUTE + index * MINUTE, seconds, {
        owner: { kind: "StatefulSet", name: "db" },
      }),
    ),
  ];
  return [
    ...pods.flatMap((one) => ksmPodSeries(one, SAMPLING)),
    ksmReplicaSetOwner(
      { namespace: "shop", name: WEB_RS, owner: { kind: "Deployment", name: "web" } },
      SAMPLING,
    ),
    ksmReplicaSetOwner(
      { namespace: "shop", name: "web-api-5c9d7", owner: { kind: "Deployment", name: "web-api" } },
      SAMPLING,
    ),
  ];
}

describe("pod start-up lead from kube-state-metrics in a real Prometheus", () => {
  let prometheus: RealPrometheus;
  let sampler: PrometheusStartupSamples;

  beforeAll(async () => {
    prometheus = await startPrometheus({ series: kubeStateMetrics() });
    sampler = new PrometheusStartupSamples({ url: prometheus.url });
  }, 60_000);

  afterAll(async () => {
    await prometheus.stop();
  });

  it("samples exactly the Deployment's pods created in the look-back that became Ready", async () => {
    const samples = await sampler.sample({
      workload: { namespace: "shop", kind: "Deployment", name: "web" },
      lookbackMs: LOOKBACK_MS,
      atMs: NOW,
    });
    expect(samples.sort((a, b) => a - b)).toEqual(WEB_STARTUPS);
  });

  it("follows a StatefulSet's direct ownership and answers no samples where there is no data", async () => {
    const db = await sampler.sample({
      workload: { namespace: "shop", kind: "StatefulSet", name: "db" },
      lookbackMs: LOOKBACK_MS,
      atMs: NOW,
    });
    expect(db.sort((a, b) => a - b)).toEqual([20, 25, 30]);
    const none = await sampler.sample({
      workload: { namespace: "other", kind: "Deployment", name: "web" },
      lookbackMs: LOOKBACK_MS,
      atMs: NOW,
    });
    expect(none).toEqual([]);
  });

  it("reports an unreachable Prometheus as an error, not as no data", async () => {
    const down = new PrometheusStartupSamples({ url: "http://127.0.0.1:9", timeoutMs: 2000 });
    await expect(
      down.sample({
        workload: { namespace: "shop", kind: "Deployment", name: "web" },
        lookbackMs: LOOKBACK_MS,
        atMs: NOW,
      }),
    ).rejects.toMatchObject({ code: "PRESAGE_SOURCE_UNAVAILABLE" });
  });

  describe("in the scaler loop", () => {
    let standIn: KubeApiStandIn;
    let dir = "";
    let registry: FileModelRegistry;
    const source = new SyntheticMetricSource({ seed: 3, baseRps: 3000 });

    beforeAll(async () => {
      standIn = await startKubeApiStandIn();
      // hpaObject scales Deployment "web" (its scaleTargetRef), annotated active, 700 rps per pod.
      standIn.seed(hpaObject({ namespace: "shop", name: "web", minReplicas: 2, maxReplicas: 40 }));
      dir = await mkdtemp(join(tmpdir(), "presage-startup-lead-"));
      registry = new FileModelRegistry({ directory: dir });
      const endMs = alignDownMs(NOW, 300_000);
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

    it("uses the measured p90 as the lead, says so in the decision, and exports it", async () => {
      const metrics = new ScalerMetrics();
      const loop = new ScalerLoop({
        actuator: new KubernetesActuator({ kubeConfig: kubeConfigFor(standIn) }),
        registry,
        source,
        now: () => NOW,
        metrics,
        startupLead: new StartupLeadTracker({ sampler, lookbackMs: LOOKBACK_MS }),
      });
      const report = await loop.tick();
      expect(report.failed).toBe(0);
      const [record] = loop.decisions();
      expect(record?.lead).toEqual({ leadMs: 90_000, source: "measured", measuredMs: 90_000, pods: 10 });
      expect(record?.decision.detail).toContain("lead 90s measured (p90 of 10 pod start-ups)");
      const exported = await metrics.registry.metrics();
      expect(exported).toContain('presage_scaler_lead_seconds{target="shop.web",source="measured"} 90');
      expect(exported).toContain('presage_scaler_startup_seconds{target="shop.web"} 90');
    });
  });
});
