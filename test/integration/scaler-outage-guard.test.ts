import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { trainTarget } from "../../training/pipeline/train-target.js";
import { FloorReason } from "../../src/scaler/floor-decision.js";
import { createOutageProbe } from "../../src/scaler/outage-probe.js";
import { ScalerLoop, type DecisionRecord } from "../../src/scaler/scaler-loop.js";
import { SimulatedCluster } from "../../src/scaler/simulated-cluster.js";
import { alignDownMs } from "../../src/sources/aligned-range.js";
import { PrometheusMetricSource } from "../../src/sources/prometheus-metric-source.js";
import { FileModelRegistry } from "../../src/storage/file-model-registry.js";
import { startPrometheus, type RealPrometheus } from "../support/real-prometheus.js";

// The outage guard end to end: a real Prometheus holds the load and the error ratio; the loop
// forecasts from the load (the model trained on that Prometheus' history) and asks the in-cluster
// outage probe about the error ratio. Load that drops while requests fail must not lower the floor.

const MINUTE = 60_000;
/** The model's data ends here; ticks run from T0 + 1 min. Three hours back keeps backfill out of the head block. */
const T0 = alignDownMs(Date.now() - 3 * 3_600_000, MINUTE);
const HISTORY_MINUTES = 2 * 1440;
const OUTAGE_FROM = T0 + 10 * MINUTE;
const RECOVERED_AT = T0 + 25 * MINUTE;
const END = T0 + 45 * MINUTE;
const HPA = { namespace: "shop", name: "web" } as const;

/** Requests per second: about 2000 with a gentle hourly wave, then 300 from the outage on (clients failing, then traffic gone elsewhere). */
function loadAt(timeMs: number): number {
  if (timeMs >= OUTAGE_FROM) return 300;
  return 2000 + 50 * Math.sin((2 * Math.PI * timeMs) / 3_600_000);
}

/** Share of failing requests: 60% during the outage, 0.1% otherwise. */
function errorRatioAt(timeMs: number): number {
  return timeMs >= OUTAGE_FROM && timeMs < RECOVERED_AT ? 0.6 : 0.001;
}

describe("the outage guard against a real Prometheus", () => {
  let prometheus: RealPrometheus;
  let dir = "";
  let registry: FileModelRegistry;
  let source: PrometheusMetricSource;

  beforeAll(async () => {
    const startMs = T0 - (HISTORY_MINUTES - 1) * MINUTE;
    const minutes = (END - startMs) / MINUTE + 1;
    const times = Array.from({ length: minutes }, (_, index) => startMs + index * MINUTE);
    prometheus = await startPrometheus({
      series: [
        {
          name: "web_requests_per_second",
          labels: { service: "web" },
          startMs,
          stepSeconds: 60,
          values: times.map(loadAt),
        },
        {
          name: "web_error_ratio",
          labels: { service: "web" },
          startMs,
          stepSeconds: 60,
          values: times.map(errorRatioAt),
        },
      ],
    });
    source = new PrometheusMetricSource({ url: prometheus.url });
    dir = await mkdtemp(join(tmpdir(), "presage-outage-guard-"));
    registry = new FileModelRegistry({ directory: dir });
    const history = await source.fetchRange({
      query: 'web_requests_per_second{service="web"}',
      startMs,
      endMs: T0,
      stepSeconds: 60,
    });
    expect(history.values).toHaveLength(HISTORY_MINUTES);
    await trainTarget({
      target: {
        name: "shop.web",
        stepSeconds: 60,
        horizonSteps: 5,
        seasonalitySeconds: [],
        models: ["naive"],
      },
      history,
      registry,
      codeVersion: "test",
    });
  }, 120_000);

  afterAll(async () => {
    await registry.close();
    await prometheus.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("holds the floor while the error ratio is above the threshold, and lowers it after recovery", async () => {
    const clock = { now: T0 + MINUTE };
    const cluster = new SimulatedCluster([{ ...HPA, minReplicas: 2, maxReplicas: 50 }]);
    const loop = new ScalerLoop({
      actuator: cluster,
      registry,
      source,
      discover: false,
      targets: [
        {
          name: "shop.web",
          hpa: HPA,
          loadQuery: 'web_requests_per_second{service="web"}',
          podCapacity: 100,
          mode: "active",
          leadMs: MINUTE,
          windowMs: 2 * MINUTE,
          maxStepUp: 50,
          maxStepDown: 50,
          scaleDownCooldownMs: 3 * MINUTE,
          outageQuery: 'web_error_ratio{service="web"}',
          outageThreshold: 0.05,
        },
      ],
      // The probe the in-cluster scaler uses, on the test's clock.
      outage: createOutageProbe(source, { now: () => clock.now }),
      now: () => clock.now,
    });
    let floorAtRecovery: number | undefined;
    while (clock.now <= END) {
      const report = await loop.tick();
      expect(report.failed).toBe(0);
      if (clock.now === RECOVERED_AT - MINUTE) floorAtRecovery = cluster.hpa(HPA)?.minReplicas;
      clock.now += MINUTE;
    }
    const decisions = loop.decisions();
    const before = decisions.filter((record) => record.atMs < OUTAGE_FROM);
    const during = decisions.filter((record) => record.atMs >= OUTAGE_FROM && record.atMs < RECOVERED_AT);
    const after = decisions.filter((record) => record.atMs >= RECOVERED_AT);
    const floorBefore = before.at(-1)?.decision.floor ?? 0;

    // Before: about 2000 rps at 100 per pod.
    expect(floorBefore).toBeGreaterThanOrEqual(20);
    expect(before.every((record) => !record.outage)).toBe(true);
    // During: the forecast follows the dropped load, but every decision holds the floor.
    expect(during).toHaveLength(15);
    for (const record of during) {
      expect(record.outage).toBe(true);
      expect(record.forecast?.requiredReplicas).toBeLessThan(floorBefore);
      expect(record.decision).toMatchObject({ reason: FloorReason.holdOutage, floor: floorBefore });
    }
    expect(floorAtRecovery).toBe(floorBefore);
    // After: the cooldown starts at recovery; then the floor comes down to what 300 rps need.
    const reasons = after.map((record: DecisionRecord) => record.decision.reason);
    expect(reasons.slice(0, 3)).toEqual([
      FloorReason.holdCooldown,
      FloorReason.holdCooldown,
      FloorReason.holdCooldown,
    ]);
    const lowered = after.find((record) => record.decision.reason === FloorReason.lower);
    expect(lowered?.atMs).toBe(RECOVERED_AT + 3 * MINUTE);
    expect(cluster.hpa(HPA)?.minReplicas).toBeLessThanOrEqual(4);
  }, 120_000);
});
