import { describe, expect, it } from "vitest";
import { ModelError } from "../../models/errors.js";
import { ExhaustionForecaster } from "../../models/anomaly/exhaustion-forecaster.js";
import { SeededRandom } from "../../models/math/seeded-random.js";

const MINUTE_MS = 60_000;
const START_MS = Date.UTC(2024, 0, 1);
const LIMIT_MB = 1024;

/** A service leaking 2 MB a minute from 400 MB, sampled every minute with ±5 MB noise. */
function leakingMemory(minutes: number, seed = 3): ExhaustionForecaster {
  const random = new SeededRandom(seed);
  const forecaster = new ExhaustionForecaster(LIMIT_MB);
  for (let minute = 0; minute < minutes; minute++) {
    forecaster.update(START_MS + minute * MINUTE_MS, 400 + 2 * minute + 5 * random.normal());
  }
  return forecaster;
}

describe("ExhaustionForecaster", () => {
  it("estimates the time until a linear leak reaches the limit within 5% of the truth", () => {
    const forecaster = leakingMemory(120);
    // At minute 119 memory is 638 MB: (1024 − 638) / 2 = 193 minutes to go.
    const estimate = forecaster.estimate();
    expect(estimate.slopePerSecond * 60).toBeCloseTo(2, 1);
    expect(estimate.timeToLimitMs / MINUTE_MS).toBeGreaterThan(193 * 0.95);
    expect(estimate.timeToLimitMs / MINUTE_MS).toBeLessThan(193 * 1.05);
  });

  it("gives a probability that rises to 1 once the horizon covers the time to the limit", () => {
    const forecaster = leakingMemory(120);
    expect(forecaster.probabilityWithin(20 * MINUTE_MS)).toBeLessThan(0.01);
    expect(forecaster.probabilityWithin(150 * MINUTE_MS)).toBeLessThan(0.2);
    expect(forecaster.probabilityWithin(240 * MINUTE_MS)).toBeGreaterThan(0.95);
    expect(forecaster.probabilityWithin(600 * MINUTE_MS)).toBeGreaterThan(0.99);
    const horizons = [0, 60, 120, 180, 240, 300].map((minutes) =>
      forecaster.probabilityWithin(minutes * MINUTE_MS),
    );
    for (let i = 1; i < horizons.length; i++) expect(horizons[i]!).toBeGreaterThanOrEqual(horizons[i - 1]!);
  });

  it("says never for a flat series and keeps the probability low", () => {
    const random = new SeededRandom(5);
    const forecaster = new ExhaustionForecaster(LIMIT_MB);
    for (let minute = 0; minute < 300; minute++) {
      forecaster.update(START_MS + minute * MINUTE_MS, 500 + 5 * random.normal());
    }
    const estimate = forecaster.estimate();
    // A tiny positive slope may be fitted from noise; it must put the limit far beyond a day.
    expect(estimate.timeToLimitMs).toBeGreaterThan(24 * 60 * MINUTE_MS);
    expect(forecaster.probabilityWithin(60 * MINUTE_MS)).toBeLessThan(0.001);
  });

  it("reports 1 when the limit is already reached, and ignores spikes, NaN and stale timestamps", () => {
    const forecaster = leakingMemory(120);
    const before = forecaster.estimate();
    forecaster.update(START_MS + 120 * MINUTE_MS, Number.NaN);
    forecaster.update(START_MS + 10 * MINUTE_MS, 5000); // older than the newest point: ignored
    expect(forecaster.estimate().slopePerSecond).toBe(before.slopePerSecond);
    forecaster.update(START_MS + 120 * MINUTE_MS, 2000); // one wild scrape: clipped
    expect(forecaster.estimate().timeToLimitMs / MINUTE_MS).toBeGreaterThan(150);
    const full = new ExhaustionForecaster(100);
    for (let minute = 0; minute < 20; minute++) full.update(START_MS + minute * MINUTE_MS, 90 + minute);
    expect(full.estimate().timeToLimitMs).toBe(0);
    expect(full.probabilityWithin(0)).toBe(1);
  });

  it("handles irregular sampling and gaps in time", () => {
    const forecaster = new ExhaustionForecaster(LIMIT_MB);
    let minute = 0;
    for (let i = 0; i < 150; i++) {
      minute += i % 10 === 0 ? 7 : 1; // every tenth sample comes after a 7-minute gap
      forecaster.update(START_MS + minute * MINUTE_MS, 400 + 2 * minute);
    }
    const estimate = forecaster.estimate();
    expect(estimate.slopePerSecond * 60).toBeCloseTo(2, 6);
    expect(estimate.timeToLimitMs / MINUTE_MS).toBeCloseTo((LIMIT_MB - (400 + 2 * minute)) / 2, 3);
  });

  it("gives no estimate from too few points and rejects a bad limit", () => {
    const forecaster = new ExhaustionForecaster(LIMIT_MB);
    forecaster.update(START_MS, 1000);
    expect(forecaster.estimate().timeToLimitMs).toBeNaN();
    expect(forecaster.probabilityWithin(MINUTE_MS)).toBe(0);
    expect(() => new ExhaustionForecaster(Number.NaN)).toThrow(ModelError);
    expect(() => new ExhaustionForecaster(10, { memoryPoints: 1 })).toThrow(/memoryPoints \(1\) must be ≥ 2/);
  });
});
