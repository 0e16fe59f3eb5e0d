import { describe, expect, it } from "vitest";
import type { Forecast, PredictOptions } from "../../models/forecast.js";
import type { FittedModel } from "../../models/forecaster.js";
import { SeededRandom } from "../../models/math/seeded-random.js";
import { createForecaster } from "../../training/model-catalog.js";
import { forecastWindowSteps, formatQuantity, requiredReplicas } from "../../src/scaler/required-replicas.js";
import { ScalerError, ScalerErrorCode } from "../../src/scaler/scaler-error.js";

/** A model whose interval at level L has upper bound `mean + L` (so the level read is visible). */
function fakeModel(
  mean: readonly number[],
  calls: { horizon: number; levels: readonly number[] }[] = [],
): FittedModel {
  const model: FittedModel = {
    name: "fake",
    notes: [],
    predict(horizonSteps: number, options?: PredictOptions): Forecast {
      const levels = options?.levels ?? [80, 95];
      calls.push({ horizon: horizonSteps, levels });
      const head = mean.slice(0, horizonSteps);
      return {
        model: "fake",
        mean: head,
        intervals: levels.map((level) => ({
          level,
          lower: head.map((value) => value - level),
          upper: head.map((value) => value + level),
        })),
        notes: [],
      };
    },
    update: () => model,
    toJSON: () => ({ kind: "fake", version: 1 }),
  };
  return model;
}

describe("requiredReplicas", () => {
  it("reads the q-quantile as the upper bound of the (2q − 1)·100 interval and takes the peak over the window", () => {
    const calls: { horizon: number; levels: readonly number[] }[] = [];
    const model = fakeModel([100, 500, 900, 1300, 200, 100], calls);
    const result = requiredReplicas(model, { fromStep: 2, toStep: 5, podCapacity: 100, quantile: 0.9 });
    expect(calls).toEqual([{ horizon: 5, levels: [80] }]);
    // Step 4: 1300 + 80 = 1380 → ceil(13.8) = 14.
    expect(result).toMatchObject({
      replicas: 14,
      peakLoad: 1380,
      peakStep: 4,
      level: 80,
      quantile: 0.9,
      model: "fake",
    });
    expect(result.detail).toBe("q0.9 of 1380 / 100 per pod, peak at step 4 of steps 2–5");
  });

  it("ignores steps outside the window", () => {
    const model = fakeModel([5000, 10, 10, 5000]);
    expect(requiredReplicas(model, { fromStep: 2, toStep: 3, podCapacity: 100 }).replicas).toBe(1);
  });

  it("defaults q to 0.9 and uses the point forecast for q = 0.5", () => {
    const calls: { horizon: number; levels: readonly number[] }[] = [];
    const model = fakeModel([300], calls);
    expect(requiredReplicas(model, { fromStep: 1, toStep: 1, podCapacity: 100 }).level).toBe(80);
    const median = requiredReplicas(model, { fromStep: 1, toStep: 1, podCapacity: 100, quantile: 0.5 });
    expect(median).toMatchObject({ replicas: 3, level: undefined, peakLoad: 300 });
    expect(calls.at(-1)?.levels).toEqual([]);
    expect(requiredReplicas(model, { fromStep: 1, toStep: 1, podCapacity: 100, quantile: 0.975 }).level).toBe(
      95,
    );
  });

  it("does not ask for an extra pod because of float noise, and asks for zero when no load is predicted", () => {
    expect(
      requiredReplicas(fakeModel([700 - 80 + 1e-10]), { fromStep: 1, toStep: 1, podCapacity: 700 }).replicas,
    ).toBe(1);
    expect(requiredReplicas(fakeModel([-500]), { fromStep: 1, toStep: 1, podCapacity: 10 })).toMatchObject({
      replicas: 0,
      peakLoad: 0,
    });
  });

  it("fails as forecastFailed when any step of the window is not finite", () => {
    expect(
      requiredReplicas(fakeModel([Number.NaN, 120]), { fromStep: 2, toStep: 2, podCapacity: 100 }).replicas,
    ).toBe(2);
    let thrown: unknown;
    try {
      requiredReplicas(fakeModel([120, Number.NaN]), { fromStep: 1, toStep: 2, podCapacity: 100 });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ScalerError);
    expect((thrown as ScalerError).code).toBe(ScalerErrorCode.forecastFailed);
  });

  it("wraps a model that throws as forecastFailed, with the cause", () => {
    const model: FittedModel = {
      ...fakeModel([1]),
      predict: () => {
        throw new Error("boom");
      },
    };
    expect(() => requiredReplicas(model, { fromStep: 1, toStep: 1, podCapacity: 1 })).toThrow(
      "model fake failed to predict 1 steps: boom",
    );
  });

  it("rejects options outside their rules, naming each", () => {
    const model = fakeModel([1, 2, 3]);
    expect(() => requiredReplicas(model, { fromStep: 0, toStep: 1, podCapacity: 1 })).toThrow(
      "`fromStep` (0)",
    );
    expect(() => requiredReplicas(model, { fromStep: 3, toStep: 2, podCapacity: 1 })).toThrow("`toStep` (2)");
    expect(() => requiredReplicas(model, { fromStep: 1, toStep: 1, podCapacity: 0 })).toThrow(
      "`podCapacity` (0)",
    );
    expect(() => requiredReplicas(model, { fromStep: 1, toStep: 1, podCapacity: 1, quantile: 1 })).toThrow(
      "`quantile` (1) must be ≥ 0.5 and < 1",
    );
    expect(() => requiredReplicas(model, { fromStep: 1, toStep: 1, podCapacity: 1, quantile: 0.3 })).toThrow(
      "`quantile` (0.3)",
    );
  });

  it("works with a real fitted model: higher quantiles never ask for fewer replicas", () => {
    const random = new SeededRandom(7);
    const values = Array.from(
      { length: 24 * 14 },
      (_, hour) => 1000 + 600 * Math.sin((2 * Math.PI * hour) / 24) + 50 * random.normal(),
    );
    const fitted = createForecaster("snaive", { period: 24, stepSeconds: 3600, horizonSteps: 6 }).fit({
      values,
      stepSeconds: 3600,
    });
    let previous = 0;
    for (const quantile of [0.5, 0.8, 0.9, 0.95, 0.99]) {
      const result = requiredReplicas(fitted, { fromStep: 1, toStep: 6, podCapacity: 100, quantile });
      expect(result.replicas).toBeGreaterThanOrEqual(previous);
      previous = result.replicas;
    }
    expect(previous).toBeGreaterThan(10);
  });
});

