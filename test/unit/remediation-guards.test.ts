import { describe, expect, it } from "vitest";
import {
  decideAdmission,
  GuardReason,
  recordBreakerOutcome,
  releaseIncident,
  resetBreaker,
  type AdmissionRequest,
} from "../../src/remediation/planning/decide-admission.js";
import {
  DEFAULT_GUARD_LIMITS,
  limitsForRunbook,
  type GuardLimits,
} from "../../src/remediation/planning/guard-limits.js";
import {
  EMPTY_GUARD_STATE,
  parseGuardState,
  type GuardState,
} from "../../src/remediation/planning/guard-state.js";

const T0 = Date.parse("2026-11-28T02:00:00Z");
const HOUR = 3_600_000;
const LIMITS: GuardLimits = {
  cooldownMs: 600_000,
  maxActionsPerHour: 5,
  maxActionsPerHourPerRunbook: 3,
  maxConcurrent: 2,
  blastRadiusPercent: 25,
  breakerThreshold: 3,
  breakerOpenMs: HOUR,
  leaseMs: 1_800_000,
};

const requestWith = (overrides: Partial<AdmissionRequest>): AdmissionRequest => request(overrides);

function request(overrides: Partial<AdmissionRequest> = {}): AdmissionRequest {
  return {
    incidentId: "i1",
    runbook: "rb",
    target: "deployment/shop/web",
    nowMs: T0,
    limits: LIMITS,
    ...overrides,
  };
}

/** Admits in sequence, each request on the state the previous one left; returns the final state and decisions. */
function admitAll(requests: AdmissionRequest[], start: GuardState = EMPTY_GUARD_STATE) {
  let state = start;
  const decisions = requests.map((next) => {
    const decision = decideAdmission(state, next);
    state = decision.state;
    return decision;
  });
  return { state, decisions };
}

const releaseAll = (state: GuardState): GuardState =>
  Object.keys(state.inflight).reduce((current, id) => releaseIncident(current, id), state);

describe("guards: per-target cooldown", () => {
  it("refuses another incident on the same target until exactly cooldownMs later", () => {
    const first = decideAdmission(EMPTY_GUARD_STATE, request());
    expect(first.admitted).toBe(true);
    const state = releaseIncident(first.state, "i1");
    const before = decideAdmission(state, request({ incidentId: "i2", nowMs: T0 + LIMITS.cooldownMs - 1 }));
    expect(before).toMatchObject({ admitted: false, reason: GuardReason.cooldown });
    expect(
      decideAdmission(state, request({ incidentId: "i2", nowMs: T0 + LIMITS.cooldownMs })).admitted,
    ).toBe(true);
  });

  it("lets the steps of one incident act on the same target in turn, and other targets at once", () => {
    const { decisions } = admitAll([
      request(),
      request({ nowMs: T0 + 1 }),
      request({ incidentId: "i2", target: "deployment/shop/cart" }),
    ]);
    expect(decisions.map((decision) => decision.admitted)).toEqual([true, true, true]);
  });

  it("uses a runbook's own cooldown", () => {
    const limits = limitsForRunbook(LIMITS, { guards: { cooldownMs: 60_000 } });
    const first = decideAdmission(EMPTY_GUARD_STATE, request({ limits }));
    expect(
      decideAdmission(releaseAll(first.state), request({ incidentId: "i2", nowMs: T0 + 59_999, limits }))
        .admitted,
    ).toBe(false);
    expect(
      decideAdmission(releaseAll(first.state), request({ incidentId: "i2", nowMs: T0 + 60_000, limits }))
        .admitted,
    ).toBe(true);
  });
});

