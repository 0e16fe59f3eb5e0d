import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ActionRunner } from "../../src/remediation/execution/action-runner.js";
import { KubernetesActions } from "../../src/remediation/kubernetes/kubernetes-actions.js";
import { ScalerFloorActions } from "../../src/remediation/kubernetes/scaler-floor-actions.js";
import { RemediationError, RemediationErrorCode } from "../../src/remediation/remediation-error.js";
import type { RemediationAction } from "../../src/remediation/runbooks/remediation-action.js";
import { KubernetesActuator } from "../../src/scaler/kubernetes/kubernetes-actuator.js";
import {
  collectionPath,
  kubePaths,
  requestAttributes,
  startKubeApiStandIn,
  type KubeApiStandIn,
} from "../support/kube-api-stand-in.js";
import { deploymentObject, hpaObject, kubeConfigFor, scaledObjectObject } from "../support/kube-fixtures.js";
import { grantedRules, rbacAllows, type GrantedRule } from "../support/kube-rbac.js";

const RBAC_YAML = readFileSync(resolve(import.meta.dirname, "../../deploy/rbac.yaml"), "utf8");
const REMEDIATION = { namespace: "presage", name: "presage-remediation" };
const NS = "shop";

let standIn: KubeApiStandIn | undefined;

afterEach(async () => {
  await standIn?.close();
  standIn = undefined;
});

