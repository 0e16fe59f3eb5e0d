import { describe, expect, it } from "vitest";
import { FloorReason, type FloorDecision } from "../../src/scaler/floor-decision.js";
import { formatDuration } from "../../src/scaler/format-duration.js";
import { PresageAnnotation, type AnnotatedHpa } from "../../src/scaler/scaler-actuator.js";
import { ScalerError, ScalerErrorCode } from "../../src/scaler/scaler-error.js";
import {
  parseTargetAnnotations,
  resolveScalerTarget,
  SCALER_TARGET_DEFAULTS,
} from "../../src/scaler/scaler-target.js";
import { SimulatedCluster } from "../../src/scaler/simulated-cluster.js";

const ref = { namespace: "shop", name: "web" };

function annotated(annotations: Record<string, string>): AnnotatedHpa {
  return {
    ref,
    annotations: {
      [PresageAnnotation.enabled]: "true",
      [PresageAnnotation.loadQuery]: "sum(rate(http_requests_total[1m]))",
      [PresageAnnotation.podCapacity]: "700",
      ...annotations,
    },
  };
}

function caught(body: () => unknown): ScalerError {
  try {
    body();
  } catch (error) {
    if (error instanceof ScalerError) return error;
    throw error;
  }
  throw new Error("expected a ScalerError");
}

describe("parseTargetAnnotations", () => {
  it("reads a minimal annotated HPA with defaults: shadow mode, q 0.9, 3 min lead, 15 min window", () => {
    expect(parseTargetAnnotations(annotated({}))).toEqual({
      name: "shop.web",
      hpa: ref,
      loadQuery: "sum(rate(http_requests_total[1m]))",
      podCapacity: 700,
      quantile: 0.9,
      leadMs: 180_000,
      leadDeclared: false,
      windowMs: 900_000,
      mode: "shadow",
      maxStepUp: SCALER_TARGET_DEFAULTS.maxStepUp,
      maxStepDown: SCALER_TARGET_DEFAULTS.maxStepDown,
      scaleDownCooldownMs: SCALER_TARGET_DEFAULTS.scaleDownCooldownMs,
      origin: "annotation",
      outageThreshold: SCALER_TARGET_DEFAULTS.outageThreshold,
      calibrate: true,
      noiseExponent: 0.5,
    });
  });

  it("reads every annotation", () => {
    const target = parseTargetAnnotations(
      annotated({
        [PresageAnnotation.quantile]: "0.95",
        [PresageAnnotation.lead]: "2m30s",
        [PresageAnnotation.window]: "30m",
        [PresageAnnotation.mode]: "active",
        [PresageAnnotation.target]: "web-requests",
      }),
    );
    expect(target).toMatchObject({
      name: "web-requests",
      leadDeclared: true,
      quantile: 0.95,
      leadMs: 150_000,
      windowMs: 1_800_000,
      mode: "active",
    });
  });

  it("reports every bad annotation at once, with value and rule", () => {
    const error = caught(() =>
      parseTargetAnnotations({
        ref,
        annotations: {
          [PresageAnnotation.enabled]: "true",
          [PresageAnnotation.podCapacity]: "many",
          [PresageAnnotation.lead]: "soon",
          [PresageAnnotation.mode]: "yolo",
        },
      }),
    );
    expect(error.code).toBe(ScalerErrorCode.invalidTarget);
    expect(error.message).toBe(
      "HPA shop/web: annotation presage.io/load-query is required; " +
        'annotation presage.io/pod-capacity ("many") must be a number; ' +
        'annotation presage.io/lead ("soon") must be a duration such as 180s or 3m; ' +
        'annotation presage.io/mode ("yolo") must be shadow or active',
    );
  });

  it("applies the value rules of resolveScalerTarget to annotations", () => {
    expect(
      caught(() => parseTargetAnnotations(annotated({ [PresageAnnotation.quantile]: "0.3" }))).message,
    ).toContain("`quantile` (0.3) must be ≥ 0.5 and < 1");
    expect(
      caught(() => parseTargetAnnotations(annotated({ [PresageAnnotation.podCapacity]: "-5" }))).message,
    ).toContain("`podCapacity` (-5) must be a number > 0");
    expect(
      caught(() => parseTargetAnnotations(annotated({ [PresageAnnotation.target]: "Web!" }))).message,
    ).toContain('`name` ("Web!")');
  });

  it("refuses an HPA that is not opted in", () => {
    expect(
      caught(() => parseTargetAnnotations(annotated({ [PresageAnnotation.enabled]: "yes" }))).message,
    ).toContain('annotation presage.io/enabled must be "true"');
  });
});