describe("guards: hourly caps", () => {
  const distinct = (count: number, overrides: (index: number) => Partial<AdmissionRequest> = () => ({})) =>
    Array.from({ length: count }, (_, index) =>
      request({
        incidentId: `i${index}`,
        target: `deployment/shop/w${index}`,
        nowMs: T0 + index,
        ...overrides(index),
      }),
    );

  it("admits exactly maxActionsPerHourPerRunbook actions of one runbook per sliding hour", () => {
    let state = EMPTY_GUARD_STATE;
    const admitted: boolean[] = [];
    for (const next of distinct(LIMITS.maxActionsPerHourPerRunbook + 2)) {
      const decision = decideAdmission(state, next);
      admitted.push(decision.admitted);
      state = releaseAll(decision.state);
      if (!decision.admitted) expect(decision.reason).toBe(GuardReason.runbookRate);
    }
    expect(admitted).toEqual([true, true, true, false, false]);
    // The first action (at T0) stops counting exactly one hour later.
    expect(
      decideAdmission(
        state,
        request({ incidentId: "late", target: "deployment/shop/late", nowMs: T0 + HOUR - 1 }),
      ).admitted,
    ).toBe(false);
    expect(
      decideAdmission(
        state,
        request({ incidentId: "late", target: "deployment/shop/late", nowMs: T0 + HOUR }),
      ).admitted,
    ).toBe(true);
  });

  it("admits exactly maxActionsPerHour actions across runbooks", () => {
    let state = EMPTY_GUARD_STATE;
    const outcomes: (string | true)[] = [];
    for (const next of distinct(LIMITS.maxActionsPerHour + 2, (index) => ({ runbook: `rb${index}` }))) {
      const decision = decideAdmission(state, next);
      outcomes.push(decision.admitted ? true : decision.reason);
      state = releaseAll(decision.state);
    }
    expect(outcomes).toEqual([true, true, true, true, true, GuardReason.globalRate, GuardReason.globalRate]);
  });

  it("lets a runbook lower its own cap", () => {
    const limits = limitsForRunbook(LIMITS, { guards: { maxActionsPerHour: 1 } });
    const { decisions } = admitAll([
      request({ limits }),
      request({ incidentId: "i2", target: "deployment/shop/x", limits }),
    ]);
    expect(decisions.map((decision) => decision.admitted)).toEqual([true, false]);
  });

  it("with a cap of 0 admits nothing", () => {
    expect(
      decideAdmission(EMPTY_GUARD_STATE, request({ limits: { ...LIMITS, maxActionsPerHour: 0 } })).admitted,
    ).toBe(false);
  });
});

describe("guards: concurrency", () => {
  const request = (overrides: Partial<AdmissionRequest> = {}): AdmissionRequest =>
    requestWith({
      limits: { ...LIMITS, maxActionsPerHour: 10, maxActionsPerHourPerRunbook: 10 },
      ...overrides,
    });

  it("admits at most maxConcurrent incidents in flight; release frees a slot; an incident keeps its slot", () => {
    const { state, decisions } = admitAll([
      request({ incidentId: "a", target: "t/a" }),
      request({ incidentId: "b", target: "t/b" }),
      request({ incidentId: "c", target: "t/c" }),
      request({ incidentId: "a", target: "t/a2" }),
    ]);
    expect(decisions.map((decision) => (decision.admitted ? true : decision.reason))).toEqual([
      true,
      true,
      GuardReason.concurrency,
      true,
    ]);
    expect(
      decideAdmission(releaseIncident(state, "a"), request({ incidentId: "c", target: "t/c" })).admitted,
    ).toBe(true);
  });

  it("frees a crashed replica's slot when its lease runs out", () => {
    const { state } = admitAll([
      request({ incidentId: "a", target: "t/a" }),
      request({ incidentId: "b", target: "t/b" }),
    ]);
    expect(
      decideAdmission(state, request({ incidentId: "c", target: "t/c", nowMs: T0 + LIMITS.leaseMs - 1 }))
        .admitted,
    ).toBe(false);
    expect(
      decideAdmission(state, request({ incidentId: "c", target: "t/c", nowMs: T0 + LIMITS.leaseMs }))
        .admitted,
    ).toBe(true);
  });
});

