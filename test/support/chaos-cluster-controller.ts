import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { DEMO_CONTROL_PATH, type DemoControl } from "./chaos-demo-service.js";
import { freePort } from "./free-port.js";
import {
  collectionPath,
  kubePaths,
  type KubeApiStandIn,
  type KubeObject,
  type SimulatedDeployments,
} from "./kube-api-stand-in.js";

const REVISION = "deployment.kubernetes.io/revision";
const HASH_LABEL = "pod-template-hash";
const POD_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

/** A late-bound controller, so the stand-in (started first) can ask it for Deployment status. */
export interface ChaosControllerRef {
  current?: ChaosClusterController;
}

/**
 * The stand-in's Deployment simulation wired to a chaos controller: the stand-in keeps generations,
 * ReplicaSets and revisions; the controller reports the pod counts its real processes have.
 */
export function chaosDeploymentSimulation(ref: ChaosControllerRef): SimulatedDeployments {
  return {
    rolloutReady: () => false,
    status: (deployment) => ref.current?.statusCounts(deployment),
  };
}

/** Options of {@link ChaosClusterController}. */
export interface ChaosClusterControllerOptions {
  readonly standIn: KubeApiStandIn;
  /** The transpiled demo entry (see {@link prepareDemoEntry}). */
  readonly demoEntry: string;
  /** Prometheus `file_sd` file the pods are listed in (rewritten atomically when they change). */
  readonly targetsFile: string;
  /** How often the stand-in's objects are compared with the running processes. @defaultValue 100 */
  readonly pollMs?: number;
  /** First crash-loop back-off; doubles per crash up to `maxBackoffMs`. @defaultValue 300 */
  readonly backoffMs?: number;
  /** @defaultValue 1500 */
  readonly maxBackoffMs?: number;
  /**
   * Fixed scrape slots (ports) listed in the targets file once. Prometheus 2.42 hands service-discovery
   * changes to the scrapers at most every 5 s (not configurable), which at the chaos run's time scale
   * is 5 production minutes; so pods take a free slot and label their own series instead of appearing
   * as new targets. A pod finding no free slot is listed as a target of its own. @defaultValue 48
   */
  readonly scrapeSlots?: number;
  /** Requests per second a Deployment gets unless `setLoad` says otherwise. @defaultValue 40 */
  readonly defaultLoadRps?: number;
  /** @defaultValue none */
  readonly log?: (line: string) => void;
}

/** One pod and its container process. */
interface PodState {
  readonly name: string;
  readonly namespace: string;
  readonly deployment: string;
  readonly hash: string;
  readonly uid: string;
  readonly node: string;
  port: number;
  readonly version: string;
  readonly memoryLimitBytes: number;
  readonly cpuRequestCores: number;
  child: ChildProcess | undefined;
  ready: boolean;
  restarts: number;
  backoffMs: number;
  restartTimer: NodeJS.Timeout | undefined;
  deleting: boolean;
  readySinceMs: number | undefined;
  /** The last control message sent (JSON), to send only changes. */
  sentControl: string;
}

/** What the harness injected into a Deployment that outlives its pods. */
interface WorkloadState {
  loadRps: number;
  /** Errors every process of the Deployment returns (a broken dependency): restarts cannot fix them. */
  persistentErrorRatio: number;
}

function quantityBytes(text: unknown, fallback: number): number {
  if (typeof text !== "string") return fallback;
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|k|M|G)?$/.exec(text);
  if (!match) return fallback;
  const unit = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, k: 1e3, M: 1e6, G: 1e9 }[match[2] ?? ""] ?? 1;
  return Number(match[1]) * unit;
}

