import { hostname } from "node:os";
import {
  AutoscalingV2Api,
  CoreV1Api,
  CoreV1Event,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V2HorizontalPodAutoscaler,
} from "@kubernetes/client-node";
import type { Sleep } from "../../sources/retry-with-backoff.js";
import type { FloorDecision } from "../floor-decision.js";
import {
  formatHpaRef,
  PresageAnnotation,
  type AnnotatedHpa,
  type FloorChange,
  type HpaRef,
  type HpaState,
  type ScalerActuator,
  type ScalerEvent,
} from "../scaler-actuator.js";
import { ScalerError, ScalerErrorCode } from "../scaler-error.js";
import { kubeRequest, type KubeRequestContext } from "../../kubernetes/kube-request-error.js";
import { KubernetesError } from "../../kubernetes/kubernetes-error.js";
import {
  resolveKubeRetryPolicy,
  retryKubeRequests,
  type KubeRetryOptions,
  type KubeRetryPolicy,
} from "../../kubernetes/retry-kube-requests.js";
import { toScalerError } from "./to-scaler-error.js";

/** KEDA's ScaledObject: the resource to patch when KEDA owns the HPA (it reverts edits to the HPA). */
export const KedaScaledObject = {
  group: "keda.sh",
  version: "v1alpha1",
  plural: "scaledobjects",
  kind: "ScaledObject",
} as const;

/** Options of {@link KubernetesActuator}. */
export interface KubernetesActuatorOptions {
  /** Credentials and cluster (see `loadKubeConfig`). */
  readonly kubeConfig: KubeConfig;
  /**
   * Namespaces whose annotated HPAs are targets. @defaultValue all namespaces (needs `list` on HPAs
   * cluster-wide)
   */
  readonly namespaces?: readonly string[];
  /** Retries on 409, 429, 5xx and network failures. @defaultValue 5 attempts, 200 ms doubling to 5 s */
  readonly retry?: KubeRetryOptions;
  /** `fieldManager` of every write, so `kubectl` shows who set `minReplicas`. @defaultValue "presage" */
  readonly fieldManager?: string;
  /** `source.component` / `reportingComponent` of events. @defaultValue "presage" */
  readonly component?: string;
  /** `reportingInstance` of events (the pod name). @defaultValue the host name */
  readonly instance?: string;
  /** Injected for tests: waits between retries. @defaultValue a real timer */
  readonly sleep?: Sleep;
  /** Injected for tests: jitter source in [0, 1). @defaultValue Math.random */
  readonly random?: () => number;
  /** Injected for tests: event timestamps. @defaultValue Date.now */
  readonly now?: () => number;
  /** One line per write and per retry. @defaultValue none */
  readonly log?: (line: string) => void;
}

/** Where the floor of one HPA lives: on the HPA itself, or on the KEDA ScaledObject that owns it. */
interface FloorHolder {
  readonly kind: "HorizontalPodAutoscaler" | "ScaledObject";
  readonly name: string;
  readonly namespace: string;
  readonly field: "minReplicas" | "minReplicaCount";
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly resourceVersion: string | undefined;
  /** The baseline annotation, when presage has changed the floor. */
  readonly baseline: number | undefined;
}

interface HpaSnapshot {
  readonly hpa: V2HorizontalPodAutoscaler;
  readonly holder: FloorHolder;
}

/** Kubernetes' default when an HPA leaves `minReplicas` out. */
const HPA_DEFAULT_MIN_REPLICAS = 1;
/** KEDA's defaults for a ScaledObject's `minReplicaCount` and `maxReplicaCount`. */
const KEDA_DEFAULT_MIN_REPLICA_COUNT = 0;
const KEDA_DEFAULT_MAX_REPLICA_COUNT = 100;
/** core/v1 Event messages are cut at 1 kB by convention (kubectl, client-go). */
const MAX_EVENT_MESSAGE_CHARS = 1024;

const hpaResource = { resource: "horizontalpodautoscalers", group: "autoscaling" } as const;
const scaledObjectResource = { resource: KedaScaledObject.plural, group: KedaScaledObject.group } as const;
const eventResource = { resource: "events", group: "" } as const;

/**
 * The {@link ScalerActuator} over a real cluster, with `@kubernetes/client-node`.
 *
 * Every write is a JSON merge patch (`application/merge-patch+json`) that carries the
 * `metadata.resourceVersion` just read, so a concurrent change — the HPA controller updating status,
 * a human editing the HPA — makes the API server answer 409 instead of being silently overwritten; the
 * whole read-modify-write is then retried on the fresh object. The first change stores the declared
 * `minReplicas` in the `presage.io/baseline-min-replicas` annotation in the same patch; restoring
 * writes it back and removes the annotation, also in one patch.
 *
 * An HPA owned by a KEDA ScaledObject (`ownerReferences` kind `ScaledObject`, `keda.sh`) is left alone:
 * KEDA would revert its `minReplicas` on the next reconcile. The ScaledObject's `spec.minReplicaCount`
 * is patched instead (and the baseline annotation lives there).
 */
