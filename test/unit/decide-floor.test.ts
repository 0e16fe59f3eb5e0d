import { describe, expect, it } from "vitest";
import { SeededRandom } from "../../models/math/seeded-random.js";
import { decideFloor } from "../../src/scaler/decide-floor.js";
import { FloorReason, type FloorInput, type FloorPolicy } from "../../src/scaler/floor-decision.js";

const MINUTE = 60_000;
const NOW = Date.UTC(2026, 11, 1, 12);

const policy: FloorPolicy = {
  baselineMinReplicas: 3,
  maxReplicas: 20,
  maxStepUp: 4,
  scaleDownCooldownMs: 10 * MINUTE,
  maxStepDown: 2,
  maxForecastAgeMs: 5 * MINUTE,
};

function input(overrides: Partial<FloorInput> & { required?: number; ageMs?: number }): FloorInput {
  const { required, ageMs, ...rest } = overrides;
  return {
    nowMs: NOW,
    policy,
    currentFloor: 3,
    outage: false,
    ...(required === undefined
      ? {}
      : { forecast: { requiredReplicas: required, createdAtMs: NOW - (ageMs ?? 0) } }),
    ...rest,
  };
}

describe("decideFloor: table", () => {
  const cases: {
    name: string;
    input: FloorInput;
    floor: number;
    reason: FloorReason;
    lowSinceMs?: number;
    detail?: RegExp;
  }[] = [
    {
      name: "raises to what the forecast asks when within one step",
      input: input({ currentFloor: 3, required: 6 }),
      floor: 6,
      reason: FloorReason.raise,
      detail: /forecast asks 6, raised 3 → 6$/,
    },
    {
      name: "raises by at most maxStepUp per tick",
      input: input({ currentFloor: 3, required: 15 }),
      floor: 7,
      reason: FloorReason.raise,
      detail: /step limit \+4/,
    },
    {
      name: "caps a raise at maxReplicas",
      input: input({ currentFloor: 18, required: 50 }),
      floor: 20,
      reason: FloorReason.raise,
      detail: /capped at maxReplicas 20/,
    },
    {
      name: "holds when the forecast agrees with the floor",
      input: input({ currentFloor: 8, required: 8 }),
      floor: 8,
      reason: FloorReason.hold,
    },
    {
      name: "holds at maxReplicas when the forecast asks for more (clamped)",
      input: input({ currentFloor: 20, required: 30 }),
      floor: 20,
      reason: FloorReason.clamped,
      detail: /held at maxReplicas 20/,
    },
    {
      name: "stays at the baseline when the forecast asks for less (clamped)",
      input: input({ currentFloor: 3, required: 1 }),
      floor: 3,
      reason: FloorReason.clamped,
      detail: /held at the declared baseline 3/,
    },
    {
      name: "starts the scale-down timer when the forecast first drops below the floor",
      input: input({ currentFloor: 10, required: 5 }),
      floor: 10,
      reason: FloorReason.holdCooldown,
      lowSinceMs: NOW,
    },
    {
      name: "keeps holding while the cooldown runs",
      input: input({ currentFloor: 10, required: 5, lowSinceMs: NOW - 9 * MINUTE }),
      floor: 10,
      reason: FloorReason.holdCooldown,
      lowSinceMs: NOW - 9 * MINUTE,
      detail: /9m of the 10m cooldown/,
    },
    {
      name: "lowers by at most maxStepDown after the cooldown and restarts the timer",
      input: input({ currentFloor: 10, required: 5, lowSinceMs: NOW - 10 * MINUTE }),
      floor: 8,
      reason: FloorReason.lower,
      lowSinceMs: NOW,
      detail: /lowered 10 → 8 \(step limit −2\)/,
    },
    {
      name: "lowers to the forecast and clears the timer when it is within one step",
      input: input({ currentFloor: 6, required: 5, lowSinceMs: NOW - 30 * MINUTE }),
      floor: 5,
      reason: FloorReason.lower,
    },
    {
      name: "never lowers below the baseline",
      input: input({ currentFloor: 4, required: 0, lowSinceMs: NOW - 30 * MINUTE }),
      floor: 3,
      reason: FloorReason.lower,
    },
    {
      name: "never lowers during an outage and restarts the cooldown",
      input: input({ currentFloor: 10, required: 2, outage: true, lowSinceMs: NOW - 60 * MINUTE }),
      floor: 10,
      reason: FloorReason.holdOutage,
      detail: /service is failing/,
    },
    {
      name: "still raises during an outage",
      input: input({ currentFloor: 10, required: 12, outage: true }),
      floor: 12,
      reason: FloorReason.raise,
    },
    {
      name: "returns to the baseline at once when there is no forecast",
      input: input({ currentFloor: 12, forecastError: "no current model" }),
      floor: 3,
      reason: FloorReason.baselineNoForecast,
      detail: /no usable forecast \(no current model\): back to the baseline 12 → 3/,
    },
    {
      name: "never lowers the floor below its declared baseline when the forecast is stale",
      input: input({ currentFloor: 9, required: 1, ageMs: 6 * MINUTE }),
      floor: 3,
      reason: FloorReason.baselineNoForecast,
      detail: /stale: 6m old, limit 5m/,
    },
    {
      name: "never raises on a stale forecast",
      input: input({ currentFloor: 3, required: 15, ageMs: 6 * MINUTE }),
      floor: 3,
      reason: FloorReason.baselineNoForecast,
      detail: /staying at the baseline 3/,
    },
    {
      name: "accepts a forecast exactly maxForecastAgeMs old",
      input: input({ currentFloor: 3, required: 5, ageMs: 5 * MINUTE }),
      floor: 5,
      reason: FloorReason.raise,
    },
    {
      name: "treats a non-finite forecast as failed",
      input: input({ currentFloor: 8, required: Number.NaN }),
      floor: 3,
      reason: FloorReason.baselineNoForecast,
      detail: /asked for NaN replicas/,
    },
    {
      name: "treats a negative forecast as failed",
      input: input({ currentFloor: 8, required: -1 }),
      floor: 3,
      reason: FloorReason.baselineNoForecast,
    },
    {
      name: "rounds a fractional forecast up",
      input: input({ currentFloor: 3, required: 4.2 }),
      floor: 5,
      reason: FloorReason.raise,
    },
    {
      name: "holds a raised floor during an outage even without a forecast",
      input: input({ currentFloor: 12, outage: true }),
      floor: 12,
      reason: FloorReason.holdOutage,
      detail: /no usable forecast \(no forecast\) and the service is failing: holding 12/,
    },
    {
      name: "restores the baseline without a forecast during an outage when the floor is below it",
      input: input({ currentFloor: 1, outage: true }),
      floor: 3,
      reason: FloorReason.baselineNoForecast,
    },
    {
      name: "clamps a floor above a lowered maxReplicas, even during an outage",
      input: input({ currentFloor: 25, required: 25, outage: true }),
      floor: 20,
      reason: FloorReason.clamped,
      detail: /above maxReplicas 20/,
    },
    {
      name: "clamps a floor below the declared baseline up to it",
      input: input({ currentFloor: 1, required: 2 }),
      floor: 3,
      reason: FloorReason.clamped,
    },
    {
      name: "restarts a timer that lies in the future",
      input: input({ currentFloor: 10, required: 5, lowSinceMs: NOW + 5 * MINUTE }),
      floor: 10,
      reason: FloorReason.holdCooldown,
      lowSinceMs: NOW,
    },
    {
      name: "lowers at once when the cooldown is zero",
      input: input({ currentFloor: 10, required: 9, policy: { ...policy, scaleDownCooldownMs: 0 } }),
      floor: 9,
      reason: FloorReason.lower,
    },
    {
      name: "clears the timer when the forecast comes back up to the floor",
      input: input({ currentFloor: 10, required: 10, lowSinceMs: NOW - 5 * MINUTE }),
      floor: 10,
      reason: FloorReason.hold,
    },
    {
      name: "quotes the forecast's own detail",
      input: {
        ...input({ currentFloor: 8 }),
        forecast: { requiredReplicas: 12, createdAtMs: NOW, detail: "q0.9 of 8300 / 700 per pod" },
      },
      floor: 12,
      reason: FloorReason.raise,
      detail: /^forecast asks 12 \(q0\.9 of 8300 \/ 700 per pod\), raised 8 → 12$/,
    },
  ];

  it.each(cases)("$name", ({ input: given, floor, reason, lowSinceMs, detail }) => {
    const decision = decideFloor(given);
    expect(decision.floor).toBe(floor);
    expect(decision.reason).toBe(reason);
    expect(decision.lowSinceMs).toBe(lowSinceMs);
    expect(decision.detail.length).toBeGreaterThan(10);
    if (detail !== undefined) expect(decision.detail).toMatch(detail);
  });

  it("rejects a policy that breaks its rules, naming field, value and rule", () => {
    expect(() =>
      decideFloor(input({ policy: { ...policy, baselineMinReplicas: 7, maxReplicas: 5 } })),
    ).toThrow("`maxReplicas` (5) must be an integer ≥ 1 and ≥ `baselineMinReplicas` (7)");
    expect(() => decideFloor(input({ policy: { ...policy, maxStepUp: 0 } }))).toThrow("`maxStepUp` (0)");
    expect(() => decideFloor(input({ currentFloor: 2.5 }))).toThrow("`currentFloor` (2.5)");
    expect(() => decideFloor(input({ nowMs: Number.NaN }))).toThrow("`nowMs` (NaN)");
  });
});