function quantityCores(text: unknown, fallback: number): number {
  if (typeof text === "number") return text;
  if (typeof text !== "string") return fallback;
  const milli = /^(\d+)m$/.exec(text);
  if (milli) return Number(milli[1]) / 1000;
  const cores = Number(text);
  return Number.isFinite(cores) ? cores : fallback;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function firstContainer(template: unknown): Record<string, unknown> {
  const containers = record(record(template).spec).containers;
  return Array.isArray(containers) ? record(containers[0]) : {};
}

/** A field read from an untyped object as text ("" when it is not a string or number). */
function text(value: unknown): string {
  return typeof value === "string" ? value : typeof value === "number" ? String(value) : "";
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function labels(pairs: Record<string, string>): string {
  return `{${Object.entries(pairs)
    .map(([key, value]) => `${key}="${escapeLabel(value)}"`)
    .join(",")}}`;
}

/**
 * The kubelet and Deployment controller of the chaos test's simulated cluster. It watches the
 * stand-in's Deployments (polling its in-memory state) and makes real demo processes follow them:
 *
 * - a new revision (a `restartedAt` template change, an image change, a roll back) starts new pods of
 *   the current ReplicaSet and removes the old ones once every new pod is Ready (maxUnavailable 0: a
 *   revision that never gets Ready — a crash loop — leaves the old pods serving, as Kubernetes does);
 * - `spec.replicas` changes start or stop pods; new pods go to schedulable nodes only (cordon works);
 * - a crashed container is restarted in the same pod after a doubling back-off (`restartCount`);
 * - Pod objects, and the Deployment's status counts (through {@link chaosDeploymentSimulation}), stay
 *   truthful, so `kubectl rollout status`-style verification reads real progress;
 * - a Job pinned to a node (presage's clean-up) "runs" and frees the node's disk when it can.
 *
 * It also serves kube-state-metrics-shaped series of the stand-in's objects (`ksmUrl`) and keeps the
 * pods in Prometheus' `file_sd` targets file.
 */
export class ChaosClusterController {
  private readonly pods = new Map<string, PodState>();
  private readonly workloads = new Map<string, WorkloadState>();
  private readonly cleanableDisk = new Map<string, boolean>();
  private readonly handledJobs = new Set<string>();
  private readonly pollMs: number;
  private readonly log: (line: string) => void;
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private targetsText = "";
  private targetsWrite: Promise<void> = Promise.resolve();
  private ksm: Server | undefined;
  private ksmPort = 0;
  private closed = false;
  private slots: number[] = [];
  /**
   * Slots another process took after they were reserved (a pod there exits with EADDRINUSE): the
   * port was only known free, not held, so a concurrent test may have bound it since.
   */
  private readonly takenSlots = new Set<number>();
  /** Pods started over the controller's life (new pods, not container restarts). */
  podsStarted = 0;

  constructor(private readonly options: ChaosClusterControllerOptions) {
    this.pollMs = options.pollMs ?? 100;
    this.log = options.log ?? (() => undefined);
  }

  /** `http://127.0.0.1:<port>/metrics` of the kube-state-metrics endpoint. */
  get ksmUrl(): string {
    return `http://127.0.0.1:${this.ksmPort}/metrics`;
  }

  get ksmTarget(): string {
    return `127.0.0.1:${this.ksmPort}`;
  }

  async start(): Promise<void> {
    await mkdir(dirname(this.options.targetsFile), { recursive: true });
    const slots = new Set<number>();
    while (slots.size < (this.options.scrapeSlots ?? 48)) slots.add(await freePort());
    this.slots = [...slots];
    this.writeTargets();
    await this.targetsWrite;
    this.ksm = createServer((request, response) => {
      if ((request.url ?? "").split("?")[0] !== "/metrics") {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(this.kubeStateMetrics());
    });
    await new Promise<void>((resolve) => this.ksm!.listen(0, "127.0.0.1", resolve));
    this.ksmPort = (this.ksm.address() as AddressInfo).port;
    this.timer = setInterval(() => {
      this.reconcileAll();
    }, this.pollMs);
  }

  /** Seeds a Node (Ready, no disk pressure). */
  addNode(name: string): void {
    this.options.standIn.seed({
      apiVersion: "v1",
      kind: "Node",
      metadata: { name, labels: { "kubernetes.io/hostname": name } },
      spec: {},
      status: { conditions: nodeConditions(false) },
    });
  }

  /** Seeds a Deployment the controller runs (`image` `registry.example/demo:<version>`). */
  addDeployment(namespace: string, name: string, options: { replicas: number; version: string }): void {
    this.workloads.set(`${namespace}/${name}`, {
      loadRps: this.options.defaultLoadRps ?? 40,
      persistentErrorRatio: 0,
    });
    this.options.standIn.seed({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name, namespace, labels: { app: name } },
      spec: {
        replicas: options.replicas,
        selector: { matchLabels: { app: name } },
        strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: "100%" } },
        template: {
          metadata: { labels: { app: name } },
          spec: {
            containers: [
              {
                name: "app",
                image: `registry.example/demo:${options.version}`,
                resources: { requests: { cpu: "500m", memory: "128Mi" }, limits: { memory: "256Mi" } },
              },
            ],
          },
        },
      },
    });
  }

  /** Resolves once every managed Deployment's pods are Ready at its current revision. */
  async waitUntilSettled(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const pending = [...this.workloads.keys()].filter((key) => !this.rolledOut(key));
      if (pending.length === 0) return;
      if (Date.now() > deadline)
        throw new Error(`chaos: not rolled out within ${timeoutMs} ms: ${pending.join(", ")}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Whether a Deployment's current revision runs `replicas` Ready pods and nothing else. */
  rolledOut(key: string): boolean {
    const [namespace = "", name = ""] = key.split("/");
    const deployment = this.options.standIn.read(kubePaths.deployment(namespace, name));
    if (deployment === undefined) return false;
    const current = this.currentReplicaSet(deployment);
    const wanted = Number(record(deployment.spec).replicas ?? 1);
    const pods = this.podsOf(namespace, name);
    return (
      current !== undefined &&
      pods.length === wanted &&
      pods.every((pod) => pod.ready && pod.hash === current.hash)
    );
  }

  // --- faults and load -------------------------------------------------------------------------

  /** A memory leak in every running pod of the Deployment (gone with the process). */
  leak(namespace: string, name: string, bytesPerSecond: number): Promise<void> {
    return this.controlPods(namespace, name, { leakBytesPerSecond: bytesPerSecond });
  }

  /** An error burst in every running pod (gone with the process). */
  errorBurst(namespace: string, name: string, ratio: number): Promise<void> {
    return this.controlPods(namespace, name, { errorRatio: ratio });
  }

  /** Errors every process of the Deployment returns, new ones included (a dependency is down). */
  setPersistentErrors(namespace: string, name: string, ratio: number): void {
    this.workload(namespace, name).persistentErrorRatio = ratio;
    this.distribute(namespace, name);
  }

  /** Offered load of the Deployment, spread over its Ready pods. */
  setLoad(namespace: string, name: string, requestsPerSecond: number): void {
    this.workload(namespace, name).loadRps = requestsPerSecond;
    this.distribute(namespace, name);
  }

  /** A deploy (`kubectl set image`): a new revision with `registry.example/demo:<version>`. */
  deploy(namespace: string, name: string, version: string): void {
    this.options.standIn.mutate(kubePaths.deployment(namespace, name), (deployment) => {
      const container = firstContainer(record(deployment.spec).template);
      container.image = `registry.example/demo:${version}`;
    });
  }

  /** Sets `spec.replicas` as an HPA or a human would. */
  scale(namespace: string, name: string, replicas: number): void {
    this.options.standIn.mutate(kubePaths.deployment(namespace, name), (deployment) => {
      record(deployment.spec).replicas = replicas;
    });
  }

  /** The kubelet reports DiskPressure (or stops); `cleanable` pressure is freed by a clean-up Job. */
  setDiskPressure(node: string, pressure: boolean, cleanable = true): void {
    this.cleanableDisk.set(node, cleanable);
    this.options.standIn.mutate(kubePaths.node(node), (object) => {
      object.status = { ...record(object.status), conditions: nodeConditions(pressure) };
    });
  }

  /** `kubectl uncordon`. */
  uncordon(node: string): void {
    this.options.standIn.mutate(kubePaths.node(node), (object) => {
      object.spec = { ...record(object.spec), unschedulable: false };
    });
  }

  /** The version (image tag) of a Deployment's current template. */
  version(namespace: string, name: string): string {
    const deployment = this.options.standIn.read(kubePaths.deployment(namespace, name));
    return versionOf(firstContainer(record(deployment?.spec).template).image);
  }

  // --- status for the stand-in -----------------------------------------------------------------

  /** Pod counts for a Deployment's status, from the running processes. */
  statusCounts(deployment: KubeObject): {
    replicas: number;
    updatedReplicas: number;
    readyReplicas: number;
    availableReplicas: number;
  } {
    const namespace = deployment.metadata?.namespace ?? "";
    const name = deployment.metadata?.name ?? "";
    const current = this.currentReplicaSet(deployment);
    const pods = this.podsOf(namespace, name);
    const ready = pods.filter((pod) => pod.ready).length;
    return {
      replicas: pods.length,
      updatedReplicas: pods.filter((pod) => pod.hash === current?.hash).length,
      readyReplicas: ready,
      availableReplicas: ready,
    };
  }

  // --- reconciliation --------------------------------------------------------------------------

  private reconcileAll(): void {
    if (this.busy || this.closed) return;
    this.busy = true;
    try {
      for (const key of this.workloads.keys()) {
        const [namespace = "", name = ""] = key.split("/");
        try {
          this.reconcile(namespace, name);
        } catch (error) {
          this.log(`controller: ${key}: ${String(error)}`);
        }
      }
      this.runJobs();
      this.writeTargets();
    } finally {
      this.busy = false;
    }
  }

  private currentReplicaSet(deployment: KubeObject): { hash: string; template: unknown } | undefined {
    const namespace = deployment.metadata?.namespace ?? "";
    const revision = deployment.metadata?.annotations?.[REVISION];
    const uid = deployment.metadata?.uid;
    const rs = this.options.standIn
      .list(collectionPath("apps/v1", "replicasets", namespace))
      .find(
        (candidate) =>
          candidate.metadata?.annotations?.[REVISION] === revision &&
          candidate.metadata?.ownerReferences?.some((owner) => owner.uid === uid) === true,
      );
    const hash = rs?.metadata?.labels?.[HASH_LABEL];
    return hash === undefined ? undefined : { hash, template: record(rs?.spec).template };
  }

  private podsOf(namespace: string, name: string): PodState[] {
    return [...this.pods.values()].filter(
      (pod) => pod.namespace === namespace && pod.deployment === name && !pod.deleting,
    );
  }

  private reconcile(namespace: string, name: string): void {
    const path = kubePaths.deployment(namespace, name);
    const deployment = this.options.standIn.read(path);
    if (deployment === undefined) {
      for (const pod of this.podsOf(namespace, name)) this.deletePod(pod);
      return;
    }
    const current = this.currentReplicaSet(deployment);
    if (current === undefined) return;
    const wanted = Number(record(deployment.spec).replicas ?? 1);
    const pods = this.podsOf(namespace, name);
    const fresh = pods.filter((pod) => pod.hash === current.hash);
    for (let missing = wanted - fresh.length; missing > 0; missing--) {
      const pod = this.createPod(namespace, name, current.hash, current.template);
      if (pod === undefined) break;
      fresh.push(pod);
    }
    if (fresh.length > wanted) {
      const extra = [...fresh]
        .sort((a, b) => Number(a.ready) - Number(b.ready) || b.name.localeCompare(a.name))
        .slice(0, fresh.length - wanted);
      for (const pod of extra) this.deletePod(pod);
    }
    const freshReady = this.podsOf(namespace, name).filter(
      (pod) => pod.hash === current.hash && pod.ready,
    ).length;
    for (const pod of pods.filter((candidate) => candidate.hash !== current.hash)) {
      // Old pods that never got Ready go at once; serving ones once the new revision serves.
      if (!pod.ready || freshReady >= wanted) this.deletePod(pod);
    }
    this.distribute(namespace, name);
    const counts = this.statusCounts(deployment);
    const status = record(deployment.status);
    if (
      status.replicas !== counts.replicas ||
      status.updatedReplicas !== counts.updatedReplicas ||
      status.readyReplicas !== counts.readyReplicas ||
      status.availableReplicas !== counts.availableReplicas
    ) {
      // A no-op write re-runs the stand-in's reconcile, which asks statusCounts again.
      this.options.standIn.mutate(path, () => undefined);
    }
  }

  private schedulableNode(): string | undefined {
    const nodes = this.options.standIn
      .list(collectionPath("v1", "nodes"))
      .filter((node) => record(node.spec).unschedulable !== true)
      .map((node) => node.metadata?.name ?? "");
    const load = (node: string): number =>
      [...this.pods.values()].filter((pod) => pod.node === node && !pod.deleting).length;
    return nodes.sort((a, b) => load(a) - load(b) || a.localeCompare(b))[0];
  }

  private createPod(
    namespace: string,
    deployment: string,
    hash: string,
    template: unknown,
  ): PodState | undefined {
    const node = this.schedulableNode();
    if (node === undefined) {
      this.log(`controller: no schedulable node for a pod of ${namespace}/${deployment}`);
      return undefined;
    }
    let suffix = "";
    for (let index = 0; index < 5; index++) {
      suffix += POD_SUFFIX_ALPHABET.charAt(Math.floor(Math.random() * POD_SUFFIX_ALPHABET.length));
    }
    const container = firstContainer(template);
    const resources = record(container.resources);
    const pod: PodState = {
      name: `${deployment}-${hash}-${suffix}`,
      namespace,
      deployment,
      hash,
      uid: randomUUID(),
      node,
      port: 0,
      version: versionOf(container.image),
      memoryLimitBytes: quantityBytes(record(resources.limits).memory, 256 * 1024 ** 2),
      cpuRequestCores: quantityCores(record(resources.requests).cpu, 0.5),
      child: undefined,
      ready: false,
      restarts: 0,
      backoffMs: this.options.backoffMs ?? 300,
      restartTimer: undefined,
      deleting: false,
      readySinceMs: undefined,
      sentControl: "",
    };
    this.pods.set(pod.name, pod);
    this.podsStarted += 1;
    const templateMetadata = record(record(template).metadata);
    this.options.standIn.seed({
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: pod.name,
        namespace,
        uid: pod.uid,
        labels: { ...(record(templateMetadata.labels) as Record<string, string>), [HASH_LABEL]: hash },
        ownerReferences: [
          {
            apiVersion: "apps/v1",
            kind: "ReplicaSet",
            name: `${deployment}-${hash}`,
            uid: "",
            controller: true,
          },
        ],
      },
      spec: { nodeName: node, containers: record(record(template).spec).containers },
      status: this.podStatus(pod),
    });
    const used = new Set([...this.pods.values()].map((other) => other.port));
    const slot = this.slots.find((port) => !used.has(port) && !this.takenSlots.has(port));
    // The slot is taken at once (before the next pod of this reconcile looks for one).
    pod.port = slot ?? -1;
    void (slot === undefined ? freePort() : Promise.resolve(slot)).then(
      (port) => {
        pod.port = port;
        this.startContainer(pod);
      },
      (error: unknown) => {
        this.log(`controller: no port for ${pod.name}: ${String(error)}`);
      },
    );
    return pod;
  }

  private startContainer(pod: PodState): void {
    if (pod.deleting || this.closed) return;
    const workload = this.workload(pod.namespace, pod.deployment);
    const control: DemoControl = {
      requestsPerSecond: this.shareOf(pod),
      errorRatio: workload.persistentErrorRatio,
    };
    const child = spawn(process.execPath, [this.options.demoEntry], {
      env: {
        PATH: process.env.PATH ?? "",
        DEMO_PORT: String(pod.port),
        DEMO_VERSION: pod.version,
        DEMO_MEMORY_LIMIT_BYTES: String(pod.memoryLimitBytes),
        DEMO_CPU_REQUEST_CORES: String(pod.cpuRequestCores),
        DEMO_CONTROL: JSON.stringify(control),
        DEMO_LABELS: JSON.stringify(this.podLabels(pod)),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    pod.child = child;
    pod.sentControl = JSON.stringify(control);
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-2000);
    });
    child.stdout.on("data", (chunk: Buffer) => {
      if (!pod.ready && chunk.toString().includes("READY")) {
        pod.ready = true;
        pod.readySinceMs = Date.now();
        this.updatePodObject(pod);
      }
    });
    child.on("exit", (code, signal) => {
      if (pod.child !== child) return;
      pod.child = undefined;
      pod.ready = false;
      if (pod.deleting || this.closed) return;
      // A container that ran a while before crashing starts its back-off afresh, as the kubelet does.
      if (pod.readySinceMs !== undefined && Date.now() - pod.readySinceMs > 10_000) {
        pod.backoffMs = this.options.backoffMs ?? 300;
      }
      pod.readySinceMs = undefined;
      pod.restarts += 1;
      if (stderr.includes("EADDRINUSE")) {
        // Restarting on the same port would fail forever: move the pod to a free slot.
        this.takenSlots.add(pod.port);
        const used = new Set([...this.pods.values()].map((other) => other.port));
        const free = this.slots.find((port) => !used.has(port) && !this.takenSlots.has(port));
        if (free !== undefined) pod.port = free;
      }
      this.log(
        `controller: ${pod.namespace}/${pod.name} exited (${code ?? signal ?? "?"}), restart ${pod.restarts} in ${pod.backoffMs} ms${stderr === "" ? "" : `: ${stderr.trim().split("\n").pop() ?? ""}`}`,
      );
      this.updatePodObject(pod, code ?? 137);
      pod.restartTimer = setTimeout(() => {
        pod.restartTimer = undefined;
        this.startContainer(pod);
      }, pod.backoffMs);
      pod.backoffMs = Math.min(this.options.maxBackoffMs ?? 1500, pod.backoffMs * 2);
    });
  }

  private deletePod(pod: PodState): void {
    if (pod.deleting) return;
    pod.deleting = true;
    pod.ready = false;
    if (pod.restartTimer !== undefined) clearTimeout(pod.restartTimer);
    this.options.standIn.remove(kubePaths.pod(pod.namespace, pod.name));
    const child = pod.child;
    const forget = (): void => {
      this.pods.delete(pod.name);
    };
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) {
      forget();
      return;
    }
    const kill = setTimeout(() => child.kill("SIGKILL"), 2000);
    child.once("exit", () => {
      clearTimeout(kill);
      forget();
    });
    child.kill("SIGTERM");
  }

  private podStatus(pod: PodState, exitCode?: number): Record<string, unknown> {
    return {
      phase: "Running",
      conditions: [{ type: "Ready", status: pod.ready ? "True" : "False" }],
      containerStatuses: [
        {
          name: "app",
          ready: pod.ready,
          restartCount: pod.restarts,
          image: `registry.example/demo:${pod.version}`,
          state: pod.ready
            ? { running: {} }
            : exitCode === undefined
              ? { waiting: { reason: "ContainerCreating" } }
              : { waiting: { reason: "CrashLoopBackOff" } },
          ...(exitCode === undefined ? {} : { lastState: { terminated: { exitCode } } }),
        },
      ],
    };
  }

  private updatePodObject(pod: PodState, exitCode?: number): void {
    if (pod.deleting) return;
    const path = kubePaths.pod(pod.namespace, pod.name);
    if (this.options.standIn.read(path) === undefined) return;
    this.options.standIn.mutate(path, (object) => {
      object.status = this.podStatus(pod, exitCode);
    });
  }

  private workload(namespace: string, name: string): WorkloadState {
    const key = `${namespace}/${name}`;
    let workload = this.workloads.get(key);
    if (workload === undefined) {
      workload = { loadRps: this.options.defaultLoadRps ?? 40, persistentErrorRatio: 0 };
      this.workloads.set(key, workload);
    }
    return workload;
  }

  /** A Ready pod's share of its Deployment's load (a Service spreads requests over Ready pods). */
  private shareOf(pod: PodState): number {
    const ready = this.podsOf(pod.namespace, pod.deployment).filter((candidate) => candidate.ready).length;
    return this.workload(pod.namespace, pod.deployment).loadRps / Math.max(1, ready);
  }

  /** Sends each Ready pod its share of the load and the persistent errors, when they changed. */
  private distribute(namespace: string, name: string): void {
    const workload = this.workload(namespace, name);
    for (const pod of this.podsOf(namespace, name).filter((candidate) => candidate.ready)) {
      const control: DemoControl = {
        requestsPerSecond: this.shareOf(pod),
        ...(workload.persistentErrorRatio > 0 ? { errorRatio: workload.persistentErrorRatio } : {}),
      };
      const message = JSON.stringify(control);
      if (message === pod.sentControl) continue;
      pod.sentControl = message;
      void this.post(pod, control);
    }
  }

  private async controlPods(namespace: string, name: string, control: DemoControl): Promise<void> {
    const targets = this.podsOf(namespace, name).filter((pod) => pod.ready);
    await Promise.all(targets.map((pod) => this.post(pod, control)));
  }

  private post(pod: PodState, control: DemoControl): Promise<void> {
    return fetch(`http://127.0.0.1:${pod.port}${DEMO_CONTROL_PATH}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(control),
      signal: AbortSignal.timeout(2000),
    }).then(
      () => undefined,
      (error: unknown) => {
        this.log(`controller: control of ${pod.name} failed: ${String(error)}`);
      },
    );
  }

  /** Clean-up Jobs pinned to a node run for a moment and free its disk when the pressure is cleanable. */
  private runJobs(): void {
    for (const job of this.options.standIn.list(collectionPath("batch/v1", "jobs"))) {
      const key = `${job.metadata?.namespace ?? ""}/${job.metadata?.name ?? ""}`;
      if (this.handledJobs.has(key) || record(job.status).succeeded !== undefined) continue;
      this.handledJobs.add(key);
      const node = record(record(record(job.spec).template).spec).nodeName;
      setTimeout(() => {
        if (this.closed) return;
        const cleanable = typeof node === "string" && this.cleanableDisk.get(node) !== false;
        if (cleanable && typeof node === "string") this.setDiskPressure(node, false);
        const path = kubePaths.job(job.metadata?.namespace ?? "", job.metadata?.name ?? "");
        if (this.options.standIn.read(path) === undefined) return;
        this.options.standIn.mutate(path, (object) => {
          object.status = cleanable
            ? { succeeded: 1, completionTime: new Date().toISOString() }
            : { failed: 1 };
        });
      }, 300);
    }
  }

  private podLabels(pod: PodState): Record<string, string> {
    return {
      namespace: pod.namespace,
      pod: pod.name,
      deployment: pod.deployment,
      container: "app",
      node: pod.node,
    };
  }

  private writeTargets(): void {
    const overflow = [...this.pods.values()]
      .filter((pod) => !pod.deleting && pod.port > 0 && !this.slots.includes(pod.port))
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((pod) => ({ targets: [`127.0.0.1:${pod.port}`], labels: this.podLabels(pod) }));
    const groups = [
      { targets: this.slots.map((port) => `127.0.0.1:${port}`), labels: { chaos_slot: "true" } },
      ...overflow,
    ];
    const text = `${JSON.stringify(groups, null, 1)}\n`;
    if (text === this.targetsText) return;
    this.targetsText = text;
    const file = this.options.targetsFile;
    // Prometheus re-reads file_sd files on change; a rename makes the update atomic.
    this.targetsWrite = this.targetsWrite
      .then(async () => {
        const temporary = `${file}.${process.pid}.tmp`;
        await writeFile(temporary, text);
        await rename(temporary, file);
      })
      .catch((error: unknown) => {
        this.log(`controller: writing targets failed: ${String(error)}`);
      });
  }

  /** kube-state-metrics v2 series for the stand-in's pods, Deployments and nodes. */
  kubeStateMetrics(): string {
    const { standIn } = this.options;
    const lines: string[] = [];
    const family = (name: string, type: string, help: string): void => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    };
    const pods = standIn.list(collectionPath("v1", "pods"));
    family("kube_pod_container_status_restarts_total", "counter", "Container restarts.");
    for (const pod of pods) {
      for (const status of (record(pod.status).containerStatuses as unknown[] | undefined) ?? []) {
        const entry = record(status);
        lines.push(
          `kube_pod_container_status_restarts_total${labels({
            namespace: pod.metadata?.namespace ?? "",
            pod: pod.metadata?.name ?? "",
            uid: pod.metadata?.uid ?? "",
            container: text(entry.name),
          })} ${Number(entry.restartCount ?? 0)}`,
        );
      }
    }
    for (const [metric, kind] of [
      ["kube_pod_container_resource_limits", "limits"],
      ["kube_pod_container_resource_requests", "requests"],
    ] as const) {
      family(metric, "gauge", `Container resource ${kind}.`);
      for (const pod of pods) {
        const containers = (record(pod.spec).containers as unknown[] | undefined) ?? [];
        for (const container of containers.map(record)) {
          const values = record(record(container.resources)[kind]);
          const base = {
            namespace: pod.metadata?.namespace ?? "",
            pod: pod.metadata?.name ?? "",
            uid: pod.metadata?.uid ?? "",
            container: text(container.name),
            node: text(record(pod.spec).nodeName),
          };
          if (values.cpu !== undefined) {
            lines.push(
              `${metric}${labels({ ...base, resource: "cpu", unit: "core" })} ${quantityCores(values.cpu, 0)}`,
            );
          }
          if (values.memory !== undefined) {
            lines.push(
              `${metric}${labels({ ...base, resource: "memory", unit: "byte" })} ${quantityBytes(values.memory, 0)}`,
            );
          }
        }
      }
    }
    family("kube_pod_status_ready", "gauge", "Pod readiness.");
    for (const pod of pods) {
      const ready =
        (record(pod.status).conditions as unknown[] | undefined)
          ?.map(record)
          .find((condition) => condition.type === "Ready")?.status === "True";
      for (const condition of ["true", "false"]) {
        lines.push(
          `kube_pod_status_ready${labels({
            namespace: pod.metadata?.namespace ?? "",
            pod: pod.metadata?.name ?? "",
            uid: pod.metadata?.uid ?? "",
            condition,
          })} ${(condition === "true") === ready ? 1 : 0}`,
        );
      }
    }
    const deployments = standIn.list(collectionPath("apps/v1", "deployments"));
    const deploymentFamilies: [string, (object: KubeObject) => number][] = [
      ["kube_deployment_metadata_generation", (object) => Number(object.metadata?.generation ?? 0)],
      [
        "kube_deployment_status_observed_generation",
        (object) => Number(record(object.status).observedGeneration ?? 0),
      ],
      ["kube_deployment_spec_replicas", (object) => Number(record(object.spec).replicas ?? 0)],
      [
        "kube_deployment_status_replicas_updated",
        (object) => Number(record(object.status).updatedReplicas ?? 0),
      ],
      [
        "kube_deployment_status_replicas_available",
        (object) => Number(record(object.status).availableReplicas ?? 0),
      ],
    ];
    for (const [metric, value] of deploymentFamilies) {
      family(metric, "gauge", "Deployment state.");
      for (const deployment of deployments) {
        lines.push(
          `${metric}${labels({
            namespace: deployment.metadata?.namespace ?? "",
            deployment: deployment.metadata?.name ?? "",
          })} ${value(deployment)}`,
        );
      }
    }
    const nodes = standIn.list(collectionPath("v1", "nodes"));
    family("kube_node_status_condition", "gauge", "Node conditions.");
    for (const node of nodes) {
      for (const condition of ((record(node.status).conditions as unknown[] | undefined) ?? []).map(record)) {
        for (const status of ["true", "false", "unknown"]) {
          lines.push(
            `kube_node_status_condition${labels({
              node: node.metadata?.name ?? "",
              condition: text(condition.type),
              status,
            })} ${text(condition.status).toLowerCase() === status ? 1 : 0}`,
          );
        }
      }
    }
    family("kube_node_spec_unschedulable", "gauge", "Whether a node is cordoned.");
    for (const node of nodes) {
      lines.push(
        `kube_node_spec_unschedulable${labels({ node: node.metadata?.name ?? "" })} ${record(node.spec).unschedulable === true ? 1 : 0}`,
      );
    }
    return `${lines.join("\n")}\n`;
  }

  /** Stops every process and the KSM endpoint. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    const exits: Promise<void>[] = [];
    for (const pod of this.pods.values()) {
      if (pod.restartTimer !== undefined) clearTimeout(pod.restartTimer);
      const child = pod.child;
      if (child === undefined || child.exitCode !== null || child.signalCode !== null) continue;
      exits.push(
        new Promise<void>((resolve) => {
          child.once("exit", () => {
            resolve();
          });
          child.kill("SIGKILL");
        }),
      );
    }
    await Promise.all(exits);
    await this.targetsWrite;
    await new Promise<void>((resolve) => {
      if (this.ksm === undefined) {
        resolve();
        return;
      }
      this.ksm.closeAllConnections();
      this.ksm.close(() => {
        resolve();
      });
    });
  }
}

function nodeConditions(diskPressure: boolean): Record<string, string>[] {
  return [
    { type: "Ready", status: "True", reason: "KubeletReady" },
    {
      type: "DiskPressure",
      status: diskPressure ? "True" : "False",
      reason: diskPressure ? "KubeletHasDiskPressure" : "KubeletHasNoDiskPressure",
    },
  ];
}

/** `registry.example/demo:1.0` → `1.0`. */
function versionOf(image: unknown): string {
  if (typeof image !== "string") return "unknown";
  const colon = image.lastIndexOf(":");
  return colon < 0 || image.slice(colon).includes("/") ? "latest" : image.slice(colon + 1);
}

