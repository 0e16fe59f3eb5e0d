import { describe, expect, it } from "vitest";
import { createAnomalyDetector } from "../../models/anomaly/anomaly-detector-catalog.js";
import { DecayingQuantile } from "../../models/anomaly/decaying-quantile.js";
import { erfc, negativeLogUpperTail, normalUpperTail } from "../../models/anomaly/normal-tail.js";
import { SeasonalResidualDetector } from "../../models/anomaly/seasonal-residual-detector.js";
import { WindowedGaussianDetector } from "../../models/anomaly/windowed-gaussian-detector.js";
import { SeededRandom } from "../../models/math/seeded-random.js";

const FIVE_MINUTES_MS = 300_000;
const PER_DAY = 288;
const START_MS = Date.UTC(2024, 0, 1);
const WARMUP = 600;

/** Two weeks of a 5-minute daily cycle (amplitude 40, noise σ 3), with an optional disturbance. */
function seasonalSeries(seed: number, disturb: (i: number, value: number) => number = (_, v) => v): number[] {
  const random = new SeededRandom(seed);
  return Array.from({ length: PER_DAY * 14 }, (_, i) =>
    disturb(i, 100 + 40 * Math.sin((2 * Math.PI * i) / PER_DAY) + 3 * random.normal()),
  );
}

function scoresOf(values: readonly number[], timestamps?: readonly number[]): number[] {
  const detector = new SeasonalResidualDetector({}, { warmupPoints: WARMUP });
  return values.map((value, i) => detector.update(timestamps?.[i] ?? START_MS + i * FIVE_MINUTES_MS, value));
}

/** Largest score after the warm-up outside [from, to). */
function maxOutside(scores: readonly number[], from: number, to: number): number {
  return Math.max(...scores.filter((_, i) => i >= WARMUP && (i < from || i >= to)));
}

const ANOMALY_AT = PER_DAY * 10 + 100;

describe("SeasonalResidualDetector", () => {
  it("scores an injected spike high at the spike and low everywhere else, daily peaks included", () => {
    const scores = scoresOf(seasonalSeries(7, (i, v) => (i === ANOMALY_AT ? v + 40 : v)));
    expect(scores[ANOMALY_AT]).toBeGreaterThan(0.8);
    const elsewhere = maxOutside(scores, ANOMALY_AT, ANOMALY_AT + 1);
    expect(elsewhere).toBeLessThan(0.5);
    expect(scores[ANOMALY_AT]!).toBeGreaterThan(2 * elsewhere);
  });

  it("reports a level shift (a deployment gone wrong) within a few points of its start", () => {
    const scores = scoresOf(seasonalSeries(11, (i, v) => (i >= ANOMALY_AT ? v + 25 : v)));
    const first = scores.slice(ANOMALY_AT, ANOMALY_AT + 6);
    expect(Math.max(...first)).toBeGreaterThan(0.9);
    expect(maxOutside(scores, ANOMALY_AT, ANOMALY_AT + PER_DAY * 2)).toBeLessThan(0.5);
  });

  it("reports one anomaly once, not on every point of it", () => {
    const scores = scoresOf(
      seasonalSeries(13, (i, v) => (i >= ANOMALY_AT && i < ANOMALY_AT + 30 ? v + 60 : v)),
    );
    const reports = scores.slice(ANOMALY_AT, ANOMALY_AT + 30).filter((score) => score > 0.5);
    expect(reports.length).toBeGreaterThanOrEqual(1);
    expect(reports.length).toBeLessThanOrEqual(3);
  });

  it("stays quiet on a pure daily cycle (no strong reports) and silent on a flat line", () => {
    const scores = scoresOf(seasonalSeries(17));
    expect(maxOutside(scores, 0, 0)).toBeLessThan(0.8);
    expect(scores.filter((score) => score > 0.5).length).toBeLessThanOrEqual(3);
    expect(Math.max(...scoresOf(Array.from({ length: 3000 }, () => 42)))).toBe(0);
  });

  it("treats NaN as a gap, survives missing timestamps and still finds the spike after them", () => {
    // Six hours (72 points) are missing entirely after point 2000: the clock phase must stay right.
    const slots = Array.from({ length: PER_DAY * 14 - 72 }, (_, i) => (i < 2000 ? i : i + 72));
    const random = new SeededRandom(19);
    const values = slots.map(
      (slot) =>
        100 +
        40 * Math.sin((2 * Math.PI * slot) / PER_DAY) +
        3 * random.normal() +
        (slot === ANOMALY_AT ? 40 : 0),
    );
    for (let i = 1500; i < 1510; i++) values[i] = Number.NaN;
    const detector = new SeasonalResidualDetector({}, { warmupPoints: WARMUP });
    const scores = values.map((value, i) => detector.update(START_MS + slots[i]! * FIVE_MINUTES_MS, value));
    for (let i = 1500; i < 1510; i++) expect(scores[i]).toBe(0);
    expect(scores.every((score) => score >= 0 && score <= 1)).toBe(true);
    expect(detector.update(Number.NaN, 5)).toBe(0);
    const spikeAt = slots.indexOf(ANOMALY_AT);
    expect(scores[spikeAt]).toBeGreaterThan(0.8);
    expect(maxOutside(scores, spikeAt, spikeAt + 1)).toBeLessThan(scores[spikeAt]! / 2);
  });

  it("reports nothing during the warm-up", () => {
    const scores = scoresOf(seasonalSeries(23, (i, v) => (i === 300 ? v + 200 : v)));
    expect(Math.max(...scores.slice(0, WARMUP))).toBe(0);
  });
});