export class KubernetesActuator implements ScalerActuator {
  private readonly autoscaling: AutoscalingV2Api;
  private readonly core: CoreV1Api;
  private readonly custom: CustomObjectsApi;
  private readonly policy: KubeRetryPolicy;
  private readonly namespaces: readonly string[] | undefined;
  private readonly fieldManager: string;
  private readonly component: string;
  private readonly instance: string;
  private readonly now: () => number;
  private readonly log: (line: string) => void;
  /** client-node v2 picks JSON Patch for PATCH unless told otherwise; presage sends merge patches. */
  private readonly mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
  /** HPA uids seen, so events can name their object without another read. */
  private readonly uids = new Map<string, string>();
  private eventSequence = 0;

  constructor(options: KubernetesActuatorOptions) {
    this.autoscaling = options.kubeConfig.makeApiClient(AutoscalingV2Api);
    this.core = options.kubeConfig.makeApiClient(CoreV1Api);
    this.custom = options.kubeConfig.makeApiClient(CustomObjectsApi);
    this.log = options.log ?? (() => undefined);
    this.policy = resolveKubeRetryPolicy(options.retry, {
      sleep: options.sleep,
      random: options.random,
      onRetry: (error, attempt, delayMs) => {
        this.log(`retrying in ${Math.round(delayMs)} ms after attempt ${attempt}: ${error.message}`);
      },
    });
    this.namespaces = options.namespaces;
    this.fieldManager = options.fieldManager ?? "presage";
    this.component = options.component ?? "presage";
    this.instance = options.instance ?? hostname();
    this.now = options.now ?? Date.now;
  }

