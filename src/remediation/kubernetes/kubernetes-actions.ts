import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V1Deployment,
  type V1Job,
  type V1PodTemplateSpec,
} from "@kubernetes/client-node";
import { kubeRequest, type KubeRequestContext } from "../../kubernetes/kube-request-error.js";
import {
  resolveKubeRetryPolicy,
  retryKubeRequests,
  type KubeRetryOptions,
  type KubeRetryPolicy,
} from "../../kubernetes/retry-kube-requests.js";
import type { Sleep } from "../../sources/retry-with-backoff.js";
import type {
  ActionRunner,
  AppliedAction,
  PreparedAction,
  RolloutProbe,
  RolloutStatus,
} from "../execution/action-runner.js";
import { RemediationError, RemediationErrorCode } from "../remediation-error.js";
import { ActionKind, describeAction, type RemediationAction } from "../runbooks/remediation-action.js";
import { rolloutStatusOf, rolloutUnavailablePods } from "./rollout-status.js";
import { actionFailures } from "./action-failures.js";

/** The pod-template annotation `kubectl rollout restart` sets. */
export const RESTARTED_AT_ANNOTATION = "kubectl.kubernetes.io/restartedAt";
/**
 * Set with presage's cordon (the time it cordoned): undo uncordons only while the node is still
 * cordoned and carries this very mark. A node uncordoned since is left alone, and so is one another
 * presage step cordoned later. (`kubectl cordon` keeps annotations, so an uncordon-then-cordon by a
 * human in between looks unchanged.)
 */
export const CORDONED_BY_PRESAGE_ANNOTATION = "presage.io/cordoned-at";
/** The Deployment controller's revision annotation, on Deployments and their ReplicaSets. */
export const REVISION_ANNOTATION = "deployment.kubernetes.io/revision";

/** Options of {@link KubernetesActions}. */
export interface KubernetesActionsOptions {
  readonly kubeConfig: KubeConfig;
  /** Retries on 409, 429, 5xx and network failures. @defaultValue 5 attempts, 200 ms doubling to 5 s */
  readonly retry?: KubeRetryOptions;
  /** `fieldManager` of every write. @defaultValue "presage-remediation" */
  readonly fieldManager?: string;
  /** Injected for tests. @defaultValue Date.now */
  readonly now?: () => number;
  /** Injected for tests: waits between retries. @defaultValue a real timer */
  readonly sleep?: Sleep;
}

/** Actions on workloads; http-hook and raise-scaler-floor (the scaler's actuator) run elsewhere. */
type KubernetesAction = Exclude<
  RemediationAction,
  { kind: typeof ActionKind.httpHook | typeof ActionKind.raiseScalerFloor }
>;

const deployments = { resource: "deployments", group: "apps" } as const;
const replicaSets = { resource: "replicasets", group: "apps" } as const;
const pods = { resource: "pods", group: "" } as const;
const nodes = { resource: "nodes", group: "" } as const;
const jobs = { resource: "jobs", group: "batch" } as const;

/**
 * Remediation actions over the Kubernetes API with `@kubernetes/client-node`. Writes that depend on
 * what was read carry its `resourceVersion` (merge patch) or a JSON Patch `test` of it, so a
 * concurrent change is a 409 and the whole read-modify-write is retried; 429/5xx are retried with
 * backoff (the shared `retryKubeRequests`). Every action saves what it changes in its snapshot.
 */
export class KubernetesActions implements ActionRunner, RolloutProbe {
  private readonly apps: AppsV1Api;
  private readonly core: CoreV1Api;
  private readonly batch: BatchV1Api;
  private readonly policy: KubeRetryPolicy;
  private readonly fieldManager: string;
  private readonly now: () => number;
  private readonly mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
  private readonly jsonPatch = setHeaderOptions("Content-Type", PatchStrategy.JsonPatch);

