import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  LeaseElector,
  type LeaseClock,
  type LeaseElectorOptions,
} from "../../src/scaler/kubernetes/lease-elector.js";
import { kubePaths, startKubeApiStandIn, type KubeApiStandIn } from "../support/kube-api-stand-in.js";
import { kubeConfigFor } from "../support/kube-fixtures.js";

const NS = "presage";
const LEASE_PATH = kubePaths.lease(NS, "presage-scaler");
const START_MS = Date.parse("2026-03-01T12:00:00Z");

/** A clock the test moves by hand; the elector's timers are not used (tests call tryAcquireOrRenew). */
class ManualClock implements LeaseClock {
  constructor(public nowMs: number) {}
  now(): number {
    return this.nowMs;
  }
  setTimeout(): unknown {
    return undefined;
  }
  clearTimeout(): void {
    // Nothing is scheduled on a manual clock.
  }
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

let standIn: KubeApiStandIn;
let clock: ManualClock;
const takeovers: { by: string; previous: string }[] = [];
const errors: Error[] = [];

function elector(identity: string, options: Partial<LeaseElectorOptions> = {}): LeaseElector {
  return new LeaseElector({
    kubeConfig: kubeConfigFor(standIn),
    namespace: NS,
    identity,
    clock,
    onTakeover: (previous) => {
      takeovers.push({ by: identity, previous });
    },
    onError: (error) => errors.push(error),
    ...options,
  });
}

function leaseSpec(): LeaseSpec {
  const spec: unknown = standIn.read(LEASE_PATH)?.spec;
  return typeof spec === "object" && spec !== null ? spec : {};
}

describe("LeaseElector against the Kubernetes API stand-in", () => {
  beforeEach(async () => {
    standIn = await startKubeApiStandIn();
    clock = new ManualClock(START_MS);
    takeovers.length = 0;
    errors.length = 0;
  });

  afterEach(async () => {
    await standIn.close();
  });

  it("creates the Lease when it is missing, with MicroTime stamps the API server accepts", async () => {
    const a = elector("presage-a");
    await expect(a.tryAcquireOrRenew()).resolves.toBe(true);
    expect(a.isLeader()).toBe(true);
    expect(standIn.writes().map((request) => `${request.method} ${request.path} ${request.status}`)).toEqual([
      `POST /apis/coordination.k8s.io/v1/namespaces/${NS}/leases 201`,
    ]);
    expect(leaseSpec()).toEqual({
      holderIdentity: "presage-a",
      leaseDurationSeconds: 15,
      acquireTime: "2026-03-01T12:00:00.000000Z",
      renewTime: "2026-03-01T12:00:00.000000Z",
      leaseTransitions: 0,
    });

    clock.nowMs += 2000;
    await expect(a.tryAcquireOrRenew()).resolves.toBe(true);
    expect(leaseSpec()).toMatchObject({
      holderIdentity: "presage-a",
      acquireTime: "2026-03-01T12:00:00.000000Z",
      renewTime: "2026-03-01T12:00:02.000000Z",
      leaseTransitions: 0,
    });
    const renewal = standIn.writes()[1];
    expect(renewal).toMatchObject({ method: "PUT", path: LEASE_PATH, status: 200 });
    expect(errors).toEqual([]);
  });

  it("hands the lease over when the leader stops renewing — never two leaders — and the new leader gets onTakeover", async () => {
    const a = elector("presage-a");
    const b = elector("presage-b");
    const leadersAt: { atMs: number; leaders: string[] }[] = [];
    let aAlive = true;
    let aLastRenewMs = START_MS;

    // 60 s in 1 s steps; each instance tries every 2 s (its retry period), B offset by 1 s. A freezes
    // (stops renewing, as a crashed or partitioned process) at 20 s and comes back at 45 s.
    for (let second = 0; second <= 60; second++) {
      clock.nowMs = START_MS + second * 1000;
      if (second === 20) aAlive = false;
      if (second === 45) aAlive = true;
      if (aAlive && second % 2 === 0 && (await a.tryAcquireOrRenew()) && a.isLeader())
        aLastRenewMs = clock.nowMs;
      if (second % 2 === 1) await b.tryAcquireOrRenew();
      const leaders = [a, b]
        .filter((candidate) => candidate.isLeader())
        .map((candidate) => candidate.identity);
      leadersAt.push({ atMs: clock.nowMs - START_MS, leaders });
      expect(leaders.length, `two leaders at ${second} s`).toBeLessThanOrEqual(1);
    }

    const leaderAt = (second: number): string | undefined => leadersAt[second]?.leaders[0];
    expect(leaderAt(0)).toBe("presage-a");
    expect(leaderAt(19)).toBe("presage-a");
    // A last renewed at 18 s: it steps down at its renew deadline (28 s), B takes over once the lease
    // has expired (18 + 15 = 33 s, B's first try after it is at 33 s).
    expect(aLastRenewMs - START_MS).toBe(18_000);
    expect(leaderAt(27)).toBe("presage-a");
    expect(leaderAt(28)).toBeUndefined();
    expect(leaderAt(32)).toBeUndefined();
    expect(leaderAt(33)).toBe("presage-b");
    // A comes back at 45 s, finds B holding a live lease, and stays a follower.
    expect(leaderAt(46)).toBe("presage-b");
    expect(leaderAt(60)).toBe("presage-b");
    expect(a.observedHolder).toBe("presage-b");

    expect(takeovers).toEqual([{ by: "presage-b", previous: "presage-a" }]);
    expect(leaseSpec()).toMatchObject({ holderIdentity: "presage-b", leaseTransitions: 1 });
    expect(errors).toEqual([]);
  });

  it("released on stop: the next candidate takes over at once, without the dead-man's switch", async () => {
    const a = elector("presage-a");
    const b = elector("presage-b");
    await a.tryAcquireOrRenew();
    clock.nowMs += 1000;
    await expect(b.tryAcquireOrRenew()).resolves.toBe(false);

    await a.stop();
    expect(a.isLeader()).toBe(false);
    expect(leaseSpec().holderIdentity).toBeUndefined();

    clock.nowMs += 1000;
    await expect(b.tryAcquireOrRenew()).resolves.toBe(true);
    expect(takeovers).toEqual([]);
    expect(leaseSpec()).toMatchObject({ holderIdentity: "presage-b", leaseTransitions: 1 });
  });

  it("of two candidates racing for an expired lease exactly one wins; the other gets 409 and stays follower", async () => {
    standIn.seed({
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name: "presage-scaler", namespace: NS },
      spec: {
        holderIdentity: "presage-crashed",
        leaseDurationSeconds: 15,
        acquireTime: "2026-03-01T11:00:00.000000Z",
        renewTime: "2026-03-01T11:00:00.000000Z",
        leaseTransitions: 3,
      },
    });
    const a = elector("presage-a");
    const b = elector("presage-b");
    // A's takeover write is held until B has read the same expired lease: both then write it with
    // the same resourceVersion.
    let bAttempt: Promise<boolean> | undefined;
    standIn.beforeRequest("PUT", LEASE_PATH, async () => {
      bAttempt = b.tryAcquireOrRenew();
      await standIn.waitForRequests(
        (requests) => requests.filter((request) => request.method === "GET").length === 2,
      );
    });
    const aWon = await a.tryAcquireOrRenew();
    const bWon = await bAttempt;
    expect([aWon, bWon].filter(Boolean)).toHaveLength(1);
    expect([a, b].filter((candidate) => candidate.isLeader())).toHaveLength(1);
    expect(
      standIn
        .writes()
        .map((request) => request.status)
        .sort(),
    ).toEqual([200, 409]);
    expect(takeovers).toHaveLength(1);
    expect(takeovers[0]?.previous).toBe("presage-crashed");
    expect(leaseSpec().leaseTransitions).toBe(4);
    expect(errors).toEqual([]);
  });

  it("a failed renewal ends leadership at once; the next successful one restores it without a takeover", async () => {
    const stopped: string[] = [];
    const a = elector("presage-a", { onStoppedLeading: (reason) => stopped.push(reason) });
    await a.tryAcquireOrRenew();
    clock.nowMs += 2000;
    standIn.injectFault({ method: "PUT", path: LEASE_PATH, status: 500 });
    await expect(a.tryAcquireOrRenew()).resolves.toBe(false);
    expect(a.isLeader()).toBe(false);
    expect(stopped).toHaveLength(1);
    expect(stopped[0]).toContain("could not renew");
    expect(errors.map((error) => error.message)).toEqual([
      expect.stringContaining(
        'update leases.coordination.k8s.io "presage-scaler" in namespace "presage" failed with HTTP 500',
      ),
    ]);

    clock.nowMs += 2000;
    await expect(a.tryAcquireOrRenew()).resolves.toBe(true);
    expect(takeovers).toEqual([]);
    expect(leaseSpec()).toMatchObject({ holderIdentity: "presage-a", leaseTransitions: 0 });
  });

  it("reports a forbidden lease with the verb and resource, and is not leader", async () => {
    standIn.injectFault({ method: "GET", path: LEASE_PATH, status: 403 });
    const a = elector("presage-a");
    await expect(a.tryAcquireOrRenew()).resolves.toBe(false);
    expect(errors[0]?.message).toContain(
      'get leases.coordination.k8s.io "presage-scaler" in namespace "presage" failed with HTTP 403 Forbidden',
    );
    expect(errors[0]?.message).toContain('cannot get resource "leases" in API group "coordination.k8s.io"');
  });

  it("runs on its own timer: renews while leading and releases on stop", async () => {
    const a = new LeaseElector({
      kubeConfig: kubeConfigFor(standIn),
      namespace: NS,
      identity: "presage-a",
      leaseDurationSeconds: 2,
      renewDeadlineMs: 1000,
      retryPeriodMs: 50,
    });
    const b = new LeaseElector({
      kubeConfig: kubeConfigFor(standIn),
      namespace: NS,
      identity: "presage-b",
      leaseDurationSeconds: 2,
      renewDeadlineMs: 1000,
      retryPeriodMs: 50,
    });
    await a.start();
    await b.start();
    try {
      expect(a.isLeader()).toBe(true);
      await vi.waitFor(() => {
        expect(standIn.writes().filter((request) => request.method === "PUT").length).toBeGreaterThanOrEqual(
          3,
        );
      });
      expect(a.isLeader()).toBe(true);
      expect(b.isLeader()).toBe(false);
      await a.stop();
      await vi.waitFor(() => {
        expect(b.isLeader()).toBe(true);
      });
      expect(a.isLeader()).toBe(false);
    } finally {
      await a.stop();
      await b.stop();
    }
    expect(leaseSpec().holderIdentity).toBeUndefined();
  });
});
