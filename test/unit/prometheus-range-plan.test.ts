import { describe, expect, it } from "vitest";
import { SeededRandom } from "../../models/math/seeded-random.js";
import { alignRange, gridIndex, splitAlignedRange } from "../../src/sources/aligned-range.js";
import { MetricSourceError, MetricSourceErrorCode } from "../../src/sources/metric-source.js";

const HOUR = 3_600_000;

describe("alignRange", () => {
  it("aligns start and end down to whole steps and counts both ends", () => {
    const range = alignRange({ startMs: 10 * HOUR + 299_999, endMs: 11 * HOUR + 1, stepSeconds: 300 });
    expect(range).toEqual({ startMs: 10 * HOUR, endMs: 11 * HOUR, stepMs: 300_000, count: 13 });
  });

  it("aligns times before the epoch down as well", () => {
    expect(alignRange({ startMs: -1, endMs: 0, stepSeconds: 60 })).toMatchObject({
      startMs: -60_000,
      count: 2,
    });
  });

  it("gives one timestamp when start and end fall in the same step", () => {
    expect(alignRange({ startMs: 1_000, endMs: 59_000, stepSeconds: 60 }).count).toBe(1);
  });

  it.each([
    ["a zero step", { startMs: 0, endMs: 1, stepSeconds: 0 }],
    ["a negative step", { startMs: 0, endMs: 1, stepSeconds: -5 }],
    ["a step below a millisecond", { startMs: 0, endMs: 1, stepSeconds: 0.0001 }],
    ["an end before the start", { startMs: HOUR, endMs: 0, stepSeconds: 60 }],
    ["a NaN start", { startMs: Number.NaN, endMs: 0, stepSeconds: 60 }],
  ])("rejects %s as a non-retryable bad query", (_, request) => {
    try {
      alignRange(request);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(MetricSourceError);
      expect((error as MetricSourceError).code).toBe(MetricSourceErrorCode.badQuery);
      expect((error as MetricSourceError).retryable).toBe(false);
    }
  });
});

describe("splitAlignedRange", () => {
  const range = (count: number) => alignRange({ startMs: 0, endMs: (count - 1) * 60_000, stepSeconds: 60 });

  it("keeps a range of exactly the chunk size in one request", () => {
    expect(splitAlignedRange(range(10_000), 10_000)).toHaveLength(1);
  });

  it("starts a second chunk one step after the first ends at chunk size + 1", () => {
    const [first, second, ...rest] = splitAlignedRange(range(10_001), 10_000);
    expect(rest).toEqual([]);
    expect(first).toEqual({ startMs: 0, endMs: 9_999 * 60_000, stepMs: 60_000, count: 10_000 });
    expect(second).toEqual({ startMs: 10_000 * 60_000, endMs: 10_000 * 60_000, stepMs: 60_000, count: 1 });
  });

  it("covers every timestamp of random ranges exactly once, in order, within the limit", () => {
    const random = new SeededRandom(7);
    for (let trial = 0; trial < 100; trial++) {
      const stepSeconds = [1, 15, 60, 300, 3600][Math.floor(random.next() * 5)] ?? 60;
      const startMs = Math.floor(random.next() * 2e12);
      const whole = alignRange({
        startMs,
        endMs: startMs + random.next() * 30_000 * stepSeconds * 1000,
        stepSeconds,
      });
      const maxPoints = 1 + Math.floor(random.next() * 12_000);
      const chunks = splitAlignedRange(whole, maxPoints);
      expect(chunks.every((chunk) => chunk.count <= maxPoints)).toBe(true);
      expect(chunks.every((chunk) => chunk.endMs - chunk.startMs === (chunk.count - 1) * chunk.stepMs)).toBe(
        true,
      );
      const timestamps = chunks.flatMap((chunk) =>
        Array.from({ length: chunk.count }, (_, index) => chunk.startMs + index * chunk.stepMs),
      );
      const misplaced = timestamps.filter((time, index) => time !== whole.startMs + index * whole.stepMs);
      expect(timestamps.length).toBe(whole.count);
      expect(misplaced).toEqual([]);
    }
  });

  it("refuses a chunk size below one", () => {
    expect(() => splitAlignedRange(range(5), 0)).toThrow(RangeError);
  });
});

describe("gridIndex", () => {
  const range = alignRange({ startMs: 600_000, endMs: 1_200_000, stepSeconds: 300 });

  it("places grid times, tolerating a float-seconds round trip", () => {
    expect(gridIndex(range, 600_000)).toBe(0);
    expect(gridIndex(range, 899_999.9999)).toBe(1);
    expect(gridIndex(range, 1_200_000)).toBe(2);
  });

  it("rejects times off the grid or outside the range", () => {
    expect(gridIndex(range, 600_500)).toBeUndefined();
    expect(gridIndex(range, 300_000)).toBeUndefined();
    expect(gridIndex(range, 1_500_000)).toBeUndefined();
  });
});