  constructor(options: KubernetesActionsOptions) {
    this.apps = options.kubeConfig.makeApiClient(AppsV1Api);
    this.core = options.kubeConfig.makeApiClient(CoreV1Api);
    this.batch = options.kubeConfig.makeApiClient(BatchV1Api);
    this.policy = resolveKubeRetryPolicy(options.retry, { sleep: options.sleep });
    this.fieldManager = options.fieldManager ?? "presage-remediation";
    this.now = options.now ?? Date.now;
  }

  async prepare(action: RemediationAction): Promise<PreparedAction> {
    if (action.kind === ActionKind.httpHook || action.kind === ActionKind.raiseScalerFloor)
      throw new RangeError(`KubernetesActions does not run ${action.kind}`);
    return actionFailures(action, "prepare", () => this.prepareKube(action));
  }

  async apply(prepared: PreparedAction): Promise<AppliedAction> {
    return actionFailures(prepared.action, "apply", () => this.applyKube(prepared));
  }

  async undo(applied: AppliedAction): Promise<string> {
    return actionFailures(applied.prepared.action, "undo", () => this.undoKube(applied));
  }

  async rolloutStatus(namespace: string, deployment: string): Promise<RolloutStatus> {
    const object = await this.readDeployment(namespace, deployment);
    return rolloutStatusOf(object);
  }

  private async prepareKube(action: KubernetesAction): Promise<PreparedAction> {
    switch (action.kind) {
      case ActionKind.restartDeployment: {
        const { namespace, deployment } = action.params;
        const object = await this.readDeployment(namespace, deployment);
        const replicas = object.spec?.replicas ?? 1;
        const previous = object.spec?.template.metadata?.annotations?.[RESTARTED_AT_ANNOTATION] ?? null;
        return {
          action,
          disruption: {
            workload: `deployment/${namespace}/${deployment}`,
            replicas,
            pods: rolloutUnavailablePods(replicas, object.spec?.strategy),
          },
          snapshot: { restartedAt: previous },
          undoable: true,
          detail: `deployment ${namespace}/${deployment}: ${replicas} replicas, last restarted ${previous ?? "never"}`,
        };
      }
      case ActionKind.rollbackDeployment:
        return this.prepareRollback(action.params.namespace, action.params.deployment, action);
      case ActionKind.scaleDeployment: {
        const { namespace, deployment, by, min, max } = action.params;
        const object = await this.readDeployment(namespace, deployment);
        const current = object.spec?.replicas ?? 1;
        const wanted = Math.min(max, Math.max(min, current + by));
        if (wanted === current) {
          throw new RemediationError(
            RemediationErrorCode.nothingToDo,
            `deployment ${namespace}/${deployment} has ${current} replicas; ${by > 0 ? "+" : ""}${by} within [${min}, ${max}] changes nothing`,
          );
        }
        return {
          action,
          disruption: {
            workload: `deployment/${namespace}/${deployment}`,
            replicas: current,
            pods: Math.max(0, current - wanted),
          },
          snapshot: { replicas: current, wanted },
          undoable: true,
          detail: `deployment ${namespace}/${deployment}: ${current} → ${wanted} replicas`,
        };
      }
      case ActionKind.deletePod: {
        const { namespace, pod } = action.params;
        const object = await this.kube({ verb: "get", ...pods, namespace, name: pod }, () =>
          this.core.readNamespacedPod({ namespace, name: pod }),
        );
        const owner = object.metadata?.ownerReferences?.find((reference) => reference.controller === true);
        let workload = `pod/${namespace}/${pod}`;
        let replicas = 1;
        if (owner?.kind === "ReplicaSet") {
          const rs = await this.kube({ verb: "get", ...replicaSets, namespace, name: owner.name }, () =>
            this.apps.readNamespacedReplicaSet({ namespace, name: owner.name }),
          );
          const deploymentOwner = rs.metadata?.ownerReferences?.find(
            (reference) => reference.kind === "Deployment",
          );
          workload =
            deploymentOwner === undefined
              ? `replicaset/${namespace}/${owner.name}`
              : `deployment/${namespace}/${deploymentOwner.name}`;
          replicas = rs.spec?.replicas ?? 1;
        }
        return {
          action,
          disruption: { workload, replicas, pods: 1 },
          snapshot: {
            pod: object.metadata?.name,
            node: object.spec?.nodeName ?? null,
            uid: object.metadata?.uid,
          },
          undoable: false,
          detail: `pod ${namespace}/${pod} of ${workload} (${replicas} replicas)`,
        };
      }
      case ActionKind.cordonNode: {
        const { node } = action.params;
        const object = await this.kube({ verb: "get", ...nodes, name: node }, () =>
          this.core.readNode({ name: node }),
        );
        const unschedulable = object.spec?.unschedulable === true;
        if (unschedulable) {
          throw new RemediationError(RemediationErrorCode.nothingToDo, `node ${node} is already cordoned`);
        }
        return { action, snapshot: { unschedulable }, undoable: true, detail: `node ${node} schedulable` };
      }
      case ActionKind.createJob: {
        const { namespace, job } = action.params;
        return {
          action,
          snapshot: { namespace },
          undoable: true,
          detail: `job ${job.metadata.name ?? job.metadata.generateName ?? ""} in ${namespace}`,
        };
      }
    }
  }