describe("WindowedGaussianDetector (NAB's baseline)", () => {
  it("scores 1 − Q(|x − μ|/σ) against the points before, the first point 0", () => {
    const detector = new WindowedGaussianDetector();
    expect(detector.update(0, 1)).toBe(0);
    expect(detector.update(1, 3)).toBeCloseTo(1 - normalUpperTail(2 / 1e-6), 12); // σ of {1} is 0 → 1e-6
    // Window {1, 3}: μ 2, σ 1 → |5 − 2| / 1 = 3.
    expect(detector.update(2, 5)).toBeCloseTo(1 - normalUpperTail(3), 12);
    expect(detector.update(3, Number.NaN)).toBe(0);
  });

  it("slides its window by steps once full", () => {
    const detector = new WindowedGaussianDetector({ windowSize: 4, stepSize: 2 });
    for (const value of [0, 0, 0, 0]) detector.update(0, value);
    // Window still {0,0,0,0} (σ → 1e-6) until two more points arrive.
    expect(detector.update(0, 10)).toBe(1);
    detector.update(0, 10);
    // Window {0, 0, 10, 10}: μ 5, σ 5 → |5 − 5| → score 0.5.
    expect(detector.update(0, 5)).toBeCloseTo(0.5, 12);
  });

  it("is available from the catalogue next to presage", () => {
    expect(createAnomalyDetector("windowedGaussian").name).toBe("windowedGaussian");
    expect(createAnomalyDetector("presage", { warmupPoints: 10 }).name).toBe("presage");
  });
});

describe("normal tail and streaming quantile", () => {
  it("computes erfc to near double precision, including far tails", () => {
    expect(erfc(0)).toBe(1);
    expect(erfc(1)).toBeCloseTo(0.157299207050285, 14);
    expect(erfc(-1)).toBeCloseTo(1.842700792949715, 14);
    expect(erfc(3) / 2.209049699858544e-5).toBeCloseTo(1, 12);
    expect(erfc(10) / 2.088487583762545e-45).toBeCloseTo(1, 10);
    expect(negativeLogUpperTail(5)).toBeCloseTo(-Math.log(normalUpperTail(5)), 9);
    expect(negativeLogUpperTail(40)).toBeGreaterThan(800);
  });

  it("tracks an upper quantile and forgets old values", () => {
    const quantile = new DecayingQuantile(0.25, 256, 0.001);
    for (let i = 0; i < 10_000; i++) quantile.add((i % 100) / 10); // uniform on [0, 10)
    expect(quantile.quantile(0.9)).toBeGreaterThan(8.6);
    expect(quantile.quantile(0.9)).toBeLessThan(9.4);
    for (let i = 0; i < 10_000; i++) quantile.add(1);
    expect(quantile.quantile(0.9)).toBeLessThan(1.5);
  });
});

describe("SeasonalResidualDetector options", () => {
  it("rejects out-of-range options, naming each field, value and rule", () => {
    expect(() => new SeasonalResidualDetector({ typicalQuantile: 1.5, levelAlpha: 0 })).toThrow(
      "levelAlpha (0) must be in (0, 1); typicalQuantile (1.5) must be in (0, 1)",
    );
    expect(() => new SeasonalResidualDetector({ suppressionFactor: -1 })).toThrow(
      /suppressionFactor \(-1\) must be > 0/,
    );
  });
});