/** A random valid input: bounds, steps and cooldowns of all sizes, forecasts fresh, stale or absent. */
function randomInput(random: SeededRandom): FloorInput {
  const int = (low: number, high: number): number => low + Math.floor(random.next() * (high - low + 1));
  const baseline = int(0, 10);
  const max = Math.max(1, baseline) + int(0, 40);
  const randomPolicy: FloorPolicy = {
    baselineMinReplicas: baseline,
    maxReplicas: max,
    maxStepUp: int(1, 8),
    maxStepDown: int(1, 5),
    scaleDownCooldownMs: int(0, 3) * 5 * MINUTE,
    maxForecastAgeMs: int(1, 10) * MINUTE,
  };
  const nowMs = NOW + int(0, 10_000) * MINUTE;
  // Mostly in bounds, sometimes outside (the owner edited the HPA).
  const currentFloor = random.next() < 0.9 ? int(baseline, max) : int(0, max + 10);
  const kind = random.next();
  const forecast =
    kind < 0.15
      ? undefined
      : {
          requiredReplicas: kind < 0.2 ? Number.NaN : int(0, max + 20),
          createdAtMs: nowMs - int(0, 2 * randomPolicy.maxForecastAgeMs),
        };
  const lowSince = random.next();
  return {
    nowMs,
    policy: randomPolicy,
    currentFloor,
    ...(forecast === undefined ? {} : { forecast }),
    ...(forecast === undefined && random.next() < 0.5
      ? { forecastError: "the registry is unavailable" }
      : {}),
    outage: random.next() < 0.25,
    ...(lowSince < 0.5 ? {} : { lowSinceMs: nowMs - int(-2, 40) * MINUTE }),
  };
}

