import { createHash, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { applyJsonPatch, applyMergePatch, type JsonPatchOperation } from "./kube-patch.js";

/**
 * An in-memory Kubernetes API server over real HTTP, for the resources presage touches. It honours the
 * real REST paths and the semantics the scaler relies on:
 *
 * - `metadata.resourceVersion` is a cluster-wide counter bumped on every write (as etcd's revision);
 *   a PUT, or a PATCH whose body carries `metadata.resourceVersion`, with a stale value → 409 Conflict;
 * - PATCH speaks `application/merge-patch+json` (RFC 7386), `application/strategic-merge-patch+json`
 *   (treated as a merge patch: lists are replaced, `$patch` directives are not supported — presage's
 *   fields are all scalars and maps) and `application/json-patch+json` (RFC 6902); anything else → 415;
 * - every error is a `Status` body with the reason and code the real server uses, and messages in its
 *   wording (`horizontalpodautoscalers.autoscaling "web" not found`, `... is forbidden: User ... cannot
 *   patch resource ...`);
 * - validation the scaler can trip: HPA `minReplicas` ≥ 1 and ≤ `maxReplicas`, annotation values are
 *   strings, Lease times are `MicroTime` (exactly six fractional digits, else 400 as the real decoder);
 * - optionally KEDA's operator: a ScaledObject's `minReplicaCount` is copied to the HPA it owns, and an
 *   edit to that HPA's `minReplicas` is reverted at once.
 *
 * Tests seed objects, inject faults (the next N requests to a path answer 409/429/500/403/404/422),
 * interleave another writer's change before a given request, and read back every request received.
 */
export interface KubeApiStandIn {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Every request received, in order, faulted ones included. */
  readonly requests: readonly RecordedRequest[];
  /** Requests other than GET (what was — or was attempted to be — written). */
  writes(): RecordedRequest[];
  /** Forgets the recorded requests (the objects stay). */
  clearRequests(): void;
  /**
   * Stores an object as a controller or `kubectl apply` would have (no request is recorded); its
   * `apiVersion` and `kind` pick the resource. Returns the stored copy with server-set metadata.
   */
  seed(object: KubeObject): KubeObject;
  /** A copy of the object at a REST path (`/apis/autoscaling/v2/namespaces/shop/horizontalpodautoscalers/web`). */
  read(path: string): KubeObject | undefined;
  /** Another writer changes the object at `path` (resourceVersion bumped); no request is recorded. */
  mutate(path: string, change: (object: KubeObject) => void): KubeObject;
  /**
   * Copies of the objects in a collection (`collectionPath("apps/v1", "replicasets", "shop")`), as a
   * controller's informer cache sees them; no request is recorded.
   */
  list(collection: string, labelSelector?: string): KubeObject[];
  /** Another writer (a controller, the kubelet) deletes the object at `path`; no request is recorded. */
  remove(path: string): boolean;
  /** Answers the next `times` matching requests with an error instead of serving them. */
  injectFault(fault: KubeFault): void;
  /**
   * Runs `action` just before the next request matching `method` and `path` is served (once); the
   * request waits for a returned promise, while other requests are served meanwhile.
   */
  beforeRequest(method: HttpMethod, path: string | RegExp, action: () => void | Promise<void>): void;
  /** Resolves once `predicate` holds for the recorded requests (checked as each one is answered). */
  waitForRequests(
    predicate: (requests: readonly RecordedRequest[]) => boolean,
    timeoutMs?: number,
  ): Promise<void>;
  /** Options for `KubeConfig.loadFromOptions` pointing at this server. */
  kubeConfigOptions(): KubeConfigOptions;
  close(): Promise<void>;
}

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface RecordedRequest {
  readonly method: string;
  /** The URL path without the query. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly contentType: string | undefined;
  /** The parsed JSON body, the raw text when it is not JSON, undefined when empty. */
  readonly body: unknown;
  /** The status the stand-in answered. */
  readonly status: number;
}

/** A canned error for requests to a path. */
export interface KubeFault {
  /** Only requests with this method; any method when omitted. */
  readonly method?: HttpMethod;
  /** The exact URL path, or a pattern tested against it. */
  readonly path: string | RegExp;
  readonly status: 403 | 404 | 409 | 422 | 429 | 500 | 503;
  /** How many matching requests fail. @defaultValue 1 */
  readonly times?: number;
  /** `Retry-After` (and `details.retryAfterSeconds`) for 429 and 503. @defaultValue 1 */
  readonly retryAfterSeconds?: number;
  /** Replaces the message the real server would have written. */
  readonly message?: string;
}

/** The parts of a Kubernetes object the stand-in reads; everything else is stored as is. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    generateName?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    creationTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }[];
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

export interface KubeConfigOptions {
  clusters: { name: string; server: string; skipTLSVerify: boolean }[];
  users: { name: string; token: string }[];
  contexts: { name: string; cluster: string; user: string; namespace: string }[];
  currentContext: string;
}

/** What an RBAC authorizer sees of a request. */
export interface RequestAttributes {
  /** `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`. */
  readonly verb: string;
  /** API group, `""` for core. */
  readonly group: string;
  /** Plural resource name. */
  readonly resource: string;
  /** Undefined for cluster-wide requests. */
  readonly namespace: string | undefined;
  /** Undefined for collection requests (list, create). */
  readonly name: string | undefined;
}

export interface KubeApiStandInOptions {
  /** Act as KEDA's operator for ScaledObjects and the HPAs they own. @defaultValue true */
  readonly simulateKeda?: boolean;
  /** Decides whether the caller may make a request; refused ones get the real 403. @defaultValue allow all */
  readonly authorize?: (attributes: RequestAttributes) => boolean;
  /** Who the caller is, for 403 messages. @defaultValue "system:serviceaccount:presage:presage" */
  readonly user?: string;
  /**
   * Act as the Deployment controller (off by default): see {@link SimulatedDeployments}. `true` uses
   * the defaults (every rollout completes at once).
   */
  readonly simulateDeployments?: boolean | SimulatedDeployments;
}

/**
 * A minimal Deployment controller, run synchronously after every Deployment write: `metadata.generation`
 * counts spec changes; each distinct pod template gets a ReplicaSet (`<name>-<hash>`, label
 * `pod-template-hash`, owned by the Deployment); a template not yet current becomes revision max + 1
 * (`deployment.kubernetes.io/revision` on the Deployment and its ReplicaSet — rolling back to an old
 * template re-uses its ReplicaSet under a new revision, as the real controller does); the current
 * ReplicaSet gets `spec.replicas`, the others 0; and `status` is written as a finished (or stuck) rollout.
 */
export interface SimulatedDeployments {
  /** Whether a rollout of this Deployment becomes healthy. @defaultValue always true */
  readonly rolloutReady?: (deployment: KubeObject) => boolean;
  /**
   * The pod counts of a Deployment's status as a controller that runs real pods sees them (replaces
   * the all-or-nothing counts of `rolloutReady`). @defaultValue none
   */
  readonly status?: (deployment: KubeObject) =>
    | {
        readonly replicas: number;
        readonly updatedReplicas: number;
        readonly readyReplicas: number;
        readonly availableReplicas: number;
      }
    | undefined;
  /** Called after each new rollout (a new current ReplicaSet), e.g. to restart a demo process. */
  readonly onRollout?: (rollout: {
    namespace: string;
    name: string;
    revision: number;
    template: unknown;
  }) => void;
}

/** A resource the stand-in serves. */
interface ResourceType {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly kind: string;
  /** Built-in list items carry no apiVersion/kind on the wire; custom resources' do. */
  readonly custom: boolean;
  /** Cluster-scoped (Nodes): paths without `/namespaces/{ns}`, objects without a namespace. */
  readonly clusterScoped?: boolean;
}

const RESOURCE_TYPES: readonly ResourceType[] = [
  { group: "", version: "v1", plural: "pods", kind: "Pod", custom: false },
  { group: "", version: "v1", plural: "events", kind: "Event", custom: false },
  { group: "apps", version: "v1", plural: "deployments", kind: "Deployment", custom: false },
  {
    group: "autoscaling",
    version: "v2",
    plural: "horizontalpodautoscalers",
    kind: "HorizontalPodAutoscaler",
    custom: false,
  },
  { group: "coordination.k8s.io", version: "v1", plural: "leases", kind: "Lease", custom: false },
  { group: "keda.sh", version: "v1alpha1", plural: "scaledobjects", kind: "ScaledObject", custom: true },
  { group: "apps", version: "v1", plural: "replicasets", kind: "ReplicaSet", custom: false },
  { group: "batch", version: "v1", plural: "jobs", kind: "Job", custom: false },
  { group: "", version: "v1", plural: "nodes", kind: "Node", custom: false, clusterScoped: true },
];

/** `deployments.apps`, `pods` — how the real server names a resource in messages. */
function groupResource(type: ResourceType): string {
  return type.group === "" ? type.plural : `${type.plural}.${type.group}`;
}

function apiVersionOf(type: ResourceType): string {
  return type.group === "" ? type.version : `${type.group}/${type.version}`;
}

function basePath(type: ResourceType): string {
  return type.group === "" ? `/api/${type.version}` : `/apis/${type.group}/${type.version}`;
}

/** `/apis/{group}/{version}/namespaces/{ns}/{plural}/{name}` for a stored object. */
export function objectPath(
  type: { apiVersion: string; plural: string },
  namespace: string,
  name: string,
): string {
  const prefix = type.apiVersion.includes("/") ? `/apis/${type.apiVersion}` : `/api/${type.apiVersion}`;
  return `${prefix}/namespaces/${namespace}/${type.plural}/${name}`;
}

/** REST paths of the objects presage touches, for tests. */
export const kubePaths = {
  hpa: (namespace: string, name: string) =>
    objectPath({ apiVersion: "autoscaling/v2", plural: "horizontalpodautoscalers" }, namespace, name),
  scaledObject: (namespace: string, name: string) =>
    objectPath({ apiVersion: "keda.sh/v1alpha1", plural: "scaledobjects" }, namespace, name),
  lease: (namespace: string, name: string) =>
    objectPath({ apiVersion: "coordination.k8s.io/v1", plural: "leases" }, namespace, name),
  deployment: (namespace: string, name: string) =>
    objectPath({ apiVersion: "apps/v1", plural: "deployments" }, namespace, name),
  events: (namespace: string) => `/api/v1/namespaces/${namespace}/events`,
  replicaSet: (namespace: string, name: string) =>
    objectPath({ apiVersion: "apps/v1", plural: "replicasets" }, namespace, name),
  pod: (namespace: string, name: string) => objectPath({ apiVersion: "v1", plural: "pods" }, namespace, name),
  job: (namespace: string, name: string) =>
    objectPath({ apiVersion: "batch/v1", plural: "jobs" }, namespace, name),
  node: (name: string) => `/api/v1/nodes/${name}`,
} as const;

/** A parsed request path. */
interface Route {
  readonly type: ResourceType;
  /** Undefined for a list across all namespaces. */
  readonly namespace: string | undefined;
  /** Undefined for the collection. */
  readonly name: string | undefined;
}

function parseRoute(path: string): Route | undefined {
  const parts = path
    .split("/")
    .filter((part) => part !== "")
    .map(decodeURIComponent);
  let group: string;
  let rest: string[];
  if (parts[0] === "api") {
    group = "";
    rest = parts.slice(1);
  } else if (parts[0] === "apis" && parts.length >= 2) {
    group = parts[1]!;
    rest = parts.slice(2);
  } else {
    return undefined;
  }
  const [version, ...tail] = rest;
  let namespace: string | undefined;
  let plural: string | undefined;
  let name: string | undefined;
  if (tail[0] === "namespaces" && tail.length >= 3 && tail.length <= 4) {
    [, namespace, plural, name] = tail;
  } else if (tail.length === 1) {
    plural = tail[0];
  } else if (tail.length === 2 && tail[0] !== "namespaces") {
    [plural, name] = tail;
  } else {
    return undefined;
  }
  const type = RESOURCE_TYPES.find(
    (candidate) => candidate.group === group && candidate.version === version && candidate.plural === plural,
  );
  if (type === undefined) return undefined;
  // A named object outside /namespaces/ exists only for cluster-scoped resources, and vice versa.
  if (name !== undefined && (namespace === undefined) !== (type.clusterScoped === true)) return undefined;
  return { type, namespace, name };
}

/** An answer: status, body, extra headers. */
interface Answer {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Record<string, string>;
}

const REASONS: Readonly<Record<number, string>> = {
  400: "BadRequest",
  403: "Forbidden",
  404: "NotFound",
  405: "MethodNotAllowed",
  409: "Conflict",
  415: "UnsupportedMediaType",
  422: "Invalid",
  429: "TooManyRequests",
  500: "InternalError",
  503: "ServiceUnavailable",
};

function status(
  code: number,
  message: string,
  details?: Record<string, unknown>,
  reason = REASONS[code] ?? "Unknown",
): Answer {
  return {
    status: code,
    body: {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message,
      reason,
      ...(details === undefined ? {} : { details }),
      code,
    },
  };
}

/** Thrown inside a handler to answer with a Status. */
class StatusError extends Error {
  constructor(readonly answer: Answer) {
    super(String((answer.body as { message?: unknown }).message));
  }
}

/** `get`, `list`, `create`, ... — the RBAC verb of a request. */
function verbOf(method: string, route: Route, query?: URLSearchParams): string {
  switch (method) {
    case "GET":
      if (route.name !== undefined) return "get";
      return query?.get("watch") === "true" || query?.get("watch") === "1" ? "watch" : "list";
    case "POST":
      return "create";
    case "PUT":
      return "update";
    case "PATCH":
      return "patch";
    case "DELETE":
      return "delete";
    default:
      return method.toLowerCase();
  }
}

const MICRO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}(Z|[+-]\d{2}:\d{2})$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