/** The stand-in enforcing `rules`, with what every remediation action touches. */
async function cluster(rules: readonly GrantedRule[]): Promise<KubeApiStandIn> {
  const server = await startKubeApiStandIn({
    authorize: (request) => rbacAllows(rules, request),
    user: "system:serviceaccount:presage:presage-remediation",
    simulateDeployments: true,
  });
  server.seed(deploymentObject({ namespace: NS, name: "web", replicas: 8 }));
  // A second revision, so there is one to roll back to.
  server.mutate(kubePaths.deployment(NS, "web"), (object) => {
    (
      object.spec as { template: { spec: { containers: { image: string }[] } } }
    ).template.spec.containers[0]!.image = "registry.example/app:2";
  });
  const owner = server.list(collectionPath("apps/v1", "replicasets", NS))[0]!;
  server.seed({
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
  server.seed({ apiVersion: "v1", kind: "Node", metadata: { name: "n1" }, spec: {} });
  server.seed(hpaObject({ namespace: NS, name: "web", minReplicas: 2, maxReplicas: 20 }));
  server.seed(scaledObjectObject({ namespace: NS, name: "worker", minReplicaCount: 1, maxReplicaCount: 10 }));
  server.seed(
    hpaObject({
      namespace: NS,
      name: "keda-hpa-worker",
      minReplicas: 1,
      maxReplicas: 10,
      ownedByScaledObject: "worker",
    }),
  );
  return server;
}

function runners(server: KubeApiStandIn): { kube: KubernetesActions; floor: ScalerFloorActions } {
  const kubeConfig = kubeConfigFor(server);
  const sleep = (): Promise<void> => Promise.resolve();
  return {
    kube: new KubernetesActions({ kubeConfig, sleep }),
    floor: new ScalerFloorActions(new KubernetesActuator({ kubeConfig, sleep })),
  };
}

/** Prepare, apply and (when it can be) undo, as the engine does. */
async function runAndUndo(runner: ActionRunner, action: RemediationAction): Promise<void> {
  const applied = await runner.apply(await runner.prepare(action));
  if (applied.prepared.undoable) await runner.undo(applied);
}

const CLEAN_UP_JOB = {
  metadata: { generateName: "presage-node-clean-" },
  spec: {
    template: {
      spec: { restartPolicy: "Never", nodeName: "n1", containers: [{ name: "clean", image: "busybox" }] },
    },
  },
};

async function failure(promise: Promise<unknown>): Promise<RemediationError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(RemediationError);
  return error as RemediationError;
}

describe("deploy/rbac.yaml for remediation (ServiceAccount presage-remediation)", () => {
  const rules = grantedRules(RBAC_YAML, REMEDIATION);

  it("allows every action of every runbook (and its undo) with the API server enforcing it, and grants nothing unused", async () => {
    standIn = await cluster(rules);
    const { kube, floor } = runners(standIn);
    await runAndUndo(kube, { kind: "restart-deployment", params: { namespace: NS, deployment: "web" } });
    await runAndUndo(kube, { kind: "rollback-deployment", params: { namespace: NS, deployment: "web" } });
    await runAndUndo(kube, {
      kind: "scale-deployment",
      params: { namespace: NS, deployment: "web", by: 2, min: 1, max: 20 },
    });
    await expect(kube.rolloutStatus(NS, "web")).resolves.toMatchObject({ healthy: true });
    await runAndUndo(kube, { kind: "delete-pod", params: { namespace: NS, pod: "web-abc-1" } });
    await runAndUndo(kube, { kind: "cordon-node", params: { node: "n1" } });
    await runAndUndo(kube, { kind: "create-job", params: { namespace: "presage", job: CLEAN_UP_JOB } });
    await runAndUndo(floor, {
      kind: "raise-scaler-floor",
      params: { namespace: NS, hpa: "web", by: 2, max: 10 },
    });
    await runAndUndo(floor, {
      kind: "raise-scaler-floor",
      params: { namespace: NS, hpa: "keda-hpa-worker", by: 2, max: 10 },
    });

    expect(standIn.requests.filter((request) => request.status === 403)).toEqual([]);
    const used = new Set(
      standIn.requests.map((request) => {
        const attributes = requestAttributes(request);
        return attributes === undefined
          ? request.path
          : `${attributes.verb} ${attributes.group === "" ? "" : `${attributes.group}/`}${attributes.resource}`;
      }),
    );
    expect([...used].sort()).toEqual([
      "create batch/jobs",
      "create events",
      "delete batch/jobs",
      "delete pods",
      "get apps/deployments",
      "get apps/replicasets",
      "get autoscaling/horizontalpodautoscalers",
      "get keda.sh/scaledobjects",
      "get nodes",
      "get pods",
      "list apps/replicasets",
      "patch apps/deployments",
      "patch autoscaling/horizontalpodautoscalers",
      "patch keda.sh/scaledobjects",
      "patch nodes",
    ]);
    // Least privilege: every granted (group, resource, verb) was needed just now.
    const granted = rules.flatMap((rule) =>
      (rule.apiGroups ?? []).flatMap((group) =>
        (rule.resources ?? []).flatMap((resource) =>
          (rule.verbs ?? []).map((verb) => `${verb} ${group === "" ? "" : `${group}/`}${resource}`),
        ),
      ),
    );
    expect([...new Set(granted)].sort()).toEqual([...used].sort());
  });

  it("grants no wildcards, no update, no list of pods, and Jobs only in presage's own namespace", () => {
    for (const rule of rules) {
      for (const field of [rule.apiGroups, rule.resources, rule.verbs])
        expect(field, rule.from).not.toContain("*");
      expect(rule.verbs, rule.from).not.toContain("update");
      expect(rule.verbs, rule.from).not.toContain("deletecollection");
      if (rule.resources?.includes("jobs")) expect(rule.namespace, rule.from).toBe("presage");
      if (rule.resources?.includes("pods")) expect(rule.verbs, rule.from).not.toContain("list");
    }
  });

  it("reports a Job outside presage's namespace as a clear 403 naming verb, resource and namespace, and creates nothing", async () => {
    standIn = await cluster(rules);
    const { kube } = runners(standIn);
    const error = await failure(
      kube.apply(await kube.prepare({ kind: "create-job", params: { namespace: NS, job: CLEAN_UP_JOB } })),
    );
    expect(error.code).toBe(RemediationErrorCode.actionFailed);
    expect(error.message).toContain('presage may not create jobs.batch in namespace "shop"');
    expect(standIn.writes().map((request) => request.status)).toEqual([403]);
  });

  it("without the nodes ClusterRole, cordon-node fails before any write with a clear RBAC error", async () => {
    const withoutNodes = rules.filter((rule) => !rule.resources?.includes("nodes"));
    standIn = await cluster(withoutNodes);
    const { kube } = runners(standIn);
    const error = await failure(kube.prepare({ kind: "cordon-node", params: { node: "n1" } }));
    expect(error.message).toContain('presage may not get nodes "n1"');
    expect(standIn.writes()).toEqual([]);
  });

  it("the scaler's ServiceAccount cannot remediate: a restart under it is refused", async () => {
    standIn = await cluster(grantedRules(RBAC_YAML, { namespace: "presage", name: "presage" }));
    const { kube } = runners(standIn);
    const error = await failure(
      kube.apply(
        await kube.prepare({ kind: "restart-deployment", params: { namespace: NS, deployment: "web" } }),
      ),
    );
    expect(error.message).toContain('presage may not patch deployments.apps "web" in namespace "shop"');
  });
});