function isFresh(given: FloorInput): boolean {
  const forecast = given.forecast;
  return (
    forecast !== undefined &&
    Number.isFinite(forecast.requiredReplicas) &&
    forecast.requiredReplicas >= 0 &&
    given.nowMs - forecast.createdAtMs <= given.policy.maxForecastAgeMs
  );
}

describe("decideFloor: invariants over random inputs", () => {
  const random = new SeededRandom(20_261_201);
  const inputs = Array.from({ length: 20_000 }, () => randomInput(random));

  it("keeps every floor within [baseline, maxReplicas]", () => {
    for (const given of inputs) {
      const { floor } = decideFloor(given);
      expect(Number.isInteger(floor), JSON.stringify(given)).toBe(true);
      expect(floor, JSON.stringify(given)).toBeGreaterThanOrEqual(given.policy.baselineMinReplicas);
      expect(floor, JSON.stringify(given)).toBeLessThanOrEqual(given.policy.maxReplicas);
    }
  });

  it("never raises the floor by more than maxStepUp, except to restore the declared baseline", () => {
    for (const given of inputs) {
      const { floor } = decideFloor(given);
      if (floor === given.policy.baselineMinReplicas) continue;
      expect(floor - given.currentFloor, JSON.stringify(given)).toBeLessThanOrEqual(given.policy.maxStepUp);
    }
  });

  it("never lowers the floor during an outage (unless it is above maxReplicas)", () => {
    for (const given of inputs.filter((candidate) => candidate.outage)) {
      const { floor } = decideFloor(given);
      expect(floor, JSON.stringify(given)).toBeGreaterThanOrEqual(
        Math.min(given.currentFloor, given.policy.maxReplicas),
      );
    }
  });

  it("never keeps a floor above the baseline without a fresh forecast, except holding one during an outage", () => {
    for (const given of inputs.filter((candidate) => !isFresh(candidate))) {
      const decision = decideFloor(given);
      if (given.outage && given.currentFloor > given.policy.baselineMinReplicas) {
        expect(decision.floor, JSON.stringify(given)).toBe(
          Math.min(given.currentFloor, given.policy.maxReplicas),
        );
        expect(decision.floor, JSON.stringify(given)).toBeLessThanOrEqual(given.currentFloor);
      } else {
        expect(decision.floor, JSON.stringify(given)).toBe(given.policy.baselineMinReplicas);
        expect(decision.reason).toBe(FloorReason.baselineNoForecast);
      }
    }
  });

  it("lowers an in-bounds floor only after the cooldown, by at most maxStepDown, never below the forecast", () => {
    for (const given of inputs.filter(isFresh)) {
      const decision = decideFloor(given);
      const { baselineMinReplicas: baseline, maxReplicas: max } = given.policy;
      if (given.currentFloor < baseline || given.currentFloor > max) continue;
      if (decision.floor >= given.currentFloor) continue;
      expect(decision.reason).toBe(FloorReason.lower);
      expect(given.outage).toBe(false);
      expect(given.currentFloor - decision.floor).toBeLessThanOrEqual(given.policy.maxStepDown);
      const target = Math.max(baseline, Math.ceil(given.forecast?.requiredReplicas ?? 0));
      expect(decision.floor).toBeGreaterThanOrEqual(target);
      const lowSince =
        given.lowSinceMs !== undefined && given.lowSinceMs <= given.nowMs ? given.lowSinceMs : given.nowMs;
      expect(given.nowMs - lowSince).toBeGreaterThanOrEqual(given.policy.scaleDownCooldownMs);
    }
  });

  it("carries a timer only while the floor is above the forecast, and gives every decision a reason and detail", () => {
    const reasons = new Set(Object.values(FloorReason));
    for (const given of inputs) {
      const decision = decideFloor(given);
      expect(reasons.has(decision.reason)).toBe(true);
      expect(decision.detail.trim().length).toBeGreaterThan(10);
      if (decision.lowSinceMs !== undefined) {
        expect([FloorReason.holdCooldown, FloorReason.lower]).toContain(decision.reason);
        expect(decision.lowSinceMs).toBeLessThanOrEqual(given.nowMs);
      }
      expect(decideFloor(given)).toEqual(decision);
    }
  });

  it("covers every reason", () => {
    const seen = new Set(inputs.map((given) => decideFloor(given).reason));
    expect([...seen].sort()).toEqual(Object.values(FloorReason).sort());
  });
});

