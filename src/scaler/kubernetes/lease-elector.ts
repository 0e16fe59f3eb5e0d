import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import {
  CoordinationV1Api,
  V1Lease,
  V1LeaseSpec,
  V1MicroTime,
  V1ObjectMeta,
  type KubeConfig,
} from "@kubernetes/client-node";
import {
  KubeRequestError,
  kubeRequest,
  type KubeRequestContext,
} from "../../kubernetes/kube-request-error.js";

/** The Lease spec fields presage writes. */
interface LeaseSpecFields {
  readonly holderIdentity?: string;
  readonly leaseDurationSeconds: number;
  readonly acquireTime: V1MicroTime;
  readonly renewTime: V1MicroTime;
  readonly leaseTransitions: number;
}

/** Time and timers of the elector; injected so tests can step through lease expiry. */
export interface LeaseClock {
  now(): number;
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The real clock. */
export const systemLeaseClock: LeaseClock = {
  now: () => Date.now(),
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimeout: (handle) => {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

/** Options of {@link LeaseElector}. Durations follow client-go's leader election defaults. */
export interface LeaseElectorOptions {
  readonly kubeConfig: KubeConfig;
  /** Namespace of the Lease (presage's own). */
  readonly namespace: string;
  /** @defaultValue "presage-scaler" */
  readonly leaseName?: string;
  /** This instance's `holderIdentity`; unique per process. @defaultValue `<hostname>_<random>` */
  readonly identity?: string;
  /** How long a lease stays valid after its last renewal (written to the Lease). @defaultValue 15 */
  readonly leaseDurationSeconds?: number;
  /**
   * How long after its last successful renewal this instance still considers itself leader; shorter
   * than the lease duration, so it steps down before anyone else may take over. @defaultValue 10 000
   */
  readonly renewDeadlineMs?: number;
  /** Time between attempts to acquire or renew. @defaultValue 2000 */
  readonly retryPeriodMs?: number;
  /** @defaultValue the system clock */
  readonly clock?: LeaseClock;
  /** This instance became leader. */
  readonly onStartedLeading?: () => void;
  /** This instance stopped being leader (lost the lease, failed to renew, or stopped). */
  readonly onStoppedLeading?: (reason: string) => void;
  /**
   * Dead-man's switch: this instance took over a lease whose previous holder stopped renewing
   * without releasing it (crashed, partitioned). Awaited before the acquiring step returns, so the
   * new leader restores what was left behind before it acts; keep it short (well under the renew
   * deadline). Not called when the previous holder released the lease (a graceful shutdown restores
   * its own floors).
   */
  readonly onTakeover?: (previousHolder: string) => void | Promise<void>;
  /** A request failed other than by losing a race (the elector carries on). @defaultValue ignore */
  readonly onError?: (error: Error) => void;
}

/** {@link LeaseElectorOptions} with defaults applied and checked. */
export interface ResolvedLeaseElectorOptions {
  readonly namespace: string;
  readonly leaseName: string;
  readonly identity: string;
  readonly leaseDurationSeconds: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
}

/** Applies defaults; throws `RangeError` naming the field and the rule. */
export function resolveLeaseElectorOptions(options: LeaseElectorOptions): ResolvedLeaseElectorOptions {
  const resolved = {
    namespace: options.namespace,
    leaseName: options.leaseName ?? "presage-scaler",
    identity: options.identity ?? `${hostname()}_${randomUUID().slice(0, 8)}`,
    leaseDurationSeconds: options.leaseDurationSeconds ?? 15,
    renewDeadlineMs: options.renewDeadlineMs ?? 10_000,
    retryPeriodMs: options.retryPeriodMs ?? 2000,
  };
  const problems: string[] = [];
  if (resolved.namespace === "") problems.push("`namespace` must not be empty");
  if (resolved.leaseName === "") problems.push("`leaseName` must not be empty");
  if (resolved.identity === "") problems.push("`identity` must not be empty");
  if (!Number.isSafeInteger(resolved.leaseDurationSeconds) || resolved.leaseDurationSeconds < 1) {
    problems.push(`\`leaseDurationSeconds\` (${resolved.leaseDurationSeconds}) must be an integer ≥ 1`);
  }
  if (!(resolved.renewDeadlineMs > 0 && resolved.renewDeadlineMs < resolved.leaseDurationSeconds * 1000)) {
    problems.push(
      `\`renewDeadlineMs\` (${resolved.renewDeadlineMs}) must be > 0 and < \`leaseDurationSeconds\` × 1000 (${resolved.leaseDurationSeconds * 1000})`,
    );
  }
  if (!(resolved.retryPeriodMs > 0 && resolved.retryPeriodMs < resolved.renewDeadlineMs)) {
    problems.push(
      `\`retryPeriodMs\` (${resolved.retryPeriodMs}) must be > 0 and < \`renewDeadlineMs\` (${resolved.renewDeadlineMs})`,
    );
  }
  if (problems.length > 0) throw new RangeError(`lease election: ${problems.join("; ")}`);
  return Object.freeze(resolved);
}

/**
 * Leader election on a `coordination.k8s.io/v1` Lease, the way client-go's `leaderelection` does it:
 * the leader renews `renewTime` every retry period; others take the lease over only once
 * `renewTime + leaseDurationSeconds` has passed; every write is a PUT carrying the resourceVersion
 * read, so of two candidates racing for an expired lease exactly one wins (the other gets 409).
 *
 * No double leadership: the leader counts itself leader only until `renewDeadlineMs` after the start
 * of its last successful renewal — before the lease, stamped with that same instant, can expire for
 * anyone else. A failed renewal (409, error, lease taken) ends leadership at once. Expiry is judged
 * against the `renewTime` in the Lease, so instances' clocks must agree to well within
 * `leaseDurationSeconds − renewDeadlineMs` (NTP does).
 */
export class LeaseElector {
  readonly options: ResolvedLeaseElectorOptions;
  private readonly api: CoordinationV1Api;
  private readonly clock: LeaseClock;
  private readonly hooks: LeaseElectorOptions;
  private leading = false;
  private renewedAtMs = Number.NEGATIVE_INFINITY;
  /** The Lease as last written by this instance (for release). */
  private ownLease: V1Lease | undefined;
  private observed: string | undefined;
  private timer: unknown;
  private running: Promise<boolean> | undefined;
  private stopped = false;

  constructor(options: LeaseElectorOptions) {
    this.options = resolveLeaseElectorOptions(options);
    this.api = options.kubeConfig.makeApiClient(CoordinationV1Api);
    this.clock = options.clock ?? systemLeaseClock;
    this.hooks = options;
  }

  /** This instance's holder identity. */
  get identity(): string {
    return this.options.identity;
  }

  /** The holder seen in the Lease at the last attempt (undefined before the first or when released). */
  get observedHolder(): string | undefined {
    return this.observed;
  }

  /** True while this instance holds the lease and its last renewal is within the renew deadline. */
  isLeader(): boolean {
    return this.leading && this.clock.now() < this.renewedAtMs + this.options.renewDeadlineMs;
  }

  /** Runs a first attempt now, then one every retry period until {@link stop}. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.tick();
  }

  /**
   * One attempt to acquire or renew the lease (what the timer runs; tests call it directly with a
   * fake clock). Resolves to whether this instance is leader afterwards; never rejects.
   */
  async tryAcquireOrRenew(): Promise<boolean> {
    if (this.running) return this.running;
    this.running = this.attempt().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /**
   * Stops trying; when leader, releases the lease (holder cleared) so another instance takes over at
   * once rather than after the lease expires. Call it after restoring the floors this instance set.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.running) await this.running;
    const lease = this.ownLease;
    const wasLeading = this.leading;
    this.stepDown("stopped");
    if (!wasLeading || lease === undefined) return;
    const nowMs = this.clock.now();
    // client-go's release: no holder, a 1 s duration, so nobody waits on a lease nobody renews.
    const released = this.leaseObject(lease.metadata, {
      leaseDurationSeconds: 1,
      acquireTime: new V1MicroTime(nowMs),
      renewTime: new V1MicroTime(nowMs),
      leaseTransitions: lease.spec?.leaseTransitions ?? 0,
    });
    try {
      await this.replace(released);
      this.observed = undefined;
    } catch (error) {
      // 409: someone else already holds it — nothing to release.
      if (!(error instanceof KubeRequestError && error.status === 409)) this.report(error);
    } finally {
      this.ownLease = undefined;
    }
  }

  private async tick(): Promise<void> {
    await this.tryAcquireOrRenew();
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(() => {
      void this.tick();
    }, this.options.retryPeriodMs);
  }

  private async attempt(): Promise<boolean> {
    const nowMs = this.clock.now();
    let lease: V1Lease | undefined;
    try {
      lease = await this.read();
    } catch (error) {
      this.stepDown(`could not read the lease: ${errorMessage(error)}`);
      this.report(error);
      return false;
    }
    if (lease === undefined) return this.create(nowMs);

    const spec = lease.spec ?? new V1LeaseSpec();
    const holder = spec.holderIdentity ?? "";
    this.observed = holder === "" ? undefined : holder;
    const renewedMs = microTimeMs(spec.renewTime ?? spec.acquireTime);
    const durationMs = (spec.leaseDurationSeconds ?? this.options.leaseDurationSeconds) * 1000;
    const expired = holder === "" || renewedMs === undefined || nowMs >= renewedMs + durationMs;
    const ours = holder === this.identity;
    if (!ours && !expired) {
      this.stepDown(`the lease is held by ${holder}`);
      return false;
    }
    const next = this.leaseObject(lease.metadata, {
      holderIdentity: this.identity,
      leaseDurationSeconds: this.options.leaseDurationSeconds,
      acquireTime: ours && spec.acquireTime !== undefined ? spec.acquireTime : new V1MicroTime(nowMs),
      renewTime: new V1MicroTime(nowMs),
      leaseTransitions: (spec.leaseTransitions ?? 0) + (ours ? 0 : 1),
    });
    try {
      this.ownLease = await this.replace(next);
    } catch (error) {
      const lostRace = error instanceof KubeRequestError && error.status === 409;
      this.stepDown(
        lostRace ? "another instance wrote the lease first" : `could not renew: ${errorMessage(error)}`,
      );
      if (!lostRace) this.report(error);
      return false;
    }
    this.observed = this.identity;
    this.win(nowMs);
    if (!ours && holder !== "") await this.takeover(holder);
    return this.isLeader();
  }

  private async create(nowMs: number): Promise<boolean> {
    const lease = this.leaseObject(undefined, {
      holderIdentity: this.identity,
      leaseDurationSeconds: this.options.leaseDurationSeconds,
      acquireTime: new V1MicroTime(nowMs),
      renewTime: new V1MicroTime(nowMs),
      leaseTransitions: 0,
    });
    const context = this.context("create");
    try {
      this.ownLease = await kubeRequest(context, () =>
        this.api.createNamespacedLease({ namespace: this.options.namespace, body: lease }),
      );
    } catch (error) {
      const lostRace = error instanceof KubeRequestError && error.status === 409;
      this.stepDown(
        lostRace
          ? "another instance created the lease first"
          : `could not create the lease: ${errorMessage(error)}`,
      );
      if (!lostRace) this.report(error);
      return false;
    }
    this.observed = this.identity;
    this.win(nowMs);
    return this.isLeader();
  }

  /**
   * The Lease to write: our name and namespace, the resourceVersion, labels and annotations of
   * `current` (the version read, for optimistic concurrency), and `spec` — whole, as PUT replaces.
   * Times are `V1MicroTime`s, which serialise with the six fractional digits the API server requires.
   * (client-node's models are classes, so fields are assigned onto instances.)
   */
  private leaseObject(current: V1ObjectMeta | undefined, spec: LeaseSpecFields): V1Lease {
    const metadata = Object.assign(new V1ObjectMeta(), {
      name: this.options.leaseName,
      namespace: this.options.namespace,
      ...(current?.resourceVersion === undefined ? {} : { resourceVersion: current.resourceVersion }),
      ...(current?.labels === undefined ? {} : { labels: current.labels }),
      ...(current?.annotations === undefined ? {} : { annotations: current.annotations }),
    });
    return Object.assign(new V1Lease(), {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata,
      spec: Object.assign(new V1LeaseSpec(), spec),
    });
  }

  private async read(): Promise<V1Lease | undefined> {
    try {
      return await kubeRequest(this.context("get"), () =>
        this.api.readNamespacedLease({ name: this.options.leaseName, namespace: this.options.namespace }),
      );
    } catch (error) {
      if (error instanceof KubeRequestError && error.status === 404) return undefined;
      throw error;
    }
  }

  private replace(lease: V1Lease): Promise<V1Lease> {
    return kubeRequest(this.context("update"), () =>
      this.api.replaceNamespacedLease({
        name: this.options.leaseName,
        namespace: this.options.namespace,
        body: lease,
      }),
    );
  }

  private async takeover(previousHolder: string): Promise<void> {
    try {
      await this.hooks.onTakeover?.(previousHolder);
    } catch (error) {
      this.report(error);
    }
  }

  private win(nowMs: number): void {
    this.renewedAtMs = nowMs;
    if (this.leading) return;
    this.leading = true;
    this.hooks.onStartedLeading?.();
  }

  private stepDown(reason: string): void {
    if (!this.leading) return;
    this.leading = false;
    this.renewedAtMs = Number.NEGATIVE_INFINITY;
    this.hooks.onStoppedLeading?.(reason);
  }

  private report(error: unknown): void {
    this.hooks.onError?.(error instanceof Error ? error : new Error(String(error)));
  }

  private context(verb: string): KubeRequestContext {
    return {
      verb,
      resource: "leases",
      group: "coordination.k8s.io",
      namespace: this.options.namespace,
      ...(verb === "create" ? {} : { name: this.options.leaseName }),
    };
  }
}

/**
 * A Lease time in ms since the epoch. client-node declares `V1MicroTime` (a `Date`) but, having no
 * deserializer for it, hands back the wire string (`2026-01-01T00:00:00.123456Z`).
 */
function microTimeMs(value: unknown): number | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.getTime();
  if (typeof value !== "string") return undefined;
  // Keep milliseconds: not every engine parses six fractional digits.
  const ms = Date.parse(value.replace(/(\.\d{3})\d+/, "$1"));
  return Number.isNaN(ms) ? undefined : ms;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
