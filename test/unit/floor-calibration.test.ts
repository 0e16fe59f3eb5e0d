import { describe, expect, it } from "vitest";
import type { Forecast, PredictOptions } from "../../models/forecast.js";
import type { FittedModel } from "../../models/forecaster.js";
import { SeededRandom } from "../../models/math/seeded-random.js";
import { FloorCalibration } from "../../src/scaler/floor-calibration.js";
import { requiredReplicas } from "../../src/scaler/required-replicas.js";

const STEP_MS = 60_000;

/** Poisson-like counts: mean `level`, spread √level (normal approximation), never below zero. */
function counts(random: SeededRandom, level: number): number {
  const u = Math.max(1e-12, random.next());
  const v = random.next();
  const normal = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  return Math.max(0, Math.round(level + Math.sqrt(level) * normal));
}

/** A daily cycle between 40 and 400 per minute. */
const levelAt = (minute: number): number => 220 + 180 * Math.sin((2 * Math.PI * minute) / 1440);

/**
 * Feeds `minutes` of counts through the calibration as the loop does: at each minute a forecast made
 * from the newest observation (the true level times `bias`) for steps 1..`toStep`, then the next
 * observation. Returns the observed loads.
 */
function feed(
  calibration: FloorCalibration,
  random: SeededRandom,
  fromMinute: number,
  minutes: number,
  bias = 1,
  toStep = 5,
): void {
  for (let minute = fromMinute; minute < fromMinute + minutes; minute++) {
    const dataEndMs = minute * STEP_MS;
    const forecast = Array.from({ length: toStep }, (_, index) => bias * levelAt(minute + index + 1));
    calibration.recordForecast(dataEndMs, STEP_MS, forecast, 1, toStep);
    calibration.observe((minute + 1) * STEP_MS, counts(random, levelAt(minute + 1)));
  }
}