  private async prepareRollback(
    namespace: string,
    deployment: string,
    action: KubernetesAction,
  ): Promise<PreparedAction> {
    const object = await this.readDeployment(namespace, deployment);
    const uid = object.metadata?.uid;
    const selector = Object.entries(object.spec?.selector.matchLabels ?? {})
      .map(([key, value]) => `${key}=${value}`)
      .join(",");
    const list = await this.kube({ verb: "list", ...replicaSets, namespace }, () =>
      this.apps.listNamespacedReplicaSet({
        namespace,
        ...(selector === "" ? {} : { labelSelector: selector }),
      }),
    );
    const owned = list.items
      .filter(
        (rs) =>
          rs.metadata?.ownerReferences?.some((owner) => owner.uid === uid && owner.kind === "Deployment") ===
          true,
      )
      .map((rs) => ({ rs, revision: Number(rs.metadata?.annotations?.[REVISION_ANNOTATION] ?? Number.NaN) }))
      .filter((entry) => Number.isSafeInteger(entry.revision));
    const declared = Number(object.metadata?.annotations?.[REVISION_ANNOTATION] ?? Number.NaN);
    const current = Number.isSafeInteger(declared)
      ? declared
      : Math.max(0, ...owned.map((entry) => entry.revision));
    const currentTemplate = comparableTemplate(object.spec?.template);
    const previous = owned
      .filter(
        (entry) =>
          entry.revision < current && comparableTemplate(entry.rs.spec?.template) !== currentTemplate,
      )
      .sort((a, b) => b.revision - a.revision)[0];
    if (previous?.rs.spec?.template === undefined) {
      throw new RemediationError(
        RemediationErrorCode.nothingToDo,
        `deployment ${namespace}/${deployment} has no revision before ${current} to roll back to (${owned.length} ReplicaSets owned)`,
      );
    }
    const template = structuredClone(previous.rs.spec.template);
    if (template.metadata?.labels !== undefined) delete template.metadata.labels["pod-template-hash"];
    const replicas = object.spec?.replicas ?? 1;
    return {
      action,
      disruption: {
        workload: `deployment/${namespace}/${deployment}`,
        replicas,
        pods: rolloutUnavailablePods(replicas, object.spec?.strategy),
      },
      snapshot: {
        template: object.spec?.template,
        revision: current,
        toRevision: previous.revision,
        rollbackTemplate: template,
      },
      undoable: true,
      detail: `deployment ${namespace}/${deployment} at revision ${current}; previous revision ${previous.revision} (${previous.rs.metadata?.name ?? "?"})`,
    };
  }