  async listTargets(): Promise<readonly AnnotatedHpa[]> {
    const lists =
      this.namespaces === undefined
        ? [
            await this.retry(() =>
              kubeRequest({ verb: "list", ...hpaResource }, () =>
                this.autoscaling.listHorizontalPodAutoscalerForAllNamespaces(),
              ),
            ),
          ]
        : await Promise.all(
            this.namespaces.map((namespace) =>
              this.retry(() =>
                kubeRequest({ verb: "list", ...hpaResource, namespace }, () =>
                  this.autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace }),
                ),
              ),
            ),
          );
    const targets: AnnotatedHpa[] = [];
    for (const item of lists.flatMap((list) => list.items)) {
      const annotations = item.metadata?.annotations ?? {};
      const name = item.metadata?.name;
      const namespace = item.metadata?.namespace;
      if (annotations[PresageAnnotation.enabled] !== "true" || name === undefined || namespace === undefined)
        continue;
      if (item.metadata?.uid !== undefined)
        this.uids.set(formatHpaRef({ namespace, name }), item.metadata.uid);
      targets.push({ ref: { namespace, name }, annotations: { ...annotations } });
    }
    return targets;
  }

  async readHpa(ref: HpaRef): Promise<HpaState> {
    const { hpa, holder } = await this.retry(() => this.snapshot(ref));
    return {
      ref: { namespace: ref.namespace, name: ref.name },
      minReplicas: holder.minReplicas,
      maxReplicas: holder.maxReplicas,
      currentReplicas: hpa.status?.currentReplicas ?? 0,
      ...(hpa.status?.desiredReplicas === undefined ? {} : { desiredReplicas: hpa.status.desiredReplicas }),
      baselineMinReplicas: holder.baseline ?? holder.minReplicas,
      baselineRecorded: holder.baseline !== undefined,
      kedaOwned: holder.kind === "ScaledObject",
      ...scaleTargetOf(hpa),
    };
  }

  async setFloor(ref: HpaRef, floor: number, decision: FloorDecision): Promise<FloorChange> {
    if (!Number.isSafeInteger(floor) || floor < 0) {
      throw new ScalerError(
        ScalerErrorCode.invalidPatch,
        `floor for HPA ${formatHpaRef(ref)} (${floor}) must be a whole number ≥ 0`,
      );
    }
    return this.retry(async () => {
      const { holder } = await this.snapshot(ref);
      const previous = holder.minReplicas;
      if (previous === floor) return { previousMinReplicas: previous, minReplicas: floor, changed: false };
      const baseline = holder.baseline ?? previous;
      if (floor < baseline) {
        throw new ScalerError(
          ScalerErrorCode.invalidPatch,
          `refusing to set ${holder.field} of ${holder.kind} ${holder.namespace}/${holder.name} to ${floor}: below the declared baseline ${baseline}`,
        );
      }
      await this.patchFloor(holder, floor, holder.baseline === undefined ? String(previous) : undefined);
      this.log(
        `${formatHpaRef(ref)}: ${holder.kind} ${holder.name} ${holder.field} ${previous} → ${floor} (${decision.reason}: ${decision.detail})`,
      );
      return { previousMinReplicas: previous, minReplicas: floor, changed: true };
    });
  }

  async restoreBaseline(ref: HpaRef): Promise<FloorChange> {
    return this.retry(async () => {
      const { holder } = await this.snapshot(ref);
      const previous = holder.minReplicas;
      if (holder.baseline === undefined) {
        return { previousMinReplicas: previous, minReplicas: previous, changed: false };
      }
      await this.patchFloor(holder, holder.baseline, null);
      this.log(
        `${formatHpaRef(ref)}: ${holder.kind} ${holder.name} ${holder.field} ${previous} → ${holder.baseline} (baseline restored)`,
      );
      return {
        previousMinReplicas: previous,
        minReplicas: holder.baseline,
        changed: previous !== holder.baseline,
      };
    });
  }

  async emitEvent(ref: HpaRef, event: ScalerEvent): Promise<void> {
    const key = formatHpaRef(ref);
    if (!this.uids.has(key)) await this.retry(() => this.readHpaObject(ref));
    const nowMs = this.now();
    const timestamp = new Date(nowMs);
    // client-go names events `<object>.<unix nanos in hex>`; the sequence keeps same-millisecond ones apart.
    const suffix = (BigInt(nowMs) * 1_000_000n + BigInt(this.eventSequence++ % 1_000_000)).toString(16);
    const uid = this.uids.get(key);
    // client-node's models are classes: fields are assigned onto an instance rather than passing a
    // literal where the class is expected (typescript-eslint's no-unsafe-class-instance-assignment).
    const body = Object.assign(new CoreV1Event(), {
      metadata: { name: `${ref.name}.${suffix}`, namespace: ref.namespace },
      involvedObject: {
        apiVersion: "autoscaling/v2",
        kind: "HorizontalPodAutoscaler",
        name: ref.name,
        namespace: ref.namespace,
        ...(uid === undefined ? {} : { uid }),
      },
      type: event.type,
      reason: event.reason,
      message: event.message.slice(0, MAX_EVENT_MESSAGE_CHARS),
      source: { component: this.component },
      reportingComponent: this.component,
      reportingInstance: this.instance,
      firstTimestamp: timestamp,
      lastTimestamp: timestamp,
      count: 1,
    });
    await this.retry(() =>
      kubeRequest({ verb: "create", ...eventResource, namespace: ref.namespace }, () =>
        this.core.createNamespacedEvent({ namespace: ref.namespace, body }),
      ),
    );
  }

  /** Retries like every Kubernetes adapter; a request that failed for good speaks the scaler's codes. */
  private async retry<T>(attempt: () => Promise<T>): Promise<T> {
    try {
      return await retryKubeRequests(attempt, this.policy);
    } catch (error) {
      throw error instanceof KubernetesError ? toScalerError(error) : error;
    }
  }

  private async readHpaObject(ref: HpaRef): Promise<V2HorizontalPodAutoscaler> {
    const hpa = await kubeRequest(
      { verb: "get", ...hpaResource, namespace: ref.namespace, name: ref.name },
      () =>
        this.autoscaling.readNamespacedHorizontalPodAutoscaler({ namespace: ref.namespace, name: ref.name }),
    );
    if (hpa.metadata?.uid !== undefined) this.uids.set(formatHpaRef(ref), hpa.metadata.uid);
    return hpa;
  }

  /** Reads the HPA and, when KEDA owns it, its ScaledObject: where the floor lives and what it is. */
  private async snapshot(ref: HpaRef): Promise<HpaSnapshot> {
    const hpa = await this.readHpaObject(ref);
    const owner = hpa.metadata?.ownerReferences?.find(
      (reference) =>
        reference.kind === KedaScaledObject.kind &&
        reference.apiVersion.startsWith(`${KedaScaledObject.group}/`),
    );
    if (owner === undefined) {
      return {
        hpa,
        holder: {
          kind: "HorizontalPodAutoscaler",
          name: ref.name,
          namespace: ref.namespace,
          field: "minReplicas",
          minReplicas: hpa.spec.minReplicas ?? HPA_DEFAULT_MIN_REPLICAS,
          maxReplicas: hpa.spec.maxReplicas,
          resourceVersion: hpa.metadata?.resourceVersion,
          baseline: parseBaseline(hpa.metadata?.annotations, `HorizontalPodAutoscaler ${formatHpaRef(ref)}`),
        },
      };
    }
    const context: KubeRequestContext = {
      verb: "get",
      ...scaledObjectResource,
      namespace: ref.namespace,
      name: owner.name,
    };
    const scaledObject: unknown = await kubeRequest(context, () =>
      this.custom.getNamespacedCustomObject({
        group: KedaScaledObject.group,
        version: KedaScaledObject.version,
        namespace: ref.namespace,
        plural: KedaScaledObject.plural,
        name: owner.name,
      }),
    );
    const metadata = field(scaledObject, "metadata");
    const spec = field(scaledObject, "spec");
    const resourceVersion = field(metadata, "resourceVersion");
    return {
      hpa,
      holder: {
        kind: "ScaledObject",
        name: owner.name,
        namespace: ref.namespace,
        field: "minReplicaCount",
        minReplicas: numberField(spec, "minReplicaCount") ?? KEDA_DEFAULT_MIN_REPLICA_COUNT,
        maxReplicas: numberField(spec, "maxReplicaCount") ?? KEDA_DEFAULT_MAX_REPLICA_COUNT,
        resourceVersion: typeof resourceVersion === "string" ? resourceVersion : undefined,
        baseline: parseBaseline(
          stringMap(field(metadata, "annotations")),
          `ScaledObject ${ref.namespace}/${owner.name}`,
        ),
      },
    };
  }

  /**
   * One merge patch: the floor, the resourceVersion read (optimistic concurrency) and the baseline
   * annotation — a string stores it, `null` removes it, undefined leaves it alone.
   */
  private async patchFloor(
    holder: FloorHolder,
    floor: number,
    baseline: string | null | undefined,
  ): Promise<void> {
    const body = {
      metadata: {
        ...(holder.resourceVersion === undefined ? {} : { resourceVersion: holder.resourceVersion }),
        ...(baseline === undefined
          ? {}
          : { annotations: { [PresageAnnotation.baselineMinReplicas]: baseline } }),
      },
      spec: { [holder.field]: floor },
    };
    if (holder.kind === "HorizontalPodAutoscaler") {
      await kubeRequest(
        { verb: "patch", ...hpaResource, namespace: holder.namespace, name: holder.name },
        () =>
          this.autoscaling.patchNamespacedHorizontalPodAutoscaler(
            { namespace: holder.namespace, name: holder.name, body, fieldManager: this.fieldManager },
            this.mergePatch,
          ),
      );
      return;
    }
    await kubeRequest(
      { verb: "patch", ...scaledObjectResource, namespace: holder.namespace, name: holder.name },
      () =>
        this.custom.patchNamespacedCustomObject(
          {
            group: KedaScaledObject.group,
            version: KedaScaledObject.version,
            namespace: holder.namespace,
            plural: KedaScaledObject.plural,
            name: holder.name,
            body,
            fieldManager: this.fieldManager,
          },
          this.mergePatch,
        ),
    );
  }
}

