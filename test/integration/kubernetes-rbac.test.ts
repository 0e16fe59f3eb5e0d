import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FloorReason } from "../../src/scaler/floor-decision.js";
import { KubernetesActuator } from "../../src/scaler/kubernetes/kubernetes-actuator.js";
import { LeaseElector } from "../../src/scaler/kubernetes/lease-elector.js";
import { ScalerError, ScalerErrorCode } from "../../src/scaler/scaler-error.js";
import { requestAttributes, startKubeApiStandIn, type KubeApiStandIn } from "../support/kube-api-stand-in.js";
import { hpaObject, kubeConfigFor, scaledObjectObject } from "../support/kube-fixtures.js";
import { grantedRules, rbacAllows, type GrantedRule } from "../support/kube-rbac.js";

const RBAC_YAML = readFileSync(resolve(import.meta.dirname, "../../deploy/rbac.yaml"), "utf8");
const SERVICE_ACCOUNT = { namespace: "presage", name: "presage" };
const DECISION = { floor: 5, reason: FloorReason.raise, detail: "test" };

let standIn: KubeApiStandIn | undefined;

afterEach(async () => {
  await standIn?.close();
  standIn = undefined;
});

/** Everything presage does against a cluster: the actuator's verbs and a leader's lifetime. */
async function exercisePresage(server: KubeApiStandIn): Promise<void> {
  server.seed(hpaObject({ namespace: "shop", name: "web", minReplicas: 2, maxReplicas: 20 }));
  server.seed(
    scaledObjectObject({ namespace: "shop", name: "worker", minReplicaCount: 1, maxReplicaCount: 10 }),
  );
  server.seed(
    hpaObject({
      namespace: "shop",
      name: "keda-hpa-worker",
      minReplicas: 1,
      maxReplicas: 10,
      ownedByScaledObject: "worker",
    }),
  );
  const actuator = new KubernetesActuator({
    kubeConfig: kubeConfigFor(server),
    sleep: () => Promise.resolve(),
  });
  const elector = new LeaseElector({
    kubeConfig: kubeConfigFor(server),
    namespace: "presage",
    identity: "presage-0",
  });
  await elector.tryAcquireOrRenew();
  await elector.tryAcquireOrRenew();
  for (const target of await actuator.listTargets()) {
    await actuator.readHpa(target.ref);
    await actuator.setFloor(target.ref, 5, DECISION);
    await actuator.emitEvent(target.ref, { type: "Normal", reason: "FloorRaised", message: "raised to 5" });
    await actuator.restoreBaseline(target.ref);
  }
  await elector.stop();
}

describe("deploy/rbac.yaml", () => {
  const rules = grantedRules(RBAC_YAML, SERVICE_ACCOUNT);

  it("allows every request presage makes, with the API server enforcing it", async () => {
    standIn = await startKubeApiStandIn({ authorize: (request) => rbacAllows(rules, request) });
    await exercisePresage(standIn);
    const refused = standIn.requests.filter((request) => request.status === 403);
    expect(refused).toEqual([]);
    const used = new Set(
      standIn.requests.map((request) => {
        const attributes = requestAttributes(request);
        return attributes === undefined ? request.path : `${attributes.verb} ${attributes.resource}`;
      }),
    );
    expect([...used].sort()).toEqual([
      "create events",
      "create leases",
      "get horizontalpodautoscalers",
      "get leases",
      "get scaledobjects",
      "list horizontalpodautoscalers",
      "patch horizontalpodautoscalers",
      "patch scaledobjects",
      "update leases",
    ]);
  });

  it("grants nothing presage does not need: no wildcards, no delete, no update outside its Lease", () => {
    for (const rule of rules) {
      expect(rule.apiGroups, rule.from).not.toContain("*");
      expect(rule.resources, rule.from).not.toContain("*");
      expect(rule.verbs, rule.from).not.toContain("*");
      expect(rule.verbs, rule.from).not.toContain("delete");
      expect(rule.verbs, rule.from).not.toContain("deletecollection");
      if (rule.verbs?.includes("update")) expect(rule.resourceNames).toEqual(["presage-scaler"]);
    }
    // Leases only in presage's own namespace.
    const leaseRules = rules.filter((rule) => rule.resources?.includes("leases"));
    expect(leaseRules.length).toBeGreaterThan(0);
    expect(leaseRules.every((rule) => rule.namespace === "presage")).toBe(true);
  });

  it("without the KEDA rule, the KEDA path fails with a clear RBAC error and the HPA is left alone", async () => {
    const withoutKeda: GrantedRule[] = rules.filter((rule) => !rule.apiGroups?.includes("keda.sh"));
    standIn = await startKubeApiStandIn({ authorize: (request) => rbacAllows(withoutKeda, request) });
    standIn.seed(
      scaledObjectObject({ namespace: "shop", name: "worker", minReplicaCount: 1, maxReplicaCount: 10 }),
    );
    standIn.seed(
      hpaObject({
        namespace: "shop",
        name: "keda-hpa-worker",
        minReplicas: 1,
        maxReplicas: 10,
        ownedByScaledObject: "worker",
      }),
    );
    const actuator = new KubernetesActuator({
      kubeConfig: kubeConfigFor(standIn),
      sleep: () => Promise.resolve(),
    });
    const error = await actuator
      .setFloor({ namespace: "shop", name: "keda-hpa-worker" }, 5, DECISION)
      .catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ScalerError);
    expect((error as ScalerError).code).toBe(ScalerErrorCode.forbidden);
    expect((error as ScalerError).message).toContain(
      'presage may not get scaledobjects.keda.sh "worker" in namespace "shop"',
    );
    expect(standIn.writes()).toEqual([]);
  });
});
