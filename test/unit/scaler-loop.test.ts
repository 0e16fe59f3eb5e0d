import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Series } from "../../models/series.js";
import { trainTarget } from "../../training/pipeline/train-target.js";
import { restoreModel } from "../../training/restore-model.js";
import { FloorReason } from "../../src/scaler/floor-decision.js";
import { PresageAnnotation, type HpaRef } from "../../src/scaler/scaler-actuator.js";
import { ScalerError, ScalerErrorCode } from "../../src/scaler/scaler-error.js";
import {
  fillGaps,
  ScalerLoop,
  type LoopTimers,
  type ScalerLoopOptions,
} from "../../src/scaler/scaler-loop.js";
import { ScalerMetrics } from "../../src/scaler/scaler-metrics.js";
import type { ScalerTargetSpec } from "../../src/scaler/scaler-target.js";
import { SimulatedCluster } from "../../src/scaler/simulated-cluster.js";
import { FileModelRegistry } from "../../src/storage/file-model-registry.js";
import type { MetricSource, RangeRequest } from "../../src/sources/metric-source.js";
import { SyntheticMetricSource } from "../../src/sources/synthetic-metric-source.js";

const MINUTE = 60_000;
const STEP_SECONDS = 300;
/** Tuesday 2026-12-01 06:00 UTC: the model's data ends here; the weekday peak is around 11:00. */
const TRAINED_AT = Date.UTC(2026, 11, 1, 6);
const POD_CAPACITY = 50;
const WEB: HpaRef = { namespace: "shop", name: "web" };
const API: HpaRef = { namespace: "shop", name: "api" };

/** The synthetic source, with a switch that makes fetches fail (a Prometheus outage). */
class SwitchableSource implements MetricSource {
  readonly kind = "switchable";
  down = false;
  fetches: RangeRequest[] = [];
  constructor(private readonly inner: SyntheticMetricSource) {}
  fetchRange(request: RangeRequest): Promise<Series> {
    this.fetches.push(request);
    if (this.down) return Promise.reject(new Error("prometheus unreachable"));
    return this.inner.fetchRange(request);
  }
}

let directory = "";
let registry: FileModelRegistry;
const synthetic = new SyntheticMetricSource({ seed: 11 });

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "presage-scaler-loop-"));
  registry = new FileModelRegistry({ directory });
  const history = await synthetic.fetchRange({
    query: "",
    startMs: TRAINED_AT - 14 * 86_400_000,
    endMs: TRAINED_AT,
    stepSeconds: STEP_SECONDS,
  });
  for (const name of ["web", "api"]) {
    await trainTarget({
      target: {
        name,
        stepSeconds: STEP_SECONDS,
        horizonSteps: 6,
        seasonalitySeconds: [86_400],
        models: ["snaive"],
      },
      history,
      registry,
      codeVersion: "test",
      now: () => new Date(TRAINED_AT),
    });
  }
});

afterAll(async () => {
  await registry.close();
  await rm(directory, { recursive: true, force: true });
});

function clusterWith(...refs: HpaRef[]): SimulatedCluster {
  return new SimulatedCluster(
    refs.map((ref) => ({ ...ref, minReplicas: 2, maxReplicas: 30, podCapacity: POD_CAPACITY })),
  );
}

function spec(
  ref: HpaRef,
  mode: "shadow" | "active",
  overrides: Partial<ScalerTargetSpec> = {},
): ScalerTargetSpec {
  return { name: ref.name, hpa: ref, loadQuery: "requests", podCapacity: POD_CAPACITY, mode, ...overrides };
}

interface Harness {
  loop: ScalerLoop;
  clock: { now: number };
  lines: string[];
  metrics: ScalerMetrics;
  /** Ticks every minute from the clock's time up to (not including) `untilMs`. */
  runUntil(untilMs: number, each?: (nowMs: number) => void): Promise<void>;
}