describe("resolveScalerTarget", () => {
  it("checks step sizes and durations", () => {
    const error = caught(() =>
      resolveScalerTarget({
        name: "web",
        hpa: ref,
        loadQuery: "q",
        podCapacity: 1,
        maxStepUp: 0,
        maxStepDown: 1.5,
        scaleDownCooldownMs: -1,
        maxForecastAgeMs: 0,
      }),
    );
    expect(error.message).toBe(
      "scaler target web (shop/web): `maxStepUp` (0) must be an integer ≥ 1; `maxStepDown` (1.5) must be an integer ≥ 1; " +
        "`scaleDownCooldownMs` (-1) must be ≥ 0; `maxForecastAgeMs` (0) must be > 0",
    );
  });
});

const decision: FloorDecision = { floor: 5, reason: FloorReason.raise, detail: "forecast asks 5" };

describe("SimulatedCluster", () => {
  it("stores the baseline annotation with the first floor change only, and restores it", async () => {
    const cluster = new SimulatedCluster([{ ...ref, minReplicas: 2, maxReplicas: 10 }]);
    expect(await cluster.readHpa(ref)).toMatchObject({
      minReplicas: 2,
      baselineMinReplicas: 2,
      baselineRecorded: false,
    });
    expect(await cluster.setFloor(ref, 5, decision)).toEqual({
      previousMinReplicas: 2,
      minReplicas: 5,
      changed: true,
    });
    expect(await cluster.setFloor(ref, 7, decision)).toEqual({
      previousMinReplicas: 5,
      minReplicas: 7,
      changed: true,
    });
    expect(await cluster.readHpa(ref)).toMatchObject({
      minReplicas: 7,
      baselineMinReplicas: 2,
      baselineRecorded: true,
    });
    expect(cluster.hpa(ref)?.currentReplicas).toBe(7);
    expect(await cluster.setFloor(ref, 7, decision)).toMatchObject({ changed: false });
    expect(cluster.setFloorCalls).toHaveLength(3);
    expect(cluster.writes).toHaveLength(2);
    expect(await cluster.restoreBaseline(ref)).toEqual({
      previousMinReplicas: 7,
      minReplicas: 2,
      changed: true,
    });
    expect(cluster.hpa(ref)?.annotations).toEqual({});
    expect(await cluster.restoreBaseline(ref)).toMatchObject({ changed: false });
    expect(cluster.writes.map((write) => write.kind)).toEqual(["setFloor", "setFloor", "restoreBaseline"]);
  });

  it("rejects a floor above maxReplicas and unknown HPAs, with codes", async () => {
    const cluster = new SimulatedCluster([{ ...ref, minReplicas: 2, maxReplicas: 10 }]);
    await expect(cluster.setFloor(ref, 11, decision)).rejects.toMatchObject({
      code: ScalerErrorCode.invalidPatch,
    });
    await expect(cluster.readHpa({ namespace: "shop", name: "nope" })).rejects.toMatchObject({
      code: ScalerErrorCode.hpaNotFound,
    });
  });

  it("lists only opted-in HPAs and fails on demand", async () => {
    const cluster = new SimulatedCluster([
      { ...ref, minReplicas: 2, maxReplicas: 10, annotations: { [PresageAnnotation.enabled]: "true" } },
      { namespace: "shop", name: "other", minReplicas: 1, maxReplicas: 3 },
    ]);
    expect((await cluster.listTargets()).map((hpa) => hpa.ref)).toEqual([ref]);
    cluster.failWith("listTargets", new Error("down"));
    await expect(cluster.listTargets()).rejects.toThrow("down");
    cluster.heal("listTargets");
    expect(await cluster.listTargets()).toHaveLength(1);
  });

  it("follows the load reactively: up at once, down one replica per sync, never below the floor", () => {
    const cluster = new SimulatedCluster([{ ...ref, minReplicas: 2, maxReplicas: 10, podCapacity: 100 }]);
    expect(cluster.reconcile(ref, 700).currentReplicas).toBe(10); // 700 / (100 × 0.7)
    expect(cluster.reconcile(ref, 140).currentReplicas).toBe(9);
    for (let sync = 0; sync < 20; sync++) cluster.reconcile(ref, 0);
    expect(cluster.hpa(ref)?.currentReplicas).toBe(2);
  });
});

describe("formatDuration", () => {
  it.each([
    [250, "250ms"],
    [45_000, "45s"],
    [600_000, "10m"],
    [3_900_000, "1h5m"],
    [90_061_000, "1d1h"],
    [0, "0ms"],
  ])("formats %d ms as %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
