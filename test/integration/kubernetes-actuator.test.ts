import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FloorReason, type FloorDecision } from "../../src/scaler/floor-decision.js";
import {
  KubernetesActuator,
  type KubernetesActuatorOptions,
} from "../../src/scaler/kubernetes/kubernetes-actuator.js";
import { PresageAnnotation } from "../../src/scaler/scaler-actuator.js";
import { ScalerError, ScalerErrorCode } from "../../src/scaler/scaler-error.js";
import {
  collectionPath,
  kubePaths,
  startKubeApiStandIn,
  type KubeApiStandIn,
  type KubeObject,
} from "../support/kube-api-stand-in.js";
import { freePort } from "../support/free-port.js";
import { deploymentObject, hpaObject, kubeConfigFor, scaledObjectObject } from "../support/kube-fixtures.js";

const NS = "shop";
const WEB = { namespace: NS, name: "web" };
const HPA_PATH = kubePaths.hpa(NS, "web");
const RAISE: FloorDecision = { floor: 6, reason: FloorReason.raise, detail: "forecast asks 6, raised 2 → 6" };

interface Harness {
  standIn: KubeApiStandIn;
  actuator: KubernetesActuator;
  sleeps: number[];
}

let harness: Harness;

async function startHarness(options: Partial<KubernetesActuatorOptions> = {}): Promise<Harness> {
  const standIn = await startKubeApiStandIn();
  const sleeps: number[] = [];
  const actuator = new KubernetesActuator({
    kubeConfig: kubeConfigFor(standIn),
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    random: () => 0.5,
    now: () => Date.parse("2026-03-01T12:00:00Z"),
    instance: "presage-0",
    ...options,
  });
  return { standIn, actuator, sleeps };
}

function spec(object: KubeObject | undefined): Record<string, unknown> {
  return (object?.spec ?? {}) as Record<string, unknown>;
}

function patchBodies(standIn: KubeApiStandIn, path: string): Record<string, unknown>[] {
  return standIn
    .writes()
    .filter((request) => request.method === "PATCH" && request.path === path)
    .map((request) => request.body as Record<string, unknown>);
}

async function rejection(promise: Promise<unknown>): Promise<ScalerError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ScalerError) return error;
    throw error;
  }
  throw new Error("expected the call to fail");
}

