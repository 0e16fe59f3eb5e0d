import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AppliedAction } from "../../src/remediation/execution/action-runner.js";
import {
  KubernetesActions,
  RESTARTED_AT_ANNOTATION,
  REVISION_ANNOTATION,
} from "../../src/remediation/kubernetes/kubernetes-actions.js";
import { RemediationError, RemediationErrorCode } from "../../src/remediation/remediation-error.js";
import type { RemediationAction } from "../../src/remediation/runbooks/remediation-action.js";
import {
  kubePaths,
  startKubeApiStandIn,
  type KubeApiStandIn,
  type KubeObject,
} from "../support/kube-api-stand-in.js";
import { deploymentObject, kubeConfigFor } from "../support/kube-fixtures.js";

const NS = "shop";
const NOW = Date.parse("2026-11-28T02:00:00Z");
let standIn: KubeApiStandIn;
let actions: KubernetesActions;
let rolloutReady = true;

beforeEach(async () => {
  rolloutReady = true;
  standIn = await startKubeApiStandIn({ simulateDeployments: { rolloutReady: () => rolloutReady } });
  actions = new KubernetesActions({
    kubeConfig: kubeConfigFor(standIn),
    now: () => NOW,
    sleep: () => Promise.resolve(),
  });
  standIn.seed(deploymentObject({ namespace: NS, name: "web", replicas: 8 }));
});

afterEach(async () => {
  await standIn.close();
});

const deployment = (): KubeObject => standIn.read(kubePaths.deployment(NS, "web"))!;
const template = (object: KubeObject) =>
  (
    object.spec as {
      template: {
        metadata?: { annotations?: Record<string, string> };
        spec: { containers: { image: string }[] };
      };
    }
  ).template;

async function run(action: RemediationAction): Promise<AppliedAction> {
  return actions.apply(await actions.prepare(action));
}

async function failure(promise: Promise<unknown>): Promise<RemediationError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(RemediationError);
  return error as RemediationError;
}