describe("guards: blast radius", () => {
  const disruption = (pods: number, replicas = 8) => ({ workload: "deployment/shop/web", replicas, pods });

  it.each([
    [8, 2, true],
    [8, 3, false],
    [4, 1, true],
    [4, 2, false],
    [3, 1, false],
    [1, 1, false],
    [100, 25, true],
    [100, 26, false],
  ])("with %i replicas at 25%% admits %i pods at once: %s", (replicas, pods, admitted) => {
    expect(
      decideAdmission(EMPTY_GUARD_STATE, request({ disruption: disruption(pods, replicas) })).admitted,
    ).toBe(admitted);
  });

  it("counts pods other in-flight incidents hold on the same workload, until released", () => {
    const first = decideAdmission(
      EMPTY_GUARD_STATE,
      request({ incidentId: "a", target: "pod/shop/web-1", disruption: disruption(1) }),
    );
    const second = decideAdmission(
      first.state,
      request({ incidentId: "b", target: "pod/shop/web-2", disruption: disruption(1) }),
    );
    const third = decideAdmission(
      second.state,
      request({
        incidentId: "c",
        target: "pod/shop/web-3",
        disruption: disruption(1),
        limits: { ...LIMITS, maxConcurrent: 5 },
      }),
    );
    expect([first.admitted, second.admitted, third.admitted]).toEqual([true, true, false]);
    expect(third).toMatchObject({ reason: GuardReason.blastRadius });
    expect(
      decideAdmission(
        releaseIncident(second.state, "a"),
        request({ incidentId: "c", target: "pod/shop/web-3", disruption: disruption(1) }),
      ).admitted,
    ).toBe(true);
  });

  it("lets a later step of the same incident on the same Deployment replace its disruption, not add to it", () => {
    const restart = decideAdmission(EMPTY_GUARD_STATE, request({ disruption: disruption(2) }));
    const rollback = decideAdmission(restart.state, request({ nowMs: T0 + 1, disruption: disruption(2) }));
    expect(rollback.admitted).toBe(true);
    expect(rollback.state.disruptions).toHaveLength(1);
    const otherIncident = decideAdmission(
      rollback.state,
      request({ incidentId: "i2", target: "pod/shop/web-1", disruption: disruption(1) }),
    );
    expect(otherIncident).toMatchObject({ admitted: false, reason: GuardReason.blastRadius });
  });

  it("always admits actions that take no pod down (scale out, cordon)", () => {
    expect(decideAdmission(EMPTY_GUARD_STATE, request({ disruption: disruption(0, 1) })).admitted).toBe(true);
  });
});