function harness(
  options: Omit<ScalerLoopOptions, "registry" | "source" | "actuator"> & {
    actuator: SimulatedCluster;
    source?: MetricSource;
    registry?: ScalerLoopOptions["registry"];
    startMs?: number;
  },
): Harness {
  const clock = { now: options.startMs ?? TRAINED_AT + 2 * MINUTE };
  const lines: string[] = [];
  const metrics = new ScalerMetrics();
  const loop = new ScalerLoop({
    registry,
    source: options.source ?? synthetic,
    discover: false,
    now: () => clock.now,
    log: (line) => lines.push(line),
    metrics,
    ...options,
  });
  return {
    loop,
    clock,
    lines,
    metrics,
    async runUntil(untilMs, each) {
      while (clock.now < untilMs) {
        await loop.tick();
        // The reactive HPA follows the real load; the floor only ever adds to it.
        for (const target of loop.targets()) {
          if (options.actuator.hpa(target.hpa) !== undefined) {
            options.actuator.reconcile(target.hpa, synthetic.valueAt(clock.now));
          }
        }
        each?.(clock.now);
        clock.now += MINUTE;
      }
    },
  };
}

describe("ScalerLoop", () => {
  it("in shadow mode records decisions and writes nothing", async () => {
    const cluster = clusterWith(WEB);
    const h = harness({ actuator: cluster, targets: [spec(WEB, "shadow")] });
    await h.runUntil(TRAINED_AT + 5 * 60 * MINUTE);
    expect(cluster.setFloorCalls).toEqual([]);
    expect(cluster.writes).toEqual([]);
    expect(cluster.events).toEqual([]);
    expect(cluster.hpa(WEB)?.minReplicas).toBe(2);
    const decisions = h.loop.decisions({ target: "web" });
    expect(decisions.length).toBe(298);
    expect(decisions.every((record) => !record.acting && record.mode === "shadow")).toBe(true);
    // The shadow floor climbs as active mode would have.
    expect(decisions.some((record) => record.decision.reason === FloorReason.raise)).toBe(true);
    expect(Math.max(...decisions.map((record) => record.decision.floor))).toBeGreaterThan(8);
  });

  it("in active mode raises the floor before the synthetic peak, records the baseline and emits events", async () => {
    const cluster = clusterWith(WEB);
    const h = harness({ actuator: cluster, targets: [spec(WEB, "active")] });
    const peakMs = Date.UTC(2026, 11, 1, 11);
    let floorBeforePeak = 0;
    await h.runUntil(peakMs, (nowMs) => {
      if (nowMs === peakMs - 10 * MINUTE) floorBeforePeak = cluster.hpa(WEB)?.minReplicas ?? 0;
    });
    // Ten minutes ahead, the floor already covers the noise-free peak load.
    const peakReplicas = Math.ceil(
      (new SyntheticMetricSource({ seed: 11, noise: 0, spikeProbability: 0 }).valueAt(peakMs) * 0.95) /
        POD_CAPACITY,
    );
    expect(floorBeforePeak).toBeGreaterThanOrEqual(peakReplicas);
    expect(cluster.hpa(WEB)?.annotations[PresageAnnotation.baselineMinReplicas]).toBe("2");
    expect(cluster.writes.length).toBeGreaterThan(0);
    expect(cluster.writes.every((write) => write.kind === "setFloor")).toBe(true);
    expect(cluster.events[0]?.event).toMatchObject({ type: "Normal", reason: "PresageFloorRaised" });
    expect(cluster.events[0]?.event.message).toMatch(/^minReplicas 2 → \d+: forecast asks \d+ \(q0\.9 of /);
    const last = h.loop.decisions({ limit: 1 })[0];
    expect(last).toMatchObject({ acting: true, leader: true, target: "web", hpa: "shop/web" });
    // The model was advanced to the newest points, not left at its training end.
    expect(last?.forecast?.dataEndMs).toBe(peakMs - 5 * MINUTE);
    expect(last?.forecast?.modelVersion).toBe(1);
    expect(
      h.lines.some((line) => line.startsWith("scaler decision target=web") && line.includes("reason=raise")),
    ).toBe(true);
    const text = await h.metrics.registry.metrics();
    expect(text).toMatch(/presage_scaler_floor_replicas\{target="web"\} \d+/);
    expect(text).toMatch(/presage_scaler_decisions_total\{target="web",reason="raise",mode="active"\} \d+/);
    expect(text).toMatch(/presage_scaler_actions_total\{target="web",action="raise"\} \d+/);
    expect(text).toMatch(/presage_scaler_forecast_replicas\{target="web"\} \d+/);
    expect(text).toContain("presage_scaler_leader 1");
    expect(text).toContain("presage_scaler_tick_duration_seconds_count 298");
  });

  it("does not write when this instance is not the leader", async () => {
    const cluster = clusterWith(WEB);
    const h = harness({ actuator: cluster, targets: [spec(WEB, "active")], isLeader: () => false });
    await h.runUntil(TRAINED_AT + 5 * 60 * MINUTE);
    expect(cluster.setFloorCalls).toEqual([]);
    expect(cluster.writes).toEqual([]);
    expect(h.loop.decisions().every((record) => !record.acting && !record.leader)).toBe(true);
    expect(await h.metrics.registry.metrics()).toContain("presage_scaler_leader 0");
    await h.loop.stop();
    expect(cluster.writes).toEqual([]);
  });

  it("stops acting within one tick of losing the lease, even when it is lost in the middle of a tick", async () => {
    const cluster = clusterWith(WEB);
    // How many more times isLeader() answers true.
    let budget = Number.POSITIVE_INFINITY;
    const h = harness({
      actuator: cluster,
      targets: [spec(WEB, "active")],
      isLeader: () => budget-- > 0,
    });
    await h.runUntil(Date.UTC(2026, 11, 1, 8));
    const writes = cluster.writes.length;
    expect(writes).toBeGreaterThan(0);
    // Each tick asks at its start and per target (true), then right before writing (false now).
    budget = 2;
    await h.runUntil(Date.UTC(2026, 11, 1, 11), () => {
      budget = 2;
    });
    expect(cluster.writes.length).toBe(writes);
    expect(h.lines.some((line) => line.startsWith("scaler leadership lost target=web"))).toBe(true);
    budget = 0;
    await h.runUntil(Date.UTC(2026, 11, 1, 11, 30));
    expect(cluster.writes.length).toBe(writes);
    expect(h.loop.decisions({ limit: 1 })[0]).toMatchObject({ leader: false, acting: false });
    await h.loop.stop();
    expect(cluster.writes.length).toBe(writes);
  });

  it("goes back to the baseline when the forecast turns stale, and raises again when data returns", async () => {
    const cluster = clusterWith(WEB);
    const source = new SwitchableSource(synthetic);
    const h = harness({ actuator: cluster, source, targets: [spec(WEB, "active")] });
    await h.runUntil(Date.UTC(2026, 11, 1, 10));
    expect(cluster.hpa(WEB)?.minReplicas).toBeGreaterThan(2);
    source.down = true;
    const reasons: FloorReason[] = [];
    await h.runUntil(Date.UTC(2026, 11, 1, 10, 30), () => {
      reasons.push(h.loop.decisions({ limit: 1 })[0]!.decision.reason);
    });
    // Fresh for up to 15 minutes (three 5-minute steps) after the last point, then the baseline.
    expect(reasons.slice(0, 10).every((reason) => reason !== FloorReason.baselineNoForecast)).toBe(true);
    expect(reasons.slice(-10).every((reason) => reason === FloorReason.baselineNoForecast)).toBe(true);
    expect(cluster.hpa(WEB)?.minReplicas).toBe(2);
    expect(cluster.hpa(WEB)?.annotations[PresageAnnotation.baselineMinReplicas]).toBeUndefined();
    expect(cluster.writes.at(-1)?.kind).toBe("restoreBaseline");
    expect(cluster.events.at(-1)?.event.reason).toBe("PresageBaselineRestored");
    expect(h.loop.decisions({ limit: 1 })[0]?.forecastError).toMatch(
      /stale: the newest load point is \d+m old, limit 15m/,
    );
    expect(
      h.lines.some((line) => line.includes('during="fetch load"') && line.includes("prometheus unreachable")),
    ).toBe(true);
    source.down = false;
    await h.runUntil(Date.UTC(2026, 11, 1, 10, 40));
    expect(cluster.hpa(WEB)?.minReplicas).toBeGreaterThan(2);
  });

  it("keeps going when one target throws: the others are decided and acted on", async () => {
    const cluster = clusterWith(WEB, API);
    cluster.failWith("readHpa", new ScalerError(ScalerErrorCode.forbidden, "hpa shop/api: forbidden"), API);
    const h = harness({ actuator: cluster, targets: [spec(API, "active"), spec(WEB, "active")] });
    const report = await h.loop.tick();
    expect(report).toMatchObject({ targets: 2, decided: 1, failed: 1 });
    await h.runUntil(Date.UTC(2026, 11, 1, 10));
    expect(cluster.hpa(WEB)?.minReplicas).toBeGreaterThan(2);
    expect(cluster.hpa(API)?.minReplicas).toBe(2);
    expect(h.loop.decisions({ target: "api" })).toEqual([]);
    expect(
      h.lines.some(
        (line) => line.includes("target=api") && line.includes(`code=${ScalerErrorCode.forbidden}`),
      ),
    ).toBe(true);
    expect(await h.metrics.registry.metrics()).toMatch(
      new RegExp(`presage_scaler_errors_total\\{target="api",code="${ScalerErrorCode.forbidden}"\\} \\d+`),
    );
  });

  it("keeps going when a target has no model or a failing write", async () => {
    const cluster = clusterWith(WEB, API, { namespace: "shop", name: "new" });
    cluster.failWith("setFloor", new ScalerError(ScalerErrorCode.conflict, "409 after retries"), API);
    const h = harness({
      actuator: cluster,
      targets: [spec(API, "active"), spec({ namespace: "shop", name: "new" }, "active"), spec(WEB, "active")],
    });
    await h.runUntil(Date.UTC(2026, 11, 1, 9));
    expect(cluster.hpa(WEB)?.minReplicas).toBeGreaterThan(2);
    const fresh = h.loop.decisions({ target: "new", limit: 1 })[0];
    expect(fresh?.decision.reason).toBe(FloorReason.baselineNoForecast);
    expect(fresh?.forecastError).toBe('no current model for target "new" in the registry (train it first)');
    const api = h.loop.decisions({ target: "api", limit: 1 })[0];
    expect(api?.actionError).toBe("409 after retries");
    expect(cluster.hpa(API)?.minReplicas).toBe(2);
  });

  it("restores a model once per registry version and advances it without refitting", async () => {
    const cluster = clusterWith(WEB);
    const restored: number[] = [];
    const h = harness({
      actuator: cluster,
      targets: [spec(WEB, "shadow")],
      restoreModel: (state) => {
        restored.push(1);
        return restoreModel(state);
      },
    });
    await h.runUntil(TRAINED_AT + 60 * MINUTE);
    expect(restored).toHaveLength(1);
    const last = h.loop.decisions({ limit: 1 })[0];
    expect(last?.forecast?.dataEndMs).toBe(TRAINED_AT + 55 * MINUTE);
  });

  it("restores the baselines on graceful shutdown when leader", async () => {
    const cluster = clusterWith(WEB);
    const h = harness({ actuator: cluster, targets: [spec(WEB, "active")] });
    await h.runUntil(Date.UTC(2026, 11, 1, 10));
    expect(cluster.hpa(WEB)?.minReplicas).toBeGreaterThan(2);
    await h.loop.stop();
    expect(cluster.hpa(WEB)?.minReplicas).toBe(2);
    expect(cluster.hpa(WEB)?.annotations).toEqual({});
    expect(cluster.events.at(-1)?.event.message).toMatch(/declared baseline\): shutdown$/);
  });

  it("discovers annotated HPAs, skips invalid ones with a clear error, and hands back HPAs that leave", async () => {
    const cluster = new SimulatedCluster([
      {
        ...WEB,
        minReplicas: 2,
        maxReplicas: 30,
        annotations: {
          [PresageAnnotation.enabled]: "true",
          [PresageAnnotation.loadQuery]: 'sum(rate(http_requests_total{app="web"}[1m]))',
          [PresageAnnotation.podCapacity]: String(POD_CAPACITY),
          [PresageAnnotation.mode]: "active",
          [PresageAnnotation.lead]: "3m",
          [PresageAnnotation.target]: "web",
        },
      },
      {
        ...API,
        minReplicas: 2,
        maxReplicas: 30,
        annotations: { [PresageAnnotation.enabled]: "true", [PresageAnnotation.podCapacity]: "lots" },
      },
      { namespace: "shop", name: "ignored", minReplicas: 1, maxReplicas: 3 },
    ]);
    const h = harness({ actuator: cluster, discover: true });
    await h.runUntil(Date.UTC(2026, 11, 1, 10));
    expect(h.loop.targets().map((target) => [target.name, target.mode, target.origin])).toEqual([
      ["web", "active", "annotation"],
    ]);
    expect(cluster.hpa(WEB)?.minReplicas).toBeGreaterThan(2);
    const invalid = h.lines.filter(
      (line) => line.includes("target=shop/api") && line.includes(`code=${ScalerErrorCode.invalidTarget}`),
    );
    // Reported once, not every tick.
    expect(invalid).toHaveLength(1);
    expect(invalid[0]).toContain("annotation presage.io/load-query is required");
    expect(invalid[0]).toContain('annotation presage.io/pod-capacity (\\"lots\\") must be a number');
    // The owner removes the opt-in: the leader hands the HPA back at once.
    cluster.edit(WEB, {
      annotations: Object.fromEntries(
        Object.entries(cluster.hpa(WEB)!.annotations).filter(([key]) => key !== PresageAnnotation.enabled),
      ),
    });
    await h.loop.tick();
    expect(h.loop.targets()).toEqual([]);
    expect(cluster.hpa(WEB)?.minReplicas).toBe(2);
    expect(cluster.hpa(WEB)?.annotations[PresageAnnotation.baselineMinReplicas]).toBeUndefined();
  });

  it("keeps the last discovered targets when listing fails", async () => {
    const cluster = new SimulatedCluster([
      {
        ...WEB,
        minReplicas: 2,
        maxReplicas: 30,
        annotations: {
          [PresageAnnotation.enabled]: "true",
          [PresageAnnotation.loadQuery]: "q",
          [PresageAnnotation.podCapacity]: "50",
          [PresageAnnotation.target]: "web",
        },
      },
    ]);
    const h = harness({ actuator: cluster, discover: true });
    await h.loop.tick();
    cluster.failWith("listTargets", new ScalerError(ScalerErrorCode.unavailable, "api server down"));
    const report = await h.loop.tick();
    expect(report.targets).toBe(1);
    expect(h.lines.some((line) => line.includes('during="list targets"'))).toBe(true);
  });

  it("hands a floor left by active mode back to the owner when the target switches to shadow", async () => {
    const cluster = clusterWith(WEB);
    const active = harness({ actuator: cluster, targets: [spec(WEB, "active")] });
    await active.runUntil(Date.UTC(2026, 11, 1, 10));
    expect(cluster.hpa(WEB)?.minReplicas).toBeGreaterThan(2);
    const shadow = harness({
      actuator: cluster,
      targets: [spec(WEB, "shadow")],
      startMs: Date.UTC(2026, 11, 1, 10),
    });
    await shadow.loop.tick();
    expect(cluster.hpa(WEB)?.minReplicas).toBe(2);
    const writes = cluster.writes.length;
    await shadow.runUntil(Date.UTC(2026, 11, 1, 10, 30));
    expect(cluster.writes.length).toBe(writes);
  });

  it("never lowers a floor during an outage", async () => {
    const cluster = clusterWith(WEB);
    let outage = false;
    const h = harness({
      actuator: cluster,
      targets: [spec(WEB, "active", { scaleDownCooldownMs: 0 })],
      outage: () => outage,
    });
    await h.runUntil(Date.UTC(2026, 11, 1, 11));
    const raised = cluster.hpa(WEB)!.minReplicas;
    outage = true;
    // The afternoon lull would lower the floor; the outage holds it.
    await h.runUntil(Date.UTC(2026, 11, 1, 15));
    expect(cluster.hpa(WEB)!.minReplicas).toBeGreaterThanOrEqual(raised);
    expect(h.loop.decisions({ limit: 1 })[0]?.decision.reason).toBe(FloorReason.holdOutage);
    outage = false;
    await h.runUntil(Date.UTC(2026, 11, 1, 15, 30));
    expect(cluster.hpa(WEB)!.minReplicas).toBeLessThan(raised);
  });

  it("treats a failing outage probe as no outage, and counts it", async () => {
    const cluster = clusterWith(WEB);
    const h = harness({
      actuator: cluster,
      targets: [spec(WEB, "shadow")],
      outage: () => Promise.reject(new Error("error-rate query failed")),
    });
    await h.loop.tick();
    expect(h.loop.decisions()[0]?.outage).toBe(false);
    expect(await h.metrics.registry.metrics()).toContain(
      `presage_scaler_errors_total{target="web",code="${ScalerErrorCode.outageProbeFailed}"} 1`,
    );
  });

  it("records the configured lead when nothing measures it, and the measured one when a tracker does", async () => {
    const plain = harness({
      actuator: clusterWith(WEB),
      targets: [spec(WEB, "shadow", { leadMs: 120_000 })],
    });
    await plain.loop.tick();
    expect(plain.loop.decisions()[0]?.lead).toEqual({ leadMs: 120_000, source: "configured", pods: 0 });
    expect(plain.loop.decisions()[0]?.decision.detail).toContain("lead 2m configured");

    const windows: number[] = [];
    const measured = harness({
      actuator: clusterWith(WEB),
      targets: [spec(WEB, "shadow", { leadMs: 120_000 })],
      startupLead: {
        lead: () =>
          Promise.resolve({
            lead: {
              leadMs: 600_000,
              source: "measured",
              measuredMs: 600_000,
              pods: 8,
              detail: "lead 10m measured",
            },
          }),
        forget: () => undefined,
      },
      onDecision: (record) => windows.push(record.forecast?.fromStep ?? 0),
    });
    await measured.loop.tick();
    const record = measured.loop.decisions()[0];
    expect(record?.lead).toEqual({ leadMs: 600_000, source: "measured", measuredMs: 600_000, pods: 8 });
    // The window starts after the measured lead: two 5-minute steps later than after the configured one.
    expect(windows[0]).toBe((plain.loop.decisions()[0]?.forecast?.fromStep ?? 0) + 2);
    expect(await measured.metrics.registry.metrics()).toContain(
      'presage_scaler_lead_seconds{target="web",source="measured"} 600',
    );
  });

  it("counts a failed lead measurement and goes on with the lead it was given", async () => {
    const h = harness({
      actuator: clusterWith(WEB),
      targets: [spec(WEB, "shadow")],
      startupLead: {
        lead: () =>
          Promise.resolve({
            lead: { leadMs: 180_000, source: "configured", pods: 0, detail: "lead 3m default" },
            error: new Error("prometheus down"),
          }),
        forget: () => undefined,
      },
    });
    const report = await h.loop.tick();
    expect(report.decided).toBe(1);
    expect(h.loop.decisions()[0]?.lead?.leadMs).toBe(180_000);
    expect(await h.metrics.registry.metrics()).toContain(
      `presage_scaler_errors_total{target="web",code="${ScalerErrorCode.startupLeadFailed}"} 1`,
    );
    expect(h.lines.some((line) => line.includes("prometheus down"))).toBe(true);
  });

  it("pairs each floor's forecast with the load that came and sizes floors on calibrated quantiles once it has enough", async () => {
    const cluster = clusterWith(WEB, API);
    const h = harness({
      actuator: cluster,
      targets: [spec(WEB, "shadow"), spec(API, "shadow", { calibrate: false })],
      calibration: { minPairsPerStep: 12 },
    });
    await h.runUntil(TRAINED_AT + 4 * 60 * MINUTE);
    const details = (target: string): string[] =>
      h.loop.decisions({ target }).map((record) => record.decision.detail);
    const web = details("web");
    const firstCalibrated = web.findIndex((detail) => detail.includes("calibrated q0.9"));
    // 5-minute steps ticked every minute: the window is steps 1–4 or 2–5 depending on the minute, and
    // each step needs 12 (forecast, load) pairs, so about 13 steps (65 ticks) pass before the first.
    expect(firstCalibrated).toBeGreaterThan(12 * 5);
    expect(firstCalibrated).toBeLessThan(20 * 5);
    expect(web.slice(20 * 5).every((detail) => detail.includes("calibrated q0.9"))).toBe(true);
    expect(details("api").some((detail) => detail.includes("calibrated"))).toBe(false);
    expect(() => harness({ actuator: cluster, calibration: { minPairsPerStep: 0 } })).toThrow(
      /minPairsPerStep/,
    );
  });

  it("after a start behind the model's data, calibrates from the forecasts it would have made meanwhile", async () => {
    const cluster = clusterWith(WEB, API);
    // Started 3 hours (36 five-minute steps) after the model's data ended, as after a restart.
    const startMs = TRAINED_AT + 3 * 60 * MINUTE;
    const h = harness({
      actuator: cluster,
      startMs,
      targets: [spec(WEB, "shadow"), spec(API, "shadow", { calibrate: false })],
      calibration: { minPairsPerStep: 12 },
    });
    const report = await h.loop.tick();
    expect(report.decided).toBe(2);
    // One decision per target: the catch-up decided nothing, it only fed the calibration.
    expect(h.loop.decisions({ target: "web" })).toHaveLength(1);
    expect(h.loop.decisions({ target: "web" })[0]?.decision.detail).toContain("calibrated q0.9");
    expect(h.loop.decisions({ target: "api" })[0]?.decision.detail).not.toContain("calibrated");

    // Only 30 minutes behind (6 steps): too few pairs yet, the model's own interval is used.
    const soon = harness({
      actuator: clusterWith(WEB),
      startMs: TRAINED_AT + 30 * MINUTE,
      targets: [spec(WEB, "shadow")],
      calibration: { minPairsPerStep: 12 },
    });
    await soon.loop.tick();
    expect(soon.loop.decisions({ target: "web" })[0]?.decision.detail).not.toContain("calibrated");
  });

  it("at start-up, warms the calibration by replaying the previous model version up to the current one's data", async () => {
    const dir = await mkdtemp(join(tmpdir(), "presage-scaler-warm-"));
    const versions = new FileModelRegistry({ directory: dir });
    try {
      for (const endMs of [TRAINED_AT - 86_400_000, TRAINED_AT]) {
        const history = await synthetic.fetchRange({
          query: "",
          startMs: endMs - 14 * 86_400_000,
          endMs,
          stepSeconds: STEP_SECONDS,
        });
        const trained = await trainTarget({
          target: {
            name: "web",
            stepSeconds: STEP_SECONDS,
            horizonSteps: 6,
            seasonalitySeconds: [86_400],
            models: ["snaive"],
          },
          history,
          registry: versions,
          codeVersion: "test",
          now: () => new Date(endMs),
        });
        await versions.promote("web", trained.artifact.version);
      }
      const h = harness({
        actuator: clusterWith(WEB),
        registry: versions,
        targets: [spec(WEB, "shadow")],
        calibration: { minPairsPerStep: 12 },
      });
      await h.loop.tick();
      expect(h.lines.some((line) => /scaler calibration warmed target=web from=v1 /.test(line))).toBe(true);
      expect(h.loop.decisions({ target: "web" })[0]?.decision.detail).toContain("calibrated q0.9");
      // The same start on a registry holding only one version: nothing to replay, model intervals.
      const single = harness({
        actuator: clusterWith(WEB),
        targets: [spec(WEB, "shadow")],
        calibration: { minPairsPerStep: 12 },
      });
      await single.loop.tick();
      expect(single.loop.decisions({ target: "web" })[0]?.decision.detail).not.toContain("calibrated");
    } finally {
      await versions.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("keeps a bounded decision log", async () => {
    const cluster = clusterWith(WEB);
    const h = harness({ actuator: cluster, targets: [spec(WEB, "shadow")], decisionLogSize: 5 });
    await h.runUntil(TRAINED_AT + 20 * MINUTE);
    expect(h.loop.decisions()).toHaveLength(5);
    expect(h.loop.decisions()[4]?.atMs).toBe(TRAINED_AT + 19 * MINUTE);
  });

  it("ticks on its timer until stopped, without overlapping ticks", async () => {
    const cluster = clusterWith(WEB);
    const pending: { callback: () => void; ms: number }[] = [];
    const timers: LoopTimers = {
      setTimeout: (callback, ms) => {
        const entry = { callback, ms };
        pending.push(entry);
        return entry;
      },
      clearTimeout: (handle) => {
        const index = pending.indexOf(handle as (typeof pending)[number]);
        if (index >= 0) pending.splice(index, 1);
      },
    };
    const h = harness({ actuator: cluster, targets: [spec(WEB, "active")], timers, tickMs: 60_000 });
    h.loop.start();
    h.loop.start();
    expect(pending.map((entry) => entry.ms)).toEqual([0]);
    for (let round = 0; round < 3; round++) {
      pending.shift()!.callback();
      await waitFor(() => pending.length === 1);
      expect(pending[0]?.ms).toBe(60_000);
      h.clock.now += MINUTE;
    }
    expect(h.loop.decisions()).toHaveLength(3);
    await h.loop.stop();
    expect(pending).toEqual([]);
  });

  it("rejects an invalid configured target, naming the field", () => {
    expect(
      () =>
        new ScalerLoop({
          registry,
          source: synthetic,
          actuator: clusterWith(WEB),
          targets: [spec(WEB, "active", { podCapacity: 0, quantile: 1.2 })],
        }),
    ).toThrow(/`podCapacity` \(0\) must be a number > 0; `quantile` \(1.2\) must be ≥ 0.5 and < 1/);
  });
});

describe("fillGaps", () => {
  it("interpolates inner gaps, fills leading ones with the first value and drops trailing ones", () => {
    expect(fillGaps([Number.NaN, 2, Number.NaN, Number.NaN, 8, Number.NaN])).toEqual([2, 2, 4, 6, 8]);
    expect(fillGaps([Number.NaN, Number.NaN])).toEqual([]);
    expect(fillGaps([1, 2, 3])).toEqual([1, 2, 3]);
  });
});

/** Polls until `condition` holds (the tick does real file I/O), for at most five seconds. */
async function waitFor(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition() && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  expect(condition()).toBe(true);
}