describe("forecastWindowSteps", () => {
  const MINUTE = 60_000;
  const end = Date.UTC(2026, 11, 1, 12);

  it("covers [now + lead, now + lead + window] with the steps that end at or after each instant", () => {
    // Data ends 12:00, now 12:02, lead 3m, window 15m → [12:05, 12:20] → 5-minute steps 1..4.
    expect(
      forecastWindowSteps({
        dataEndMs: end,
        stepSeconds: 300,
        nowMs: end + 2 * MINUTE,
        leadMs: 3 * MINUTE,
        windowMs: 15 * MINUTE,
      }),
    ).toEqual({ fromStep: 1, toStep: 4 });
    // One-minute steps, data end = now: [12:03, 12:18] → steps 3..18.
    expect(
      forecastWindowSteps({
        dataEndMs: end,
        stepSeconds: 60,
        nowMs: end,
        leadMs: 3 * MINUTE,
        windowMs: 15 * MINUTE,
      }),
    ).toEqual({ fromStep: 3, toStep: 18 });
  });

  it("always spans at least one step and never starts before step 1", () => {
    expect(
      forecastWindowSteps({
        dataEndMs: end,
        stepSeconds: 3600,
        nowMs: end - 10 * MINUTE,
        leadMs: 0,
        windowMs: 1,
      }),
    ).toEqual({ fromStep: 1, toStep: 1 });
  });

  it("rejects a non-positive step", () => {
    expect(() =>
      forecastWindowSteps({ dataEndMs: end, stepSeconds: 0, nowMs: end, leadMs: 0, windowMs: 1 }),
    ).toThrow("`stepSeconds` (0)");
  });
});

describe("formatQuantity", () => {
  it.each([
    [0.25, "0.25"],
    [700, "700"],
    [8300, "8300"],
    [12_345, "12.3k"],
    [1_234_567, "1.23M"],
  ])("formats %d as %s", (value, text) => {
    expect(formatQuantity(value)).toBe(text);
  });
});