/** Equality-based label selectors: `a=b`, `a==b`, `a!=b`, `a`, `!a`. */
function matchesLabelSelector(labels: Record<string, string> | undefined, selector: string): boolean {
  const present = labels ?? {};
  return selector
    .split(",")
    .map((term) => term.trim())
    .filter((term) => term !== "")
    .every((term) => {
      const notEqual = /^([^!=]+)!=(.*)$/.exec(term);
      if (notEqual) return present[notEqual[1]!.trim()] !== notEqual[2]!.trim();
      const equal = /^([^!=]+)==?(.*)$/.exec(term);
      if (equal) return present[equal[1]!.trim()] === equal[2]!.trim();
      if (term.startsWith("!")) return !(term.slice(1) in present);
      return term in present;
    });
}

export async function startKubeApiStandIn(options: KubeApiStandInOptions = {}): Promise<KubeApiStandIn> {
  const simulateKeda = options.simulateKeda ?? true;
  const user = options.user ?? "system:serviceaccount:presage:presage";
  /** Stored objects by `group/plural` → `namespace/name`. */
  const store = new Map<string, Map<string, KubeObject>>();
  const requests: RecordedRequest[] = [];
  const faults: { fault: KubeFault; remaining: number }[] = [];
  const interleaved: { method: HttpMethod; path: string | RegExp; action: () => void | Promise<void> }[] = [];
  const waiters = new Set<() => void>();
  let revision = 100;

  const bucket = (type: ResourceType): Map<string, KubeObject> => {
    const key = `${type.group}/${type.plural}`;
    let objects = store.get(key);
    if (!objects) {
      objects = new Map();
      store.set(key, objects);
    }
    return objects;
  };

  const typeOfObject = (object: KubeObject): ResourceType => {
    const type = RESOURCE_TYPES.find(
      (candidate) => apiVersionOf(candidate) === object.apiVersion && candidate.kind === object.kind,
    );
    if (!type) throw new Error(`stand-in: no resource for ${object.apiVersion}/${object.kind}`);
    return type;
  };

  const pathMatches = (pattern: string | RegExp, path: string): boolean =>
    typeof pattern === "string" ? pattern === path : pattern.test(path);

  const notFound = (type: ResourceType, name: string): StatusError =>
    new StatusError(
      status(404, `${groupResource(type)} "${name}" not found`, {
        name,
        group: type.group,
        kind: type.plural,
      }),
    );

  const conflict = (type: ResourceType, name: string): StatusError =>
    new StatusError(
      status(
        409,
        `Operation cannot be fulfilled on ${groupResource(type)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        { name, group: type.group, kind: type.plural },
      ),
    );

  const invalid = (
    type: ResourceType,
    name: string,
    causes: { field: string; message: string }[],
  ): StatusError =>
    new StatusError(
      status(
        422,
        `${type.group === "" ? type.kind : `${type.kind}.${type.group}`} "${name}" is invalid: ${causes
          .map((cause) => `${cause.field}: ${cause.message}`)
          .join(", ")}`,
        {
          name,
          group: type.group,
          kind: type.kind,
          causes: causes.map((cause) => ({ reason: "FieldValueInvalid", ...cause })),
        },
      ),
    );

  /** Decode errors (400) and field validation (422) for what presage writes. */
  const validate = (type: ResourceType, object: KubeObject): void => {
    const name = object.metadata?.name ?? "";
    const causes: { field: string; message: string }[] = [];
    for (const [key, value] of Object.entries(object.metadata?.annotations ?? {})) {
      if (typeof value !== "string") {
        throw new StatusError(
          status(
            400,
            `json: cannot unmarshal ${typeof value} into Go struct field ObjectMeta.metadata.annotations of type string (annotation ${key})`,
          ),
        );
      }
    }
    const spec = isRecord(object.spec) ? object.spec : {};
    if (type.kind === "HorizontalPodAutoscaler") {
      const max = spec.maxReplicas;
      const min = spec.minReplicas;
      if (typeof max !== "number" || !Number.isInteger(max) || max < 1) {
        causes.push({
          field: "spec.maxReplicas",
          message: `Invalid value: ${String(max)}: must be greater than or equal to 1`,
        });
      }
      if (min !== undefined && min !== null) {
        if (typeof min !== "number" || !Number.isInteger(min)) {
          throw new StatusError(
            status(
              400,
              `json: cannot unmarshal ${typeof min} into Go struct field HorizontalPodAutoscalerSpec.spec.minReplicas of type int32`,
            ),
          );
        }
        if (min < 1) {
          causes.push({
            field: "spec.minReplicas",
            message: `Invalid value: ${min}: must be greater than or equal to 1`,
          });
        } else if (typeof max === "number" && min > max) {
          causes.push({
            field: "spec.maxReplicas",
            message: `Invalid value: ${max}: must be greater than or equal to \`minReplicas\``,
          });
        }
      }
    }
    if (type.kind === "ScaledObject") {
      const min = spec.minReplicaCount;
      if (
        min !== undefined &&
        min !== null &&
        (typeof min !== "number" || !Number.isInteger(min) || min < 0)
      ) {
        causes.push({
          field: "spec.minReplicaCount",
          message: `Invalid value: ${JSON.stringify(min)}: must be a non-negative integer`,
        });
      }
    }
    if (type.kind === "Lease") {
      for (const field of ["acquireTime", "renewTime"] as const) {
        const value = spec[field];
        if (value !== undefined && value !== null && (typeof value !== "string" || !MICRO_TIME.test(value))) {
          throw new StatusError(
            status(
              400,
              `Lease in version "v1" cannot be handled as a Lease: parsing time ${JSON.stringify(value)} as "2006-01-02T15:04:05.000000Z07:00": cannot parse as RFC3339Micro (spec.${field})`,
            ),
          );
        }
      }
      const duration = spec.leaseDurationSeconds;
      if (
        duration !== undefined &&
        duration !== null &&
        (typeof duration !== "number" || !Number.isInteger(duration))
      ) {
        throw new StatusError(
          status(
            400,
            `Lease in version "v1" cannot be handled as a Lease: spec.leaseDurationSeconds must be an int32`,
          ),
        );
      }
    }
    if (type.kind === "Event" && !isRecord(object.involvedObject)) {
      causes.push({ field: "involvedObject", message: "Required value" });
    }
    if (causes.length > 0) throw invalid(type, name, causes);
  };

  /** Writes `object` (already validated) and returns the stored copy. */
  const commit = (type: ResourceType, namespace: string, name: string, object: KubeObject): KubeObject => {
    const stored = clone(object);
    stored.apiVersion = apiVersionOf(type);
    stored.kind = type.kind;
    stored.metadata = {
      ...stored.metadata,
      name,
      ...(type.clusterScoped === true ? {} : { namespace }),
      resourceVersion: String(++revision),
    };
    stored.metadata.uid ??= randomUUID();
    stored.metadata.creationTimestamp ??= new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
    bucket(type).set(`${namespace}/${name}`, stored);
    afterWrite(type, stored);
    return clone(stored);
  };

  const hpaType = RESOURCE_TYPES.find((type) => type.kind === "HorizontalPodAutoscaler")!;
  const deploymentType = RESOURCE_TYPES.find((type) => type.kind === "Deployment")!;
  const replicaSetType = RESOURCE_TYPES.find((type) => type.kind === "ReplicaSet")!;
  const deployments: SimulatedDeployments | undefined =
    options.simulateDeployments === true ? {} : options.simulateDeployments || undefined;
  /** The last spec seen per Deployment, to count generations. */
  const deploymentSpecs = new Map<string, string>();

  const reconcileDeployment = (deployment: KubeObject): void => {
    const namespace = deployment.metadata?.namespace ?? "";
    const name = deployment.metadata?.name ?? "";
    const key = `${namespace}/${name}`;
    const spec = isRecord(deployment.spec) ? deployment.spec : {};
    const specText = JSON.stringify(spec);
    const metadata = (deployment.metadata ??= {});
    if (deploymentSpecs.get(key) !== specText) {
      metadata.generation = (typeof metadata.generation === "number" ? metadata.generation : 0) + 1;
      deploymentSpecs.set(key, specText);
    }
    const template = clone(isRecord(spec.template) ? spec.template : {}) as KubeObject;
    const templateLabels = { ...(template.metadata?.labels ?? {}) };
    delete templateLabels["pod-template-hash"];
    template.metadata = { ...template.metadata, labels: templateLabels };
    const hash = createHash("sha256").update(JSON.stringify(template)).digest("hex").slice(0, 10);
    const owned = [...bucket(replicaSetType).values()].filter(
      (rs) =>
        rs.metadata?.namespace === namespace &&
        rs.metadata.ownerReferences?.some((owner) => owner.uid === metadata.uid) === true,
    );
    const revisionOf = (object: KubeObject): number =>
      Number(object.metadata?.annotations?.["deployment.kubernetes.io/revision"] ?? 0) || 0;
    const currentRevision = revisionOf(deployment);
    let current = owned.find((rs) => rs.metadata?.labels?.["pod-template-hash"] === hash);
    const replicas = typeof spec.replicas === "number" ? spec.replicas : 1;
    let rolledOut = false;
    if (current === undefined || revisionOf(current) !== currentRevision || currentRevision === 0) {
      const next = Math.max(0, ...owned.map(revisionOf)) + 1;
      if (current === undefined) {
        const selector =
          isRecord(spec.selector) && isRecord(spec.selector.matchLabels) ? spec.selector.matchLabels : {};
        current = {
          apiVersion: "apps/v1",
          kind: "ReplicaSet",
          metadata: {
            name: `${name}-${hash}`,
            namespace,
            uid: randomUUID(),
            creationTimestamp: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
            labels: { ...templateLabels, "pod-template-hash": hash },
            annotations: {},
            ownerReferences: [
              { apiVersion: "apps/v1", kind: "Deployment", name, uid: metadata.uid ?? "", controller: true },
            ],
          },
          spec: {
            replicas,
            selector: { matchLabels: { ...selector, "pod-template-hash": hash } },
            template: {
              ...template,
              metadata: { ...template.metadata, labels: { ...templateLabels, "pod-template-hash": hash } },
            },
          },
        };
        bucket(replicaSetType).set(`${namespace}/${current.metadata!.name!}`, current);
        owned.push(current);
      }
      current.metadata!.annotations = {
        ...current.metadata!.annotations,
        "deployment.kubernetes.io/revision": String(next),
      };
      metadata.annotations = { ...metadata.annotations, "deployment.kubernetes.io/revision": String(next) };
      rolledOut = true;
    }
    for (const rs of owned) {
      const rsSpec = isRecord(rs.spec) ? rs.spec : {};
      rs.spec = { ...rsSpec, replicas: rs === current ? replicas : 0 };
      rs.metadata = { ...rs.metadata, resourceVersion: String(++revision) };
    }
    const ready = deployments?.rolloutReady?.(deployment) ?? true;
    const counts = deployments?.status?.(deployment);
    deployment.status =
      counts === undefined
        ? {
            observedGeneration: metadata.generation,
            replicas,
            updatedReplicas: ready ? replicas : 0,
            readyReplicas: ready ? replicas : 0,
            availableReplicas: ready ? replicas : 0,
            unavailableReplicas: ready ? 0 : replicas,
          }
        : {
            observedGeneration: metadata.generation,
            ...counts,
            unavailableReplicas: Math.max(0, replicas - counts.availableReplicas),
          };
    metadata.resourceVersion = String(++revision);
    if (rolledOut) {
      deployments?.onRollout?.({
        namespace,
        name,
        revision: revisionOf(deployment),
        template: spec.template,
      });
    }
  };
  const scaledObjectType = RESOURCE_TYPES.find((type) => type.kind === "ScaledObject")!;

  /** KEDA's operator: owned HPAs follow their ScaledObject's minReplicaCount, whoever edits them. */
  const afterWrite = (type: ResourceType, stored: KubeObject): void => {
    if (deployments !== undefined && type === deploymentType) reconcileDeployment(stored);
    if (!simulateKeda) return;
    const namespace = stored.metadata?.namespace ?? "";
    if (type === scaledObjectType) {
      for (const hpa of bucket(hpaType).values()) {
        if (hpa.metadata?.namespace === namespace && ownerScaledObject(hpa) === stored.metadata?.name) {
          reconcileKedaHpa(hpa, stored);
        }
      }
    } else if (type === hpaType) {
      const owner = ownerScaledObject(stored);
      const scaledObject =
        owner === undefined ? undefined : bucket(scaledObjectType).get(`${namespace}/${owner}`);
      if (scaledObject) reconcileKedaHpa(stored, scaledObject);
    }
  };

  const ownerScaledObject = (object: KubeObject): string | undefined =>
    object.metadata?.ownerReferences?.find(
      (owner) => owner.kind === "ScaledObject" && owner.apiVersion.startsWith("keda.sh/"),
    )?.name;

  const reconcileKedaHpa = (hpa: KubeObject, scaledObject: KubeObject): void => {
    const soSpec = isRecord(scaledObject.spec) ? scaledObject.spec : {};
    const wanted = Math.max(1, typeof soSpec.minReplicaCount === "number" ? soSpec.minReplicaCount : 0);
    const hpaSpec = isRecord(hpa.spec) ? hpa.spec : {};
    if (hpaSpec.minReplicas === wanted) return;
    hpa.spec = { ...hpaSpec, minReplicas: wanted };
    hpa.metadata = { ...hpa.metadata, resourceVersion: String(++revision) };
  };

  const findObject = (type: ResourceType, namespace: string, name: string): KubeObject | undefined =>
    bucket(type).get(`${namespace}/${name}`);

  const forList = (type: ResourceType, object: KubeObject): KubeObject => {
    const item = clone(object);
    if (!type.custom) {
      delete item.apiVersion;
      delete item.kind;
    }
    return item;
  };

  const serve = (
    method: string,
    route: Route,
    query: URLSearchParams,
    body: unknown,
    contentType: string,
  ): Answer => {
    const { type, name } = route;
    const namespace = type.clusterScoped === true ? "" : route.namespace;
    if (method === "GET" && name === undefined) {
      const selector = query.get("labelSelector") ?? "";
      const items = [...bucket(type).values()]
        .filter(
          (object) => namespace === undefined || namespace === "" || object.metadata?.namespace === namespace,
        )
        .filter((object) => matchesLabelSelector(object.metadata?.labels, selector))
        .map((object) => forList(type, object));
      return {
        status: 200,
        body: {
          apiVersion: apiVersionOf(type),
          kind: `${type.kind}List`,
          metadata: { resourceVersion: String(revision) },
          items,
        },
      };
    }
    if (namespace === undefined) {
      throw new StatusError(status(405, `the server does not allow this method on the requested resource`));
    }
    if (method === "POST" && name === undefined) {
      if (!isRecord(body))
        throw new StatusError(status(400, "the body of the request was not a JSON object"));
      const object = body as KubeObject;
      const metadata = object.metadata ?? {};
      if (
        metadata.namespace !== undefined &&
        type.clusterScoped !== true &&
        metadata.namespace !== namespace
      ) {
        throw new StatusError(
          status(
            400,
            "the namespace of the provided object does not match the namespace sent on the request",
          ),
        );
      }
      const objectName =
        metadata.name ??
        (metadata.generateName === undefined
          ? undefined
          : `${metadata.generateName}${randomUUID().slice(0, 5)}`);
      if (objectName === undefined || objectName === "") {
        throw invalid(type, "", [
          { field: "metadata.name", message: "Required value: name or generateName is required" },
        ]);
      }
      if (findObject(type, namespace, objectName)) {
        throw new StatusError(
          status(
            409,
            `${groupResource(type)} "${objectName}" already exists`,
            { name: objectName, group: type.group, kind: type.plural },
            "AlreadyExists",
          ),
        );
      }
      const created = { ...object, metadata: { ...metadata, name: objectName } };
      delete created.metadata.resourceVersion;
      validate(type, created);
      return { status: 201, body: commit(type, namespace, objectName, created) };
    }
    if (name === undefined) {
      throw new StatusError(status(405, `the server does not allow this method on the requested resource`));
    }
    const current = findObject(type, namespace, name);
    if (method === "GET") {
      if (!current) throw notFound(type, name);
      return { status: 200, body: clone(current) };
    }
    if (method === "DELETE") {
      if (!current) throw notFound(type, name);
      bucket(type).delete(`${namespace}/${name}`);
      return {
        status: 200,
        body: {
          kind: "Status",
          apiVersion: "v1",
          metadata: {},
          status: "Success",
          details: { name, group: type.group, kind: type.plural, uid: current.metadata?.uid },
        },
      };
    }
    if (method === "PUT") {
      if (!isRecord(body))
        throw new StatusError(status(400, "the body of the request was not a JSON object"));
      if (!current) throw notFound(type, name);
      const replacement = body as KubeObject;
      if (replacement.metadata?.name !== undefined && replacement.metadata.name !== name) {
        throw new StatusError(status(400, "the name of the object does not match the name on the URL"));
      }
      const sentVersion = replacement.metadata?.resourceVersion;
      if (
        sentVersion !== undefined &&
        sentVersion !== "" &&
        sentVersion !== current.metadata?.resourceVersion
      ) {
        throw conflict(type, name);
      }
      const next: KubeObject = {
        ...replacement,
        metadata: {
          ...replacement.metadata,
          uid: current.metadata?.uid,
          creationTimestamp: current.metadata?.creationTimestamp,
        },
      };
      validate(type, next);
      return { status: 200, body: commit(type, namespace, name, next) };
    }
    if (method === "PATCH") {
      if (!current) throw notFound(type, name);
      let patched: unknown;
      switch (contentType) {
        case "application/merge-patch+json":
        case "application/strategic-merge-patch+json":
          if (!isRecord(body))
            throw new StatusError(status(400, "the body of the request was not a JSON object"));
          patched = applyMergePatch(current, body);
          break;
        case "application/json-patch+json":
          if (!Array.isArray(body))
            throw new StatusError(status(400, "json patch must be an array of operations"));
          try {
            patched = applyJsonPatch(current, body as JsonPatchOperation[]);
          } catch (error) {
            throw new StatusError(
              status(
                422,
                `the server rejected our request due to an error in our request: ${(error as Error).message}`,
              ),
            );
          }
          break;
        default:
          throw new StatusError(
            status(
              415,
              `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (got ${JSON.stringify(contentType)})`,
            ),
          );
      }
      if (!isRecord(patched)) throw new StatusError(status(400, "the patch did not produce an object"));
      const next = patched as KubeObject;
      if (next.metadata?.name !== name || (next.metadata.namespace ?? "") !== namespace) {
        throw new StatusError(
          status(400, "metadata.name and metadata.namespace cannot be changed by a patch"),
        );
      }
      const sentVersion = next.metadata.resourceVersion;
      if (sentVersion !== undefined && sentVersion !== current.metadata?.resourceVersion) {
        throw conflict(type, name);
      }
      validate(type, next);
      return { status: 200, body: commit(type, namespace, name, next) };
    }
    throw new StatusError(status(405, `the server does not allow this method on the requested resource`));
  };

  const faultAnswer = (fault: KubeFault, method: string, route: Route | undefined): Answer => {
    const name = route?.name ?? "";
    const resource = route === undefined ? "unknown" : groupResource(route.type);
    const details =
      route === undefined ? undefined : { name, group: route.type.group, kind: route.type.plural };
    const retryAfterSeconds = fault.retryAfterSeconds ?? 1;
    switch (fault.status) {
      case 403: {
        const verb = route === undefined ? method.toLowerCase() : verbOf(method, route);
        const subject = name === "" ? resource : `${resource} "${name}"`;
        const scope =
          route?.namespace === undefined ? "at the cluster scope" : `in the namespace "${route.namespace}"`;
        return status(
          403,
          fault.message ??
            `${subject} is forbidden: User "${user}" cannot ${verb} resource "${route?.type.plural ?? "unknown"}" in API group "${route?.type.group ?? ""}" ${scope}`,
          details,
        );
      }
      case 404:
        return status(404, fault.message ?? `${resource} "${name}" not found`, details);
      case 409:
        return status(
          409,
          fault.message ??
            `Operation cannot be fulfilled on ${resource} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
          details,
        );
      case 422:
        return status(
          422,
          fault.message ?? `${route?.type.kind ?? "object"} "${name}" is invalid: spec: Invalid value`,
          {
            ...details,
            causes: [{ reason: "FieldValueInvalid", message: "Invalid value", field: "spec" }],
          },
        );
      case 429:
      case 503: {
        const answer = status(
          fault.status,
          fault.message ??
            (fault.status === 429
              ? "Too many requests, please try again later."
              : "The server is currently unable to handle the request"),
          { ...details, retryAfterSeconds },
        );
        return { ...answer, headers: { "retry-after": String(retryAfterSeconds) } };
      }
      case 500:
        return status(
          500,
          fault.message ?? "Internal error occurred: etcdserver: request timed out",
          details,
        );
    }
  };

  const readBody = async (request: IncomingMessage): Promise<string> => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? "/", "http://localhost");
    const method = (request.method ?? "GET").toUpperCase();
    const contentType = request.headers["content-type"]?.split(";")[0]?.trim().toLowerCase();
    const text = await readBody(request);
    let body: unknown = undefined;
    let bodyIsJson = true;
    if (text !== "") {
      try {
        body = JSON.parse(text) as unknown;
      } catch {
        body = text;
        bodyIsJson = false;
      }
    }
    const route = parseRoute(url.pathname);
    let answer: Answer;
    const slot = faults.find(
      (entry) =>
        entry.remaining > 0 &&
        (entry.fault.method === undefined || entry.fault.method === method) &&
        pathMatches(entry.fault.path, url.pathname),
    );
    const refused =
      route !== undefined &&
      options.authorize !== undefined &&
      !options.authorize({
        verb: verbOf(method, route, url.searchParams),
        group: route.type.group,
        resource: route.type.plural,
        namespace: route.namespace,
        name: method === "POST" ? undefined : route.name,
      });
    if (slot) {
      slot.remaining--;
      answer = faultAnswer(slot.fault, method, route);
    } else if (refused) {
      answer = faultAnswer({ path: url.pathname, status: 403 }, method, route);
    } else {
      const hook = interleaved.findIndex(
        (entry) => entry.method === method && pathMatches(entry.path, url.pathname),
      );
      if (hook >= 0) await interleaved.splice(hook, 1)[0]!.action();
      if (!route) {
        answer = status(404, "the server could not find the requested resource", undefined, "NotFound");
      } else if (!bodyIsJson) {
        answer = status(400, `the body of the request could not be decoded as JSON: ${text.slice(0, 80)}`);
      } else {
        try {
          answer = serve(method, route, url.searchParams, body, contentType ?? "");
        } catch (error) {
          if (!(error instanceof StatusError)) throw error;
          answer = error.answer;
        }
      }
    }
    requests.push({
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      contentType,
      body,
      status: answer.status,
    });
    response.writeHead(answer.status, { "content-type": "application/json", ...answer.headers });
    response.end(JSON.stringify(answer.body));
    for (const wake of waiters) wake();
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      const answer = status(500, `stand-in failure: ${String(error)}`);
      response.writeHead(answer.status, { "content-type": "application/json" });
      response.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  const locate = (path: string): { route: Route; namespace: string; name: string } => {
    const route = parseRoute(path);
    if (!route || route.name === undefined) {
      throw new Error(`stand-in: ${path} is not the path of an object`);
    }
    return {
      route,
      namespace: route.type.clusterScoped === true ? "" : (route.namespace ?? ""),
      name: route.name,
    };
  };

  return {
    url,
    get requests() {
      return requests;
    },
    writes: () => requests.filter((request) => request.method !== "GET"),
    clearRequests: () => {
      requests.length = 0;
    },
    seed: (object) => {
      const type = typeOfObject(object);
      const namespace = type.clusterScoped === true ? "" : (object.metadata?.namespace ?? "default");
      const name = object.metadata?.name;
      if (name === undefined) throw new Error("stand-in: seeded objects need metadata.name");
      const copy = clone(object);
      if (copy.metadata) delete copy.metadata.resourceVersion;
      validate(type, copy);
      return commit(type, namespace, name, copy);
    },
    read: (path) => {
      const { route, namespace, name } = locate(path);
      const found = findObject(route.type, namespace, name);
      return found === undefined ? undefined : clone(found);
    },
    mutate: (path, change) => {
      const { route, namespace, name } = locate(path);
      const found = findObject(route.type, namespace, name);
      if (!found) throw new Error(`stand-in: nothing at ${path}`);
      const next = clone(found);
      change(next);
      validate(route.type, next);
      return commit(route.type, namespace, name, next);
    },
    list: (collection, labelSelector = "") => {
      const route = parseRoute(collection);
      if (!route || route.name !== undefined) {
        throw new Error(`stand-in: ${collection} is not the path of a collection`);
      }
      return [...bucket(route.type).values()]
        .filter((object) => route.namespace === undefined || object.metadata?.namespace === route.namespace)
        .filter((object) => matchesLabelSelector(object.metadata?.labels, labelSelector))
        .map((object) => clone(object));
    },
    remove: (path) => {
      const { route, namespace, name } = locate(path);
      return bucket(route.type).delete(`${namespace}/${name}`);
    },
    injectFault: (fault) => {
      faults.push({ fault, remaining: fault.times ?? 1 });
    },
    beforeRequest: (method, path, action) => {
      interleaved.push({ method, path, action });
    },
    waitForRequests: (predicate, timeoutMs = 10_000) =>
      new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (!predicate(requests)) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`stand-in: the awaited requests did not arrive within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    kubeConfigOptions: () => ({
      // client-node v2 refuses a plain http:// server unless skipTLSVerify is set.
      clusters: [{ name: "stand-in", server: url, skipTLSVerify: true }],
      users: [{ name: "presage", token: "stand-in-token" }],
      contexts: [{ name: "stand-in", cluster: "stand-in", user: "presage", namespace: "presage" }],
      currentContext: "stand-in",
    }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => {
          if (error) reject(error);
          else resolve();
        });
      }),
  };
}

/** The RBAC attributes of a recorded request (undefined for paths the stand-in does not serve). */
export function requestAttributes(request: RecordedRequest): RequestAttributes | undefined {
  const route = parseRoute(request.path);
  if (!route) return undefined;
  return {
    verb: verbOf(request.method, route, new URLSearchParams(request.query)),
    group: route.type.group,
    resource: route.type.plural,
    namespace: route.namespace,
    name: request.method === "POST" ? undefined : route.name,
  };
}

/** The resource a list path names, for tests that build paths by hand. */
export function collectionPath(apiVersion: string, plural: string, namespace?: string): string {
  const type = RESOURCE_TYPES.find(
    (candidate) => apiVersionOf(candidate) === apiVersion && candidate.plural === plural,
  );
  if (!type) throw new Error(`stand-in: no resource ${apiVersion} ${plural}`);
  return namespace === undefined
    ? `${basePath(type)}/${plural}`
    : `${basePath(type)}/namespaces/${namespace}/${plural}`;
}