/** The baseline annotation as a number; undefined when absent; `invalidTarget` when unreadable. */
function parseBaseline(
  annotations: Readonly<Record<string, string>> | undefined,
  where: string,
): number | undefined {
  const text = annotations?.[PresageAnnotation.baselineMinReplicas];
  if (text === undefined) return undefined;
  if (!/^\d{1,9}$/.test(text.trim())) {
    throw new ScalerError(
      ScalerErrorCode.invalidTarget,
      `annotation ${PresageAnnotation.baselineMinReplicas} on ${where} (${JSON.stringify(text)}) must be a whole number ≥ 0; presage wrote it to restore the declared floor — set it to the intended minReplicas or remove it`,
    );
  }
  return Number(text.trim());
}

function field(value: unknown, key: string): unknown {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

function numberField(value: unknown, key: string): number | undefined {
  const found = field(value, key);
  return typeof found === "number" ? found : undefined;
}

function stringMap(value: unknown): Record<string, string> | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).filter(
      (entry): entry is [string, string] => typeof entry[1] === "string",
    ),
  );
}

/** The HPA's `spec.scaleTargetRef`, when the server sent a usable one (a stand-in may not). */
function scaleTargetOf(hpa: V2HorizontalPodAutoscaler): Pick<HpaState, "scaleTarget"> {
  const ref = hpa.spec.scaleTargetRef as
    Partial<V2HorizontalPodAutoscaler["spec"]["scaleTargetRef"]> | undefined;
  if (typeof ref?.kind !== "string" || typeof ref.name !== "string" || ref.name === "") return {};
  return { scaleTarget: { kind: ref.kind, name: ref.name } };
}