describe("remediation actions against the Kubernetes API stand-in", () => {
  it("rolling restart sets the restartedAt pod-template annotation (a new rollout); undo restores the previous value", async () => {
    const before = deployment();
    const applied = await run({ kind: "restart-deployment", params: { namespace: NS, deployment: "web" } });
    expect(applied.prepared.disruption).toEqual({ workload: "deployment/shop/web", replicas: 8, pods: 2 });
    expect(template(deployment()).metadata?.annotations?.[RESTARTED_AT_ANNOTATION]).toBe(
      "2026-11-28T02:00:00.000Z",
    );
    expect(Number(deployment().metadata?.annotations?.[REVISION_ANNOTATION])).toBe(
      Number(before.metadata?.annotations?.[REVISION_ANNOTATION]) + 1,
    );
    const patch = standIn.writes().find((request) => request.method === "PATCH");
    expect(patch?.contentType).toBe("application/merge-patch+json");
    expect((patch?.body as { metadata: { resourceVersion: string } }).metadata.resourceVersion).toBe(
      before.metadata?.resourceVersion,
    );
    await expect(actions.undo(applied)).resolves.toMatch(/restored .* to \(none\)/);
    expect(template(deployment()).metadata?.annotations?.[RESTARTED_AT_ANNOTATION]).toBeUndefined();
    await expect(actions.rolloutStatus(NS, "web")).resolves.toMatchObject({ healthy: true });
  });

  it("retries a write that conflicts with another writer, re-reading first", async () => {
    standIn.injectFault({ method: "PATCH", path: kubePaths.deployment(NS, "web"), status: 409 });
    await run({ kind: "restart-deployment", params: { namespace: NS, deployment: "web" } });
    const patches = standIn.writes().filter((request) => request.method === "PATCH");
    expect(patches.map((request) => request.status)).toEqual([409, 200]);
  });

  it("rolls back to the previous ReplicaSet's template, like kubectl rollout undo; undo puts the newer template back", async () => {
    standIn.mutate(kubePaths.deployment(NS, "web"), (object) => {
      template(object).spec.containers[0]!.image = "registry.example/app:2-bad";
    });
    expect(deployment().metadata?.annotations?.[REVISION_ANNOTATION]).toBe("2");
    const applied = await run({ kind: "rollback-deployment", params: { namespace: NS, deployment: "web" } });
    expect(applied.detail).toMatch(/from revision 2 to the template of revision 1/);
    expect(template(deployment()).spec.containers[0]?.image).toBe("registry.example/app:1");
    // The old ReplicaSet is current again under a new revision, as with the real controller.
    expect(deployment().metadata?.annotations?.[REVISION_ANNOTATION]).toBe("3");
    const patch = standIn.writes().find((request) => request.method === "PATCH");
    expect(patch?.contentType).toBe("application/json-patch+json");
    expect((patch?.body as { op: string }[]).map((operation) => operation.op)).toEqual(["test", "replace"]);
    await actions.undo(applied);
    expect(template(deployment()).spec.containers[0]?.image).toBe("registry.example/app:2-bad");
  });

  it("does not undo a roll back or a scale once the Deployment changed since (a deploy, the HPA)", async () => {
    standIn.mutate(kubePaths.deployment(NS, "web"), (object) => {
      template(object).spec.containers[0]!.image = "registry.example/app:2-bad";
    });
    const rolledBack = await run({
      kind: "rollback-deployment",
      params: { namespace: NS, deployment: "web" },
    });
    standIn.mutate(kubePaths.deployment(NS, "web"), (object) => {
      template(object).spec.containers[0]!.image = "registry.example/app:3-fixed";
    });
    const notRestored = await failure(actions.undo(rolledBack));
    expect(notRestored.code).toBe(RemediationErrorCode.actionFailed);
    expect(notRestored.message).toMatch(/pod template changed since the roll back; not undone/);
    expect(template(deployment()).spec.containers[0]?.image).toBe("registry.example/app:3-fixed");

    const scaled = await run({
      kind: "scale-deployment",
      params: { namespace: NS, deployment: "web", by: 2, min: 1, max: 20 },
    });
    standIn.mutate(kubePaths.deployment(NS, "web"), (object) => {
      (object.spec as { replicas: number }).replicas = 15;
    });
    const notScaledBack = await failure(actions.undo(scaled));
    expect(notScaledBack.message).toMatch(/has 15 replicas, not the 10 the step set; not scaled back/);
    expect((deployment().spec as { replicas: number }).replicas).toBe(15);
  });

  it("refuses to roll back a Deployment with no earlier revision", async () => {
    const error = await failure(
      actions.prepare({ kind: "rollback-deployment", params: { namespace: NS, deployment: "web" } }),
    );
    expect(error.code).toBe(RemediationErrorCode.nothingToDo);
    expect(error.message).toMatch(/no revision before 1/);
  });

  it("scales by N within bounds, taking no pod down when scaling out; undo scales back", async () => {
    const applied = await run({
      kind: "scale-deployment",
      params: { namespace: NS, deployment: "web", by: 5, min: 1, max: 10 },
    });
    expect(applied.prepared.disruption?.pods).toBe(0);
    expect((deployment().spec as { replicas: number }).replicas).toBe(10);
    const atBound = await failure(
      actions.prepare({
        kind: "scale-deployment",
        params: { namespace: NS, deployment: "web", by: 1, min: 1, max: 10 },
      }),
    );
    expect(atBound.code).toBe(RemediationErrorCode.nothingToDo);
    await actions.undo(applied);
    expect((deployment().spec as { replicas: number }).replicas).toBe(8);
    const down = await actions.prepare({
      kind: "scale-deployment",
      params: { namespace: NS, deployment: "web", by: -3, min: 1, max: 10 },
    });
    expect(down.disruption?.pods).toBe(3);
  });

  it("deletes a pod, accounting it to its Deployment for the blast radius; a deleted pod cannot be undone", async () => {
    const list = (await fetch(`${standIn.url}/apis/apps/v1/namespaces/${NS}/replicasets`).then((response) =>
      response.json(),
    )) as { items: KubeObject[] };
    const owner = list.items[0]!;
    standIn.seed({
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: "web-abc-1",
        namespace: NS,
        ownerReferences: [
          {
            apiVersion: "apps/v1",
            kind: "ReplicaSet",
            name: owner.metadata!.name!,
            uid: owner.metadata!.uid!,
            controller: true,
          },
        ],
      },
      spec: { nodeName: "n1", containers: [{ name: "app", image: "x" }] },
    });
    const applied = await run({ kind: "delete-pod", params: { namespace: NS, pod: "web-abc-1" } });
    expect(applied.prepared.disruption).toEqual({ workload: "deployment/shop/web", replicas: 8, pods: 1 });
    expect(standIn.read(kubePaths.pod(NS, "web-abc-1"))).toBeUndefined();
    expect((await failure(actions.undo(applied))).message).toMatch(/cannot be restored/);
    expect(
      (await failure(actions.prepare({ kind: "delete-pod", params: { namespace: NS, pod: "gone" } })))
        .message,
    ).toMatch(/pods "gone" not found/);
  });

  it("cordons a node (cluster-scoped) and uncordons it on undo", async () => {
    standIn.seed({ apiVersion: "v1", kind: "Node", metadata: { name: "n1" }, spec: {} });
    const applied = await run({ kind: "cordon-node", params: { node: "n1" } });
    expect((standIn.read(kubePaths.node("n1"))?.spec as { unschedulable?: boolean }).unschedulable).toBe(
      true,
    );
    expect((await failure(actions.prepare({ kind: "cordon-node", params: { node: "n1" } }))).code).toBe(
      RemediationErrorCode.nothingToDo,
    );
    expect(
      standIn.read(kubePaths.node("n1"))?.metadata?.annotations?.["presage.io/cordoned-at"],
    ).toBeDefined();
    await actions.undo(applied);
    expect(
      (standIn.read(kubePaths.node("n1"))?.spec as { unschedulable?: boolean }).unschedulable,
    ).toBeUndefined();
    expect(
      standIn.read(kubePaths.node("n1"))?.metadata?.annotations?.["presage.io/cordoned-at"],
    ).toBeUndefined();
  });

  it("leaves a node alone on undo when it was uncordoned since, or cordoned again by a later step", async () => {
    standIn.seed({ apiVersion: "v1", kind: "Node", metadata: { name: "n2" }, spec: {} });
    const first = await run({ kind: "cordon-node", params: { node: "n2" } });
    // A human uncordons it (kubectl uncordon keeps annotations).
    standIn.mutate(kubePaths.node("n2"), (node) => {
      node.spec = {};
    });
    expect((await failure(actions.undo(first))).message).toMatch(/node n2 was uncordoned since; not undone/);
    // A later step cordons it again: the first step's undo must not lift the second one's cordon.
    const second = await run({ kind: "cordon-node", params: { node: "n2" } });
    const stale = { ...first, undoData: { mark: "2020-01-01T00:00:00.000Z" } };
    expect((await failure(actions.undo(stale))).message).toMatch(/no longer by this step/);
    expect((standIn.read(kubePaths.node("n2"))?.spec as { unschedulable?: boolean }).unschedulable).toBe(
      true,
    );
    await actions.undo(second);
    expect(
      (standIn.read(kubePaths.node("n2"))?.spec as { unschedulable?: boolean }).unschedulable,
    ).toBeUndefined();
  });

  it("creates a Job from a template and deletes it on undo", async () => {
    const applied = await run({
      kind: "create-job",
      params: {
        namespace: "presage",
        job: {
          metadata: { generateName: "clean-" },
          spec: {
            template: {
              spec: { restartPolicy: "Never", nodeName: "n1", containers: [{ name: "c", image: "busybox" }] },
            },
          },
        },
      },
    });
    const name = (applied.undoData as { name: string }).name;
    expect(name).toMatch(/^clean-/);
    expect(standIn.read(kubePaths.job("presage", name))?.spec).toMatchObject({
      template: { spec: { nodeName: "n1" } },
    });
    await actions.undo(applied);
    expect(standIn.read(kubePaths.job("presage", name))).toBeUndefined();
  });

  it("judges rollout status like kubectl rollout status", async () => {
    rolloutReady = false;
    await run({ kind: "restart-deployment", params: { namespace: NS, deployment: "web" } });
    await expect(actions.rolloutStatus(NS, "web")).resolves.toEqual({
      healthy: false,
      detail: "0 of 8 replicas updated",
    });
  });

  it("turns a refused request into an actionFailed error naming the action and the RBAC verb", async () => {
    standIn.injectFault({ method: "PATCH", path: kubePaths.deployment(NS, "web"), status: 403 });
    const error = await failure(
      run({ kind: "restart-deployment", params: { namespace: NS, deployment: "web" } }),
    );
    expect(error.code).toBe(RemediationErrorCode.actionFailed);
    expect(error.message).toMatch(
      /could not apply "rollout restart deployment\/web -n shop": presage may not patch/,
    );
  });
});