describe("KubernetesActuator against the Kubernetes API stand-in", () => {
  beforeEach(async () => {
    harness = await startHarness();
    harness.standIn.seed(deploymentObject({ ...WEB, replicas: 2 }));
    harness.standIn.seed(hpaObject({ ...WEB, minReplicas: 2, maxReplicas: 20, currentReplicas: 3 }));
  });

  afterEach(async () => {
    await harness.standIn.close();
  });

  it("lists only HPAs annotated presage.io/enabled=true, across namespaces", async () => {
    const { standIn, actuator } = harness;
    standIn.seed(hpaObject({ namespace: "billing", name: "api", minReplicas: 1, maxReplicas: 5 }));
    standIn.seed(
      hpaObject({ namespace: NS, name: "legacy", minReplicas: 1, maxReplicas: 5, annotations: {} }),
    );
    const targets = await actuator.listTargets();
    expect(targets.map((target) => `${target.ref.namespace}/${target.ref.name}`).sort()).toEqual([
      "billing/api",
      "shop/web",
    ]);
    expect(
      targets.find((target) => target.ref.name === "web")?.annotations[PresageAnnotation.podCapacity],
    ).toBe("700");
    expect(standIn.requests.map((request) => request.path)).toEqual([
      "/apis/autoscaling/v2/horizontalpodautoscalers",
    ]);
  });

  it("lists per namespace when restricted to namespaces", async () => {
    const namespaced = await startHarness({ namespaces: [NS] });
    try {
      namespaced.standIn.seed(hpaObject({ ...WEB, minReplicas: 2, maxReplicas: 20 }));
      namespaced.standIn.seed(
        hpaObject({ namespace: "billing", name: "api", minReplicas: 1, maxReplicas: 5 }),
      );
      const targets = await namespaced.actuator.listTargets();
      expect(targets.map((target) => target.ref)).toEqual([WEB]);
      expect(namespaced.standIn.requests[0]?.path).toBe(
        `/apis/autoscaling/v2/namespaces/${NS}/horizontalpodautoscalers`,
      );
    } finally {
      await namespaced.standIn.close();
    }
  });

  it("reads the floor, bounds and replicas of an HPA", async () => {
    await expect(harness.actuator.readHpa(WEB)).resolves.toEqual({
      ref: WEB,
      minReplicas: 2,
      maxReplicas: 20,
      currentReplicas: 3,
      desiredReplicas: 3,
      baselineMinReplicas: 2,
      baselineRecorded: false,
      kedaOwned: false,
      scaleTarget: { kind: "Deployment", name: "web" },
    });
  });

  it("patches minReplicas with a merge patch carrying the resourceVersion read, storing the baseline, then restores it and removes the annotation", async () => {
    const { standIn, actuator } = harness;
    const before = standIn.read(HPA_PATH)!;

    await expect(actuator.setFloor(WEB, 6, RAISE)).resolves.toEqual({
      previousMinReplicas: 2,
      minReplicas: 6,
      changed: true,
    });
    const raised = standIn.read(HPA_PATH)!;
    expect(spec(raised).minReplicas).toBe(6);
    expect(raised.metadata?.annotations?.[PresageAnnotation.baselineMinReplicas]).toBe("2");
    const [patch] = standIn.writes();
    expect(patch).toMatchObject({
      method: "PATCH",
      path: HPA_PATH,
      contentType: "application/merge-patch+json",
      query: { fieldManager: "presage" },
      body: {
        metadata: {
          resourceVersion: before.metadata?.resourceVersion,
          annotations: { [PresageAnnotation.baselineMinReplicas]: "2" },
        },
        spec: { minReplicas: 6 },
      },
    });
    await expect(actuator.readHpa(WEB)).resolves.toMatchObject({
      minReplicas: 6,
      baselineMinReplicas: 2,
      baselineRecorded: true,
    });

    // A second change keeps the first baseline: the annotation is never overwritten.
    await actuator.setFloor(WEB, 9, { ...RAISE, floor: 9 });
    expect(patchBodies(standIn, HPA_PATH)[1]).toEqual({
      metadata: { resourceVersion: expect.any(String) as unknown },
      spec: { minReplicas: 9 },
    });
    expect(standIn.read(HPA_PATH)!.metadata?.annotations?.[PresageAnnotation.baselineMinReplicas]).toBe("2");

    await expect(actuator.restoreBaseline(WEB)).resolves.toEqual({
      previousMinReplicas: 9,
      minReplicas: 2,
      changed: true,
    });
    const restored = standIn.read(HPA_PATH)!;
    expect(spec(restored).minReplicas).toBe(2);
    expect(restored.metadata?.annotations).not.toHaveProperty(PresageAnnotation.baselineMinReplicas);
    expect(restored.metadata?.annotations?.[PresageAnnotation.enabled]).toBe("true");
    expect(patchBodies(standIn, HPA_PATH)[2]).toMatchObject({
      metadata: { annotations: { [PresageAnnotation.baselineMinReplicas]: null } },
      spec: { minReplicas: 2 },
    });
  });

  it("writes nothing when the floor is already in force or there is no baseline to restore", async () => {
    const { standIn, actuator } = harness;
    await expect(
      actuator.setFloor(WEB, 2, { ...RAISE, floor: 2, reason: FloorReason.hold }),
    ).resolves.toEqual({
      previousMinReplicas: 2,
      minReplicas: 2,
      changed: false,
    });
    await expect(actuator.restoreBaseline(WEB)).resolves.toEqual({
      previousMinReplicas: 2,
      minReplicas: 2,
      changed: false,
    });
    expect(standIn.writes()).toEqual([]);
  });

  it("shadow mode: reading and listing through the port writes nothing", async () => {
    const { standIn, actuator } = harness;
    // What the loop does for a shadow target: list, read, decide — and never call setFloor.
    const targets = await actuator.listTargets();
    for (const target of targets) await actuator.readHpa(target.ref);
    expect(standIn.requests.length).toBeGreaterThan(0);
    expect(standIn.writes()).toEqual([]);
    expect(spec(standIn.read(HPA_PATH)).minReplicas).toBe(2);
  });

  it("re-reads and re-applies after a 409, and the final write carries the fresh resourceVersion", async () => {
    const { standIn, actuator } = harness;
    const stale = standIn.read(HPA_PATH)!.metadata?.resourceVersion;
    let fresh: string | undefined;
    // The HPA controller updates status between presage's read and its patch.
    standIn.beforeRequest("PATCH", HPA_PATH, () => {
      fresh = standIn.mutate(HPA_PATH, (hpa) => {
        hpa.status = { currentReplicas: 4, desiredReplicas: 5 };
      }).metadata?.resourceVersion;
    });

    await expect(actuator.setFloor(WEB, 6, RAISE)).resolves.toMatchObject({ minReplicas: 6, changed: true });

    const patches = standIn.writes().filter((request) => request.method === "PATCH");
    expect(patches.map((request) => request.status)).toEqual([409, 200]);
    expect(
      patches.map(
        (request) => (request.body as { metadata: { resourceVersion: string } }).metadata.resourceVersion,
      ),
    ).toEqual([stale, fresh]);
    expect(fresh).not.toBe(stale);
    const stored = standIn.read(HPA_PATH)!;
    expect(spec(stored).minReplicas).toBe(6);
    expect(stored.status).toEqual({ currentReplicas: 4, desiredReplicas: 5 });
    expect(harness.sleeps).toHaveLength(1);
  });

  it("does not overwrite a baseline another writer changed meanwhile: the retry recomputes from the fresh object", async () => {
    const { standIn, actuator } = harness;
    // The owner raises minReplicas to 4 between presage's read and its patch.
    standIn.beforeRequest("PATCH", HPA_PATH, () => {
      standIn.mutate(HPA_PATH, (hpa) => {
        (hpa.spec as Record<string, unknown>).minReplicas = 4;
      });
    });
    await expect(actuator.setFloor(WEB, 6, RAISE)).resolves.toEqual({
      previousMinReplicas: 4,
      minReplicas: 6,
      changed: true,
    });
    expect(standIn.read(HPA_PATH)!.metadata?.annotations?.[PresageAnnotation.baselineMinReplicas]).toBe("4");
  });

  it("waits what Retry-After asks on 429, then succeeds", async () => {
    const { standIn, actuator, sleeps } = harness;
    standIn.injectFault({ method: "PATCH", path: HPA_PATH, status: 429, retryAfterSeconds: 3, times: 2 });
    await expect(actuator.setFloor(WEB, 6, RAISE)).resolves.toMatchObject({ changed: true });
    expect(sleeps).toEqual([3000, 3000]);
    expect(standIn.writes().map((request) => request.status)).toEqual([429, 429, 200]);
    expect(spec(standIn.read(HPA_PATH)).minReplicas).toBe(6);
  });

  it("backs off on 5xx and reports unavailable when the server keeps failing", async () => {
    const { standIn, actuator, sleeps } = harness;
    standIn.injectFault({ method: "GET", path: HPA_PATH, status: 500, times: 10 });
    const error = await rejection(actuator.readHpa(WEB));
    expect(error.code).toBe(ScalerErrorCode.unavailable);
    expect(error.message).toContain("after 5 attempts");
    expect(error.message).toContain("etcdserver: request timed out");
    // 200 ms doubling, equal jitter at random() = 0.5: 75 % of each step.
    expect(sleeps).toEqual([150, 300, 600, 1200]);
    expect(standIn.requests).toHaveLength(5);
  });

  it("retries when the API server does not answer, then reports it unavailable", async () => {
    const { standIn, sleeps } = harness;
    const config = kubeConfigFor(standIn);
    config.clusters = [
      { name: "stand-in", server: `http://127.0.0.1:${await freePort()}`, skipTLSVerify: true },
    ];
    const unreachable = new KubernetesActuator({
      kubeConfig: config,
      sleep: (ms) => {
        sleeps.push(ms);
        return Promise.resolve();
      },
      retry: { attempts: 3 },
    });
    const error = await rejection(unreachable.readHpa(WEB));
    expect(error.code).toBe(ScalerErrorCode.unavailable);
    expect(error.message).toMatch(/got no answer \(after 3 attempts\): fetch failed \(.*ECONNREFUSED/);
    expect(sleeps).toHaveLength(2);
  });

  it("reports 403 clearly — verb, resource, namespace and RBAC — and does not retry", async () => {
    const { standIn, actuator, sleeps } = harness;
    standIn.injectFault({ method: "PATCH", path: HPA_PATH, status: 403, times: 5 });
    const error = await rejection(actuator.setFloor(WEB, 6, RAISE));
    expect(error.code).toBe(ScalerErrorCode.forbidden);
    expect(error.message).toContain(
      'presage may not patch horizontalpodautoscalers.autoscaling "web" in namespace "shop"',
    );
    expect(error.message).toContain(
      'RBAC must grant verb "patch" on resource "horizontalpodautoscalers" in API group "autoscaling"',
    );
    expect(error.message).toContain("deploy/rbac.yaml");
    expect(error.message).toContain('User "system:serviceaccount:presage:presage" cannot patch resource');
    expect(sleeps).toEqual([]);
    expect(standIn.writes()).toHaveLength(1);
    expect(spec(standIn.read(HPA_PATH)).minReplicas).toBe(2);
  });

  it("reports a missing HPA as hpaNotFound without retrying", async () => {
    const { standIn, actuator } = harness;
    const error = await rejection(actuator.readHpa({ namespace: NS, name: "gone" }));
    expect(error.code).toBe(ScalerErrorCode.hpaNotFound);
    expect(error.message).toContain('horizontalpodautoscalers.autoscaling "gone" not found');
    expect(standIn.requests).toHaveLength(1);
  });

  it("reports the API server's 422 (a floor above maxReplicas) as invalidPatch without retrying", async () => {
    const { standIn, actuator, sleeps } = harness;
    const error = await rejection(actuator.setFloor(WEB, 25, { ...RAISE, floor: 25 }));
    expect(error.code).toBe(ScalerErrorCode.invalidPatch);
    expect(error.message).toContain("422 Invalid");
    expect(error.message).toContain('HorizontalPodAutoscaler.autoscaling "web" is invalid');
    expect(sleeps).toEqual([]);
    expect(standIn.writes().map((request) => request.status)).toEqual([422]);
    expect(spec(standIn.read(HPA_PATH)).minReplicas).toBe(2);
  });

  it("refuses to set a floor below the declared baseline", async () => {
    const { standIn, actuator } = harness;
    await actuator.setFloor(WEB, 6, RAISE);
    const error = await rejection(
      actuator.setFloor(WEB, 1, { ...RAISE, floor: 1, reason: FloorReason.lower }),
    );
    expect(error.code).toBe(ScalerErrorCode.invalidPatch);
    expect(error.message).toContain("below the declared baseline 2");
    expect(standIn.writes()).toHaveLength(1);
  });

  it("emits a core/v1 Event on the HPA", async () => {
    const { standIn, actuator } = harness;
    await actuator.emitEvent(WEB, {
      type: "Normal",
      reason: "FloorRaised",
      message: "minReplicas 2 → 6: forecast asks 6",
    });
    const [post] = standIn.writes();
    expect(post).toMatchObject({ method: "POST", path: kubePaths.events(NS), status: 201 });
    const hpa = standIn.read(HPA_PATH)!;
    expect(post?.body).toMatchObject({
      metadata: { namespace: NS, name: expect.stringMatching(/^web\.[0-9a-f]+$/) as unknown },
      involvedObject: {
        apiVersion: "autoscaling/v2",
        kind: "HorizontalPodAutoscaler",
        name: "web",
        namespace: NS,
        uid: hpa.metadata?.uid,
      },
      type: "Normal",
      reason: "FloorRaised",
      message: "minReplicas 2 → 6: forecast asks 6",
      source: { component: "presage" },
      reportingComponent: "presage",
      reportingInstance: "presage-0",
      count: 1,
      firstTimestamp: "2026-03-01T12:00:00.000Z",
    });
  });
});

describe("KubernetesActuator on an HPA owned by a KEDA ScaledObject", () => {
  const KEDA_HPA = { namespace: NS, name: "keda-hpa-worker" };
  const KEDA_HPA_PATH = kubePaths.hpa(NS, "keda-hpa-worker");
  const SO_PATH = kubePaths.scaledObject(NS, "worker");

  beforeEach(async () => {
    harness = await startHarness();
    harness.standIn.seed(
      scaledObjectObject({ namespace: NS, name: "worker", minReplicaCount: 2, maxReplicaCount: 30 }),
    );
    harness.standIn.seed(
      hpaObject({ ...KEDA_HPA, minReplicas: 2, maxReplicas: 30, ownedByScaledObject: "worker" }),
    );
    harness.standIn.clearRequests();
  });

  afterEach(async () => {
    await harness.standIn.close();
  });

  it("reads the floor from the ScaledObject", async () => {
    await expect(harness.actuator.readHpa(KEDA_HPA)).resolves.toMatchObject({
      minReplicas: 2,
      maxReplicas: 30,
      baselineMinReplicas: 2,
      baselineRecorded: false,
      kedaOwned: true,
    });
  });

  it("patches the ScaledObject's minReplicaCount and never writes the HPA, then restores", async () => {
    const { standIn, actuator } = harness;
    await expect(actuator.setFloor(KEDA_HPA, 7, RAISE)).resolves.toEqual({
      previousMinReplicas: 2,
      minReplicas: 7,
      changed: true,
    });
    const scaledObject = standIn.read(SO_PATH)!;
    expect(spec(scaledObject).minReplicaCount).toBe(7);
    expect(scaledObject.metadata?.annotations?.[PresageAnnotation.baselineMinReplicas]).toBe("2");
    // KEDA (simulated by the stand-in) carried it to its HPA.
    expect(spec(standIn.read(KEDA_HPA_PATH)).minReplicas).toBe(7);
    expect(
      standIn.writes().map((request) => `${request.method} ${request.path} ${request.contentType}`),
    ).toEqual([`PATCH ${SO_PATH} application/merge-patch+json`]);
    expect(standIn.writes()[0]?.body).toMatchObject({
      metadata: { resourceVersion: expect.any(String) as unknown },
      spec: { minReplicaCount: 7 },
    });

    await expect(actuator.restoreBaseline(KEDA_HPA)).resolves.toMatchObject({
      minReplicas: 2,
      changed: true,
    });
    const restored = standIn.read(SO_PATH)!;
    expect(spec(restored).minReplicaCount).toBe(2);
    expect(restored.metadata?.annotations ?? {}).not.toHaveProperty(PresageAnnotation.baselineMinReplicas);
    expect(standIn.writes().every((request) => request.path === SO_PATH)).toBe(true);
  });

  it("names the ScaledObject and RBAC when KEDA's resource is forbidden", async () => {
    const { standIn, actuator } = harness;
    standIn.injectFault({ method: "PATCH", path: SO_PATH, status: 403 });
    const error = await rejection(actuator.setFloor(KEDA_HPA, 7, RAISE));
    expect(error.code).toBe(ScalerErrorCode.forbidden);
    expect(error.message).toContain(
      'presage may not patch scaledobjects.keda.sh "worker" in namespace "shop"',
    );
    expect(error.message).toContain('in API group "keda.sh"');
  });
});

describe("the Kubernetes API stand-in itself", () => {
  let standIn: KubeApiStandIn;

  beforeEach(async () => {
    standIn = await startKubeApiStandIn();
  });

  afterEach(async () => {
    await standIn.close();
  });

  it("answers unknown paths and stale writes with real Status bodies", async () => {
    standIn.seed(hpaObject({ ...WEB, minReplicas: 2, maxReplicas: 20 }));
    const missing = await fetch(
      `${standIn.url}/apis/autoscaling/v2/namespaces/${NS}/horizontalpodautoscalers/nope`,
    );
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: 'horizontalpodautoscalers.autoscaling "nope" not found',
      reason: "NotFound",
      details: { name: "nope", group: "autoscaling", kind: "horizontalpodautoscalers" },
      code: 404,
    });
    const stale = await fetch(`${standIn.url}${HPA_PATH}`, {
      method: "PATCH",
      headers: { "content-type": "application/merge-patch+json" },
      body: JSON.stringify({ metadata: { resourceVersion: "1" }, spec: { minReplicas: 3 } }),
    });
    expect(stale.status).toBe(409);
    expect(await stale.json()).toMatchObject({ reason: "Conflict", code: 409 });
    const unsupported = await fetch(`${standIn.url}${HPA_PATH}`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(unsupported.status).toBe(415);
  });

  it("serves Deployments and Pods, listing by namespace or across namespaces with a label selector", async () => {
    standIn.seed(deploymentObject({ ...WEB, replicas: 2 }));
    for (const [namespace, name, app] of [
      [NS, "web-1", "web"],
      [NS, "web-2", "web"],
      [NS, "db-1", "db"],
      ["billing", "web-3", "web"],
    ] as const) {
      standIn.seed({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { namespace, name, labels: { app } },
        spec: { containers: [{ name: "app", image: "registry.example/app:1" }] },
      });
    }
    const names = async (path: string): Promise<string[]> => {
      const list = (await (await fetch(`${standIn.url}${path}`)).json()) as {
        kind: string;
        items: { metadata: { name: string } }[];
      };
      expect(list.kind).toBe("PodList");
      return list.items.map((item) => item.metadata.name).sort();
    };
    expect(await names(`${collectionPath("v1", "pods", NS)}?labelSelector=app%3Dweb`)).toEqual([
      "web-1",
      "web-2",
    ]);
    expect(await names(`${collectionPath("v1", "pods")}?labelSelector=app%3Dweb`)).toEqual([
      "web-1",
      "web-2",
      "web-3",
    ]);
    expect(await names(`${collectionPath("v1", "pods", NS)}?labelSelector=app!%3Dweb`)).toEqual(["db-1"]);
    const deployment = await fetch(`${standIn.url}${kubePaths.deployment(NS, "web")}`);
    expect(((await deployment.json()) as { spec: { replicas: number } }).spec.replicas).toBe(2);
  });

  it("applies JSON patches and rejects an invalid result with 422", async () => {
    standIn.seed(hpaObject({ ...WEB, minReplicas: 2, maxReplicas: 20 }));
    const patched = await fetch(`${standIn.url}${HPA_PATH}`, {
      method: "PATCH",
      headers: { "content-type": "application/json-patch+json" },
      body: JSON.stringify([
        { op: "test", path: "/spec/minReplicas", value: 2 },
        { op: "replace", path: "/spec/minReplicas", value: 5 },
      ]),
    });
    expect(patched.status).toBe(200);
    expect(((await patched.json()) as { spec: { minReplicas: number } }).spec.minReplicas).toBe(5);
    const invalid = await fetch(`${standIn.url}${HPA_PATH}`, {
      method: "PATCH",
      headers: { "content-type": "application/merge-patch+json" },
      body: JSON.stringify({ spec: { minReplicas: 0 } }),
    });
    expect(invalid.status).toBe(422);
    expect(await invalid.json()).toMatchObject({
      reason: "Invalid",
      details: { causes: [{ field: "spec.minReplicas" }] },
    });
  });
});