  private async applyKube(prepared: PreparedAction): Promise<AppliedAction> {
    const action = prepared.action as KubernetesAction;
    switch (action.kind) {
      case ActionKind.restartDeployment: {
        const { namespace, deployment } = action.params;
        const at = new Date(this.now()).toISOString();
        await this.patchDeployment(namespace, deployment, {
          spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: at } } } },
        });
        return {
          prepared,
          detail: `set ${RESTARTED_AT_ANNOTATION}=${at} on deployment ${namespace}/${deployment}`,
        };
      }
      case ActionKind.rollbackDeployment: {
        const { namespace, deployment } = action.params;
        const snapshot = prepared.snapshot as {
          revision: number;
          toRevision: number;
          rollbackTemplate: V1PodTemplateSpec;
        };
        await this.replaceTemplate(namespace, deployment, snapshot.rollbackTemplate);
        return {
          prepared,
          detail: `rolled deployment ${namespace}/${deployment} back from revision ${snapshot.revision} to the template of revision ${snapshot.toRevision}`,
        };
      }
      case ActionKind.scaleDeployment: {
        const { namespace, deployment } = action.params;
        const snapshot = prepared.snapshot as { replicas: number; wanted: number };
        await this.patchDeployment(namespace, deployment, { spec: { replicas: snapshot.wanted } });
        return {
          prepared,
          detail: `scaled deployment ${namespace}/${deployment} from ${snapshot.replicas} to ${snapshot.wanted} replicas`,
        };
      }
      case ActionKind.deletePod: {
        const { namespace, pod } = action.params;
        await this.kube({ verb: "delete", ...pods, namespace, name: pod }, () =>
          this.core.deleteNamespacedPod({ namespace, name: pod }),
        );
        return { prepared, detail: `deleted pod ${namespace}/${pod}; its controller replaces it` };
      }
      case ActionKind.cordonNode: {
        const { node } = action.params;
        const mark = new Date(this.now()).toISOString();
        const body = {
          metadata: { annotations: { [CORDONED_BY_PRESAGE_ANNOTATION]: mark } },
          spec: { unschedulable: true },
        };
        await this.kube({ verb: "patch", ...nodes, name: node }, () =>
          this.core.patchNode({ name: node, body, fieldManager: this.fieldManager }, this.mergePatch),
        );
        return { prepared, detail: `cordoned node ${node}`, undoData: { mark } };
      }
      case ActionKind.createJob: {
        const { namespace, job } = action.params;
        const body = { ...structuredClone(job), apiVersion: "batch/v1", kind: "Job" } as unknown as V1Job;
        const created = await this.kube({ verb: "create", ...jobs, namespace }, () =>
          this.batch.createNamespacedJob({ namespace, body, fieldManager: this.fieldManager }),
        );
        const name = created.metadata?.name ?? "";
        return { prepared, detail: `created job ${namespace}/${name}`, undoData: { name } };
      }
    }
  }

  private async undoKube(applied: AppliedAction): Promise<string> {
    const action = applied.prepared.action as KubernetesAction;
    switch (action.kind) {
      case ActionKind.restartDeployment: {
        const { namespace, deployment } = action.params;
        const { restartedAt } = applied.prepared.snapshot as { restartedAt: string | null };
        await this.patchDeployment(namespace, deployment, {
          spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: restartedAt } } } },
        });
        return `restored ${RESTARTED_AT_ANNOTATION} of deployment ${namespace}/${deployment} to ${restartedAt ?? "(none)"}`;
      }
      case ActionKind.rollbackDeployment: {
        const { namespace, deployment } = action.params;
        const snapshot = applied.prepared.snapshot as {
          template: V1PodTemplateSpec;
          revision: number;
          rollbackTemplate: V1PodTemplateSpec;
        };
        // Only while the template is still the one the roll back set: a deploy made since must not be
        // overwritten with the older, failing template.
        await this.replaceTemplate(namespace, deployment, snapshot.template, (current) =>
          comparableTemplate(current.spec?.template) === comparableTemplate(snapshot.rollbackTemplate)
            ? undefined
            : `deployment ${namespace}/${deployment}: its pod template changed since the roll back; not undone`,
        );
        return `restored the pod template of revision ${snapshot.revision} on deployment ${namespace}/${deployment}`;
      }
      case ActionKind.scaleDeployment: {
        const { namespace, deployment } = action.params;
        const { replicas, wanted } = applied.prepared.snapshot as { replicas: number; wanted: number };
        // Only while the replicas are still what the step set: a later change (the HPA, the scaler, a
        // human) must not be overwritten with the older count.
        await this.patchDeployment(namespace, deployment, { spec: { replicas } }, (current) =>
          (current.spec?.replicas ?? 1) === wanted
            ? undefined
            : `deployment ${namespace}/${deployment} has ${current.spec?.replicas ?? 1} replicas, not the ${wanted} the step set; not scaled back`,
        );
        return `scaled deployment ${namespace}/${deployment} back to ${replicas} replicas`;
      }
      case ActionKind.deletePod:
        throw new RemediationError(
          RemediationErrorCode.actionFailed,
          `a deleted pod cannot be restored (${describeAction(action)})`,
        );
      case ActionKind.cordonNode: {
        const { node } = action.params;
        const { mark } = (applied.undoData ?? {}) as { mark?: string };
        await this.guardedMergePatch(
          { ...nodes, name: node },
          () => this.core.readNode({ name: node }),
          (body) =>
            this.core.patchNode({ name: node, body, fieldManager: this.fieldManager }, this.mergePatch),
          {
            metadata: { annotations: { [CORDONED_BY_PRESAGE_ANNOTATION]: null } },
            spec: { unschedulable: null },
          },
          (current) => {
            const marked = current.metadata?.annotations?.[CORDONED_BY_PRESAGE_ANNOTATION];
            if (current.spec?.unschedulable !== true) return `node ${node} was uncordoned since; not undone`;
            return mark !== undefined && marked === mark
              ? undefined
              : `node ${node} is cordoned, but no longer by this step (its ${CORDONED_BY_PRESAGE_ANNOTATION} mark is ${marked ?? "gone"}); not uncordoned`;
          },
        );
        return `uncordoned node ${node}`;
      }
      case ActionKind.createJob: {
        const { namespace } = action.params;
        const { name } = applied.undoData as { name: string };
        await this.kube({ verb: "delete", ...jobs, namespace, name }, () =>
          this.batch.deleteNamespacedJob({ namespace, name, propagationPolicy: "Background" }),
        );
        return `deleted job ${namespace}/${name}`;
      }
    }
  }

  private readDeployment(namespace: string, name: string): Promise<V1Deployment> {
    return this.kube({ verb: "get", ...deployments, namespace, name }, () =>
      this.apps.readNamespacedDeployment({ namespace, name }),
    );
  }

  /**
   * Merge patch on the freshest read (resourceVersion), retried on 409 with a new read. `precondition`
   * returns why the fresh read must not be patched (an `actionFailed`), or undefined.
   */
  private async patchDeployment(
    namespace: string,
    name: string,
    patch: Record<string, unknown>,
    precondition?: (current: V1Deployment) => string | undefined,
  ): Promise<void> {
    await this.guardedMergePatch(
      { ...deployments, namespace, name },
      () => this.apps.readNamespacedDeployment({ namespace, name }),
      (body) =>
        this.apps.patchNamespacedDeployment(
          { namespace, name, body, fieldManager: this.fieldManager },
          this.mergePatch,
        ),
      patch,
      precondition,
    );
  }

  /**
   * Read, check `precondition` (a refusal is an `actionFailed` error naming why), then a merge patch
   * carrying the resourceVersion read, so a change in between is a 409 and the whole cycle is retried.
   */
  private async guardedMergePatch<T extends { metadata?: { resourceVersion?: string } }>(
    target: Omit<KubeRequestContext, "verb">,
    read: () => Promise<T>,
    write: (body: object) => Promise<unknown>,
    patch: Record<string, unknown>,
    precondition?: (current: T) => string | undefined,
  ): Promise<void> {
    await retryKubeRequests(async () => {
      const current = await kubeRequest({ verb: "get", ...target }, read);
      checkPrecondition(current, precondition);
      const metadata = {
        ...(patch.metadata as object | undefined),
        resourceVersion: current.metadata?.resourceVersion,
      };
      await kubeRequest({ verb: "patch", ...target }, () => write({ ...patch, metadata }));
    }, this.policy);
  }

  /** Replaces the whole pod template (JSON Patch, like `kubectl rollout undo`), guarded by a `test` of resourceVersion. */
  private async replaceTemplate(
    namespace: string,
    name: string,
    template: V1PodTemplateSpec,
    precondition?: (current: V1Deployment) => string | undefined,
  ): Promise<void> {
    await retryKubeRequests(async () => {
      const current = await kubeRequest({ verb: "get", ...deployments, namespace, name }, () =>
        this.apps.readNamespacedDeployment({ namespace, name }),
      );
      checkPrecondition(current, precondition);
      const body = [
        { op: "test", path: "/metadata/resourceVersion", value: current.metadata?.resourceVersion },
        { op: "replace", path: "/spec/template", value: template },
      ];
      await kubeRequest({ verb: "patch", ...deployments, namespace, name }, () =>
        this.apps.patchNamespacedDeployment(
          { namespace, name, body, fieldManager: this.fieldManager },
          this.jsonPatch,
        ),
      );
    }, this.policy);
  }

  private kube<T>(context: KubeRequestContext, call: () => Promise<T>): Promise<T> {
    return retryKubeRequests(() => kubeRequest(context, call), this.policy);
  }
}