describe("FloorCalibration", () => {
  it("answers nothing until a step has enough pairs, then covers the quantile on new data", () => {
    const calibration = new FloorCalibration({ minPairsPerStep: 1440, maxPairsPerStep: 10_080 });
    const random = new SeededRandom(7);
    // A model that under-forecasts by 10%: its own intervals would miss; the calibration learns it.
    feed(calibration, random, 0, 1000, 0.9);
    expect(calibration.upper(3, 100, 0.9)).toBeUndefined();
    feed(calibration, random, 1000, 3 * 1440, 0.9);
    expect(calibration.status().calibratedSteps).toBe(5);

    let covered = 0;
    let total = 0;
    for (let minute = 5000; minute < 5000 + 2880; minute++) {
      const forecast = 0.9 * levelAt(minute + 3);
      const upper = calibration.upper(3, forecast, 0.9);
      expect(upper).toBeDefined();
      const actual = counts(random, levelAt(minute + 3));
      total++;
      if (actual <= (upper ?? Number.NaN)) covered++;
    }
    expect(covered / total).toBeGreaterThan(0.86);
    expect(covered / total).toBeLessThan(0.94);
  });

  it("scales the error with level^exponent: √ for counts, so a 4× level has 2× the headroom", () => {
    const calibration = new FloorCalibration({ minPairsPerStep: 500, noiseExponent: 0.5 });
    feed(calibration, new SeededRandom(3), 0, 3000);
    const headroom = (level: number): number => (calibration.upper(2, level, 0.95) ?? Number.NaN) - level;
    expect(headroom(400) / headroom(100)).toBeCloseTo(2, 5);
    const additive = new FloorCalibration({ minPairsPerStep: 500, noiseExponent: 0 });
    feed(additive, new SeededRandom(3), 0, 3000);
    expect((additive.upper(2, 400, 0.95) ?? 0) - 400).toBeCloseTo(
      (additive.upper(2, 100, 0.95) ?? 0) - 100,
      9,
    );
  });

  it("pairs only measured loads, drops forecasts whose time passed in a gap, and keeps one forecast per time and step", () => {
    const calibration = new FloorCalibration({ minPairsPerStep: 1 });
    calibration.recordForecast(0, STEP_MS, [10, 20], 1, 2);
    calibration.recordForecast(0, STEP_MS, [12, 22], 1, 2); // the same forecast again: replaces
    expect(calibration.status().pendingForecasts).toBe(2);
    calibration.observe(STEP_MS, Number.NaN); // a gap at step 1: nothing learnt
    expect(calibration.upper(1, 10, 0.9)).toBeUndefined();
    calibration.observe(2 * STEP_MS, 30);
    expect(calibration.status().pendingForecasts).toBe(0);
    // One pair for step 2: forecast 22, actual 30 → error 8 (exponent 0.5 at 22: 8 / √22).
    expect(calibration.upper(2, 22, 0.9)).toBeCloseTo(30, 9);
    // A forecast for a time already observed pairs with nothing and is not kept.
    calibration.recordForecast(0, STEP_MS, [5, 5], 1, 2);
    expect(calibration.status().pendingForecasts).toBe(0);
  });

  it("keeps only the newest pairs", () => {
    const calibration = new FloorCalibration({ minPairsPerStep: 10, maxPairsPerStep: 10, noiseExponent: 0 });
    for (let minute = 0; minute < 40; minute++) {
      calibration.recordForecast(minute * STEP_MS, STEP_MS, [100], 1, 1);
      // The error jumps from +50 to −50 after 20 minutes; after 10 more only −50 is remembered.
      calibration.observe((minute + 1) * STEP_MS, minute < 20 ? 150 : 50);
    }
    expect(calibration.upper(1, 100, 0.99)).toBeCloseTo(50, 9);
  });

  it("rejects options outside their rules, naming each", () => {
    expect(() => new FloorCalibration({ noiseExponent: 2, minPairsPerStep: 0 })).toThrow(
      /`minPairsPerStep` \(0\).*; `noiseExponent` \(2\) must be from 0 to 1/,
    );
    expect(() => new FloorCalibration({ maxPairsPerStep: 5, minPairsPerStep: 6 })).toThrow(
      /`minPairsPerStep` \(6\) must be an integer from 1 to maxPairsPerStep \(5\)/,
    );
  });
});

describe("requiredReplicas with a calibration", () => {
  const model: FittedModel = {
    name: "flat",
    notes: [],
    predict(horizonSteps: number, options?: PredictOptions): Forecast {
      const mean = Array.from({ length: horizonSteps }, () => 100);
      return {
        model: "flat",
        mean,
        intervals: (options?.levels ?? []).map((level) => ({
          level,
          lower: mean.map((value) => value - 1),
          upper: mean.map((value) => value + 1),
        })),
        notes: [],
      };
    },
    update: () => model,
    toJSON: () => ({ kind: "flat", version: 1 }),
  };

  it("sizes on the calibrated quantile once every window step is calibrated, else on the model's interval", () => {
    const calibration = new FloorCalibration({ minPairsPerStep: 1, noiseExponent: 0 });
    const options = { fromStep: 1, toStep: 2, podCapacity: 10, quantile: 0.9, calibration };
    const before = requiredReplicas(model, options);
    expect(before).toMatchObject({ calibrated: false, replicas: 11, peakLoad: 101 });
    expect(before.pointForecast.slice(0, 2)).toEqual([100, 100]);

    calibration.recordForecast(0, STEP_MS, [100, 100], 1, 2);
    calibration.observe(STEP_MS, 150);
    // Step 2 has no pair yet: still the model's interval.
    expect(requiredReplicas(model, options).calibrated).toBe(false);
    calibration.observe(2 * STEP_MS, 170);
    const after = requiredReplicas(model, options);
    // Step 1: 100 + 50, step 2: 100 + 70 → peak 170 → 17 pods.
    expect(after).toMatchObject({ calibrated: true, replicas: 17, peakLoad: 170, peakStep: 2 });
    expect(after.detail).toMatch(/^calibrated q0\.9 of 170/);
  });
});