describe("guards: circuit breaker", () => {
  it("opens at exactly breakerThreshold consecutive failures, refuses until openUntil, then lets one trial through", () => {
    let state: GuardState = EMPTY_GUARD_STATE;
    const transitions: string[] = [];
    for (let failure = 1; failure <= LIMITS.breakerThreshold; failure++) {
      const outcome = recordBreakerOutcome(state, "rb", false, T0, LIMITS);
      transitions.push(outcome.transition);
      state = outcome.state;
    }
    expect(transitions).toEqual(["counting", "counting", "opened"]);
    expect(decideAdmission(state, request({ nowMs: T0 + HOUR - 1 }))).toMatchObject({
      admitted: false,
      reason: GuardReason.breakerOpen,
    });
    expect(decideAdmission(state, request({ runbook: "other", nowMs: T0 + 1 })).admitted).toBe(true);
    expect(decideAdmission(state, request({ nowMs: T0 + HOUR })).admitted).toBe(true);
    // A failed trial re-opens at once; a success closes.
    expect(recordBreakerOutcome(state, "rb", false, T0 + HOUR, LIMITS).transition).toBe("opened");
    const closed = recordBreakerOutcome(state, "rb", true, T0 + HOUR, LIMITS);
    expect(closed.transition).toBe("closed");
    expect(closed.state.breakers.rb).toBeUndefined();
  });

  it("lets only one trial incident through while half-open; its own later steps still pass", () => {
    const open = [1, 2, 3].reduce(
      (current) => recordBreakerOutcome(current, "rb", false, T0, LIMITS).state,
      EMPTY_GUARD_STATE,
    );
    const trial = decideAdmission(open, request({ incidentId: "trial", nowMs: T0 + HOUR }));
    expect(trial.admitted).toBe(true);
    const second = decideAdmission(
      trial.state,
      request({ incidentId: "other", target: "deployment/shop/cart", nowMs: T0 + HOUR + 1 }),
    );
    expect(second).toMatchObject({ admitted: false, reason: GuardReason.breakerOpen });
    expect(second.admitted ? "" : second.detail).toMatch(/half-open and incident trial is its trial/);
    expect(
      decideAdmission(trial.state, request({ incidentId: "trial", nowMs: T0 + HOUR + 1 })).admitted,
    ).toBe(true);
    const closed = recordBreakerOutcome(releaseIncident(trial.state, "trial"), "rb", true, T0 + HOUR, LIMITS);
    expect(
      decideAdmission(
        closed.state,
        request({ incidentId: "other", target: "deployment/shop/cart", nowMs: T0 + HOUR + 2 }),
      ).admitted,
    ).toBe(true);
  });

  it("a success in between resets the count; a reset by hand closes it", () => {
    let state = recordBreakerOutcome(EMPTY_GUARD_STATE, "rb", false, T0, LIMITS).state;
    state = recordBreakerOutcome(state, "rb", false, T0, LIMITS).state;
    state = recordBreakerOutcome(state, "rb", true, T0, LIMITS).state;
    expect(recordBreakerOutcome(state, "rb", false, T0, LIMITS).transition).toBe("counting");
    const open = [1, 2, 3].reduce(
      (current) => recordBreakerOutcome(current, "rb", false, T0, LIMITS).state,
      EMPTY_GUARD_STATE,
    );
    expect(decideAdmission(resetBreaker(open, "rb"), request()).admitted).toBe(true);
  });

  it("counts failures while open without extending the open period", () => {
    const open = [1, 2, 3].reduce(
      (current) => recordBreakerOutcome(current, "rb", false, T0, LIMITS).state,
      EMPTY_GUARD_STATE,
    );
    const again = recordBreakerOutcome(open, "rb", false, T0 + 10, LIMITS);
    expect(again.transition).toBe("still-open");
    expect(again.state.breakers.rb).toEqual({ failures: 4, openUntilMs: T0 + HOUR });
  });
});

describe("guard state", () => {
  it("prunes what is past its horizon at every decision, so it stays bounded", () => {
    let state = EMPTY_GUARD_STATE;
    for (let index = 0; index < 500; index++) {
      const decision = decideAdmission(
        state,
        request({
          incidentId: `i${index}`,
          target: `t/${index}`,
          nowMs: T0 + index * 60_000,
          limits: { ...DEFAULT_GUARD_LIMITS, maxActionsPerHour: 1000, maxActionsPerHourPerRunbook: 1000 },
        }),
      );
      state = releaseIncident(decision.state, `i${index}`);
    }
    expect(state.actions.length).toBeLessThanOrEqual(60);
    expect(Object.keys(state.cooldowns).length).toBeLessThanOrEqual(10);
  });

  it("reads nothing stored as empty, and refuses a corrupt state instead of resetting every guard", () => {
    expect(parseGuardState(null)).toEqual(EMPTY_GUARD_STATE);
    expect(parseGuardState("")).toEqual(EMPTY_GUARD_STATE);
    expect(parseGuardState('{"breakers": {"rb": {"failures": 2}}}')).toEqual({
      ...EMPTY_GUARD_STATE,
      breakers: { rb: { failures: 2 } },
    });
    expect(() => parseGuardState("not json")).toThrow(/guard state is unreadable \(not JSON\)/);
    expect(() => parseGuardState("[]")).toThrow(/not an object/);
    expect(() => parseGuardState('{"actions": 3, "breakers": []}')).toThrow(
      /actions, breakers of the wrong type\); no remediation is admitted/,
    );
  });
});