describe("decideFloor: over time", () => {
  /** Runs ticks every minute, feeding back `lowSinceMs` and the floor, with `required(minute)`. */
  function run(
    minutes: number,
    required: (minute: number) => number | undefined,
    outage: (minute: number) => boolean = () => false,
  ): number[] {
    let floor = policy.baselineMinReplicas;
    let lowSinceMs: number | undefined;
    const floors: number[] = [];
    for (let minute = 0; minute < minutes; minute++) {
      const nowMs = NOW + minute * MINUTE;
      const asked = required(minute);
      const decision = decideFloor({
        nowMs,
        policy,
        currentFloor: floor,
        ...(asked === undefined ? {} : { forecast: { requiredReplicas: asked, createdAtMs: nowMs } }),
        outage: outage(minute),
        ...(lowSinceMs === undefined ? {} : { lowSinceMs }),
      });
      floor = decision.floor;
      lowSinceMs = decision.lowSinceMs;
      floors.push(floor);
    }
    return floors;
  }

  it("climbs to a peak in steps of maxStepUp and comes down one cooldown per step", () => {
    const floors = run(60, (minute) => (minute < 5 ? 15 : 3));
    expect(floors.slice(0, 5)).toEqual([7, 11, 15, 15, 15]);
    // Low from minute 5: first step at 15 (10 min later), the next 10 min after that, and so on.
    expect(floors[14]).toBe(15);
    expect(floors[15]).toBe(13);
    expect(floors[24]).toBe(13);
    expect(floors[25]).toBe(11);
    expect(floors[55]).toBe(5);
  });

  it("restarts the cooldown when the forecast bounces back up to the floor", () => {
    const floors = run(30, (minute) => (minute < 3 ? 10 : minute === 10 ? 10 : 3));
    expect(floors[12]).toBe(10);
    // Low again from minute 11: first step down at minute 21, not 13.
    expect(floors[20]).toBe(10);
    expect(floors[21]).toBe(8);
  });

  it("holds through an outage and only starts the cooldown once it ends", () => {
    const floors = run(
      40,
      (minute) => (minute < 3 ? 10 : 3),
      (minute) => minute >= 3 && minute < 20,
    );
    expect(floors.slice(3, 20).every((floor) => floor === 10)).toBe(true);
    expect(floors[29]).toBe(10);
    expect(floors[30]).toBe(8);
  });

  it("drops to the baseline the tick the forecast disappears and rises again when it returns", () => {
    const floors = run(12, (minute) => (minute >= 4 && minute < 6 ? undefined : 10));
    expect(floors.slice(0, 7)).toEqual([7, 10, 10, 10, 3, 3, 7]);
  });
});
