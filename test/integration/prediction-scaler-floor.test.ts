import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FailurePredictor } from "../../src/prediction/failure-predictor.js";
import { parsePredictionConfig } from "../../src/prediction/prediction-config.js";
import { RoutingActionRunner } from "../../src/remediation/execution/http-hook-runner.js";
import { RemediationEngine } from "../../src/remediation/execution/remediation-engine.js";
import { KubernetesActions } from "../../src/remediation/kubernetes/kubernetes-actions.js";
import { ScalerFloorActions } from "../../src/remediation/kubernetes/scaler-floor-actions.js";
import { DEFAULT_GUARD_LIMITS } from "../../src/remediation/planning/guard-limits.js";
import { RemediationError, RemediationErrorCode } from "../../src/remediation/remediation-error.js";
import { loadRunbooks } from "../../src/remediation/runbooks/load-runbooks.js";
import type { RemediationAction } from "../../src/remediation/runbooks/remediation-action.js";
import { FileRemediationStore } from "../../src/remediation/storage/file-remediation-store.js";
import { KubernetesActuator } from "../../src/scaler/kubernetes/kubernetes-actuator.js";
import { PresageAnnotation } from "../../src/scaler/scaler-actuator.js";
import { kubePaths, startKubeApiStandIn, type KubeApiStandIn } from "../support/kube-api-stand-in.js";
import { hpaObject, kubeConfigFor } from "../support/kube-fixtures.js";
import { ScriptedLabelledSeries } from "../support/prediction-series.js";

const NS = "shop";
const HPA = "checkout";
const HPA_PATH = kubePaths.hpa(NS, HPA);
const START = Date.parse("2026-11-28T09:00:00Z");
const CPU_QUERY =
  'sum by (namespace, deployment) (rate(container_cpu_usage_seconds_total{namespace="shop"}[2m]))';

let standIn: KubeApiStandIn;
let directory: string;
let store: FileRemediationStore;
let actuator: KubernetesActuator;

beforeEach(async () => {
  standIn = await startKubeApiStandIn();
  standIn.seed(hpaObject({ namespace: NS, name: HPA, minReplicas: 2, maxReplicas: 10, currentReplicas: 3 }));
  directory = await mkdtemp(join(tmpdir(), "presage-prediction-floor-"));
  store = await FileRemediationStore.open({ directory });
  actuator = new KubernetesActuator({ kubeConfig: kubeConfigFor(standIn), sleep: () => Promise.resolve() });
});

afterEach(async () => {
  await store.close();
  await standIn.close();
  await rm(directory, { recursive: true, force: true });
});

const floorOf = (): { minReplicas: unknown; baseline: string | undefined } => {
  const hpa = standIn.read(HPA_PATH)!;
  return {
    minReplicas: (hpa.spec as Record<string, unknown>).minReplicas,
    baseline: hpa.metadata?.annotations?.[PresageAnnotation.baselineMinReplicas],
  };
};

const raise = (by: number, max: number): RemediationAction => ({
  kind: "raise-scaler-floor",
  params: { namespace: NS, hpa: HPA, by, max },
});