/**
 * Transpiles the demo pod entry and service (node builtins only) with TypeScript into `directory`
 * as ES modules, so each "container" is a plain `node` process — under vitest and from `dist/` alike.
 * Returns the entry's path.
 */
export async function prepareDemoEntry(directory: string): Promise<string> {
  const ts = (await import("typescript")).default;
  const sources = await findSupportSources();
  await mkdir(directory, { recursive: true });
  for (const name of ["chaos-demo-service", "chaos-demo-pod"]) {
    const source = await readFile(join(sources, `${name}.ts`), "utf8");
    const output = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
      fileName: `${name}.ts`,
    }).outputText;
    await writeFile(
      join(directory, `${name}.mjs`),
      output.replace(/\.\/chaos-demo-service\.js/g, "./chaos-demo-service.mjs"),
    );
  }
  return join(directory, "chaos-demo-pod.mjs");
}

/** `test/support` of the checkout, from this module's place (source or `dist/`). */
async function findSupportSources(): Promise<string> {
  let directory = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 6; depth++) {
    const candidate = join(directory, "test", "support");
    const here = directory.endsWith(join("test", "support")) ? directory : candidate;
    const found = await readFile(join(here, "chaos-demo-pod.ts"), "utf8").then(
      () => true,
      () => false,
    );
    if (found) return here;
    directory = dirname(directory);
  }
  throw new Error("chaos: cannot find test/support/chaos-demo-pod.ts from " + import.meta.url);
}