/** Throws `actionFailed` (not retried) when `precondition` refuses the fresh read. */
function checkPrecondition<T>(
  current: T,
  precondition: ((current: T) => string | undefined) | undefined,
): void {
  const refusal = precondition?.(current);
  if (refusal !== undefined) throw new RemediationError(RemediationErrorCode.actionFailed, refusal);
}

/**
 * A pod template as compared for `kubectl rollout undo`-like rollbacks: without the restart annotation
 * and the pod-template-hash label, so a revision made only by a rolling restart counts as the same
 * code (rolling back to it would redeploy what is failing now), with keys sorted and empty values
 * dropped so API round-trips don't make equal templates differ.
 */
function comparableTemplate(template: V1PodTemplateSpec | undefined): string {
  const ignored = new Set([RESTARTED_AT_ANNOTATION, "pod-template-hash"]);
  const without = (map: Record<string, string> | undefined): Record<string, string> =>
    Object.fromEntries(Object.entries(map ?? {}).filter(([key]) => !ignored.has(key)));
  const copy: unknown = {
    metadata: {
      annotations: without(template?.metadata?.annotations),
      labels: without(template?.metadata?.labels),
    },
    spec: template?.spec,
  };
  const canonical = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(canonical);
    if (typeof value !== "object" || value === null || value instanceof Date) return value;
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, inner]) => inner !== undefined && inner !== null)
      .map(([key, inner]) => [key, canonical(inner)] as const)
      .filter(
        ([, inner]) =>
          !(
            typeof inner === "object" &&
            inner !== null &&
            !Array.isArray(inner) &&
            Object.keys(inner).length === 0
          ),
      )
      .sort(([a], [b]) => a.localeCompare(b));
    return Object.fromEntries(entries);
  };
  return JSON.stringify(canonical(copy));
}