describe("predicted saturation raises the scaler floor", () => {
  it("through the shipped runbook: the scaler's actuator raises minReplicas and keeps the baseline", async () => {
    const clock = { nowMs: START };
    const kubeConfig = kubeConfigFor(standIn);
    const engine = new RemediationEngine({
      store,
      runbooks: await loadRunbooks("deploy/runbooks"),
      actions: new RoutingActionRunner(
        new KubernetesActions({ kubeConfig, sleep: () => Promise.resolve() }),
        undefined,
        new ScalerFloorActions(actuator),
      ),
      limits: DEFAULT_GUARD_LIMITS,
      defaultMode: "auto",
      now: () => clock.nowMs,
    });
    const parsed = parsePredictionConfig({
      interval: "30s",
      step: "30s",
      predictions: [
        {
          name: "cpu-saturation",
          alertname: "PredictedSaturation",
          query: CPU_QUERY,
          limit: { value: 8 },
          horizon: "15m",
          threshold: 0.8,
          runbook: "predicted-saturation",
        },
      ],
    });
    if (!parsed.ok) throw new Error(parsed.problems.join("; "));
    // CPU climbing 0.5 cores a minute from 2 towards 8 cores (saturated after 12 minutes).
    const source = new ScriptedLabelledSeries({
      [CPU_QUERY]: [
        {
          labels: { namespace: NS, deployment: HPA },
          valueAt: (atMs) => 2 + ((atMs - START) / 60_000) * 0.5,
        },
      ],
    });
    const predictor = new FailurePredictor({
      config: parsed.config,
      source,
      remediation: engine,
      now: () => clock.nowMs,
    });
    let raisedAtMs: number | undefined;
    for (let tick = 0; tick < 40 && raisedAtMs === undefined; tick++) {
      clock.nowMs += 30_000;
      await predictor.tick();
      await engine.idle();
      if (floorOf().minReplicas !== 2) raisedAtMs = clock.nowMs;
    }
    expect(raisedAtMs).toBeDefined();
    expect(raisedAtMs! - START).toBeLessThan(12 * 60_000);
    expect(floorOf()).toEqual({ minReplicas: 4, baseline: "2" });
    const [incident] = await engine.incidents();
    expect(incident).toMatchObject({
      alertname: "PredictedSaturation",
      runbook: "predicted-saturation",
      preventive: true,
      state: "healed",
      actions: 1,
    });
    const event = standIn
      .writes()
      .find((request) => request.method === "POST" && request.path === kubePaths.events(NS));
    expect(event?.body).toMatchObject({ reason: "PresageFloorRaised", involvedObject: { name: HPA } });
    // The scaler owns the raised floor: restoring the declared baseline puts minReplicas back.
    const restored = await actuator.restoreBaseline({ namespace: NS, name: HPA });
    expect(restored).toEqual({ previousMinReplicas: 4, minReplicas: 2, changed: true });
    expect(floorOf()).toEqual({ minReplicas: 2, baseline: undefined });
  });

  it("undo restores the declared baseline when presage had not raised the floor before", async () => {
    const floors = new ScalerFloorActions(actuator);
    const prepared = await floors.prepare(raise(3, 20));
    const applied = await floors.apply(prepared);
    expect(applied.detail).toMatch(/minReplicas of HPA shop\/checkout 2 → 5/);
    expect(floorOf()).toEqual({ minReplicas: 5, baseline: "2" });
    expect(await floors.undo(applied)).toMatch(/restored the declared baseline/);
    expect(floorOf()).toEqual({ minReplicas: 2, baseline: undefined });
  });

  it("undo goes back to the scaler's own raised floor, keeping its baseline", async () => {
    standIn.mutate(HPA_PATH, (hpa) => {
      (hpa.spec as Record<string, unknown>).minReplicas = 3;
      hpa.metadata!.annotations = {
        ...hpa.metadata!.annotations,
        [PresageAnnotation.baselineMinReplicas]: "2",
      };
    });
    const floors = new ScalerFloorActions(actuator);
    const applied = await floors.apply(await floors.prepare(raise(2, 20)));
    expect(floorOf()).toEqual({ minReplicas: 5, baseline: "2" });
    await floors.undo(applied);
    expect(floorOf()).toEqual({ minReplicas: 3, baseline: "2" });
  });

  it("undo refuses when the floor moved since the step raised it (the scaler or a human owns it now)", async () => {
    const floors = new ScalerFloorActions(actuator);
    const applied = await floors.apply(await floors.prepare(raise(3, 20)));
    expect(floorOf().minReplicas).toBe(5);
    standIn.mutate(HPA_PATH, (hpa) => {
      (hpa.spec as Record<string, unknown>).minReplicas = 7;
    });
    const refused = await floors.undo(applied).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(RemediationError);
    expect((refused as Error).message).toMatch(/has minReplicas 7, not the 5 the step set; not put back/);
    expect(floorOf().minReplicas).toBe(7);
  });

  it("caps the floor at max and maxReplicas, and has nothing to do at the cap", async () => {
    const floors = new ScalerFloorActions(actuator);
    await floors.apply(await floors.prepare(raise(50, 100)));
    expect(floorOf().minReplicas).toBe(10);
    const refused = await floors.prepare(raise(1, 100)).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(RemediationError);
    expect((refused as RemediationError).code).toBe(RemediationErrorCode.nothingToDo);
    expect((refused as Error).message).toMatch(/minReplicas 10; \+1 within max 100 and maxReplicas 10/);
  });

  it("fails with a coded error for a missing HPA, and where no scaler actuator is wired", async () => {
    const floors = new ScalerFloorActions(actuator);
    const missing = await floors
      .prepare({ kind: "raise-scaler-floor", params: { namespace: NS, hpa: "nope", by: 1, max: 5 } })
      .catch((error: unknown) => error);
    expect((missing as RemediationError).code).toBe(RemediationErrorCode.actionFailed);
    expect((missing as Error).message).toMatch(/could not prepare "raise minReplicas of hpa\/nope/);
    const unwired = new RoutingActionRunner(
      new KubernetesActions({ kubeConfig: kubeConfigFor(standIn), sleep: () => Promise.resolve() }),
    );
    await expect(Promise.resolve().then(() => unwired.prepare(raise(1, 5)))).rejects.toThrow(
      /raise-scaler-floor needs the scaler's actuator/,
    );
  });
});
