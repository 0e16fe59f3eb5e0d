import { describe, expect, it } from "vitest";
import { syntheticWorkload } from "../../src/sources/synthetic-workload.js";

function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

describe("syntheticWorkload", () => {
  it("is reproducible for a seed and differs between seeds", () => {
    expect(syntheticWorkload({ seed: 1 }).values).toEqual(syntheticWorkload({ seed: 1 }).values);
    expect(syntheticWorkload({ seed: 2 }).values).not.toEqual(syntheticWorkload({ seed: 1 }).values);
  });

  it("has a daily cycle: busy late mornings, quiet nights", () => {
    const { values } = syntheticWorkload({ stepSeconds: 3600, days: 28, noise: 0 });
    const atHour = (hour: number): number[] => values.filter((_, i) => i % 24 === hour);
    expect(mean(atHour(11))).toBeGreaterThan(2 * mean(atHour(3)));
  });

  it("has a weekly cycle: weekends are quieter than weekdays", () => {
    // Day 0 is Monday 2026-11-02, so days 5 and 6 of each week are the weekend.
    const { values } = syntheticWorkload({ stepSeconds: 3600, days: 28, noise: 0, weeklyGrowth: 0 });
    const dayOfWeek = (i: number): number => Math.floor(i / 24) % 7;
    const weekend = values.filter((_, i) => dayOfWeek(i) >= 5);
    const weekday = values.filter((_, i) => dayOfWeek(i) < 5);
    expect(mean(weekend) / mean(weekday)).toBeCloseTo(0.6, 1);
  });

  it("covers the requested span at the requested step with timestamps", () => {
    const series = syntheticWorkload({ stepSeconds: 900, days: 2 });
    expect(series.values).toHaveLength(192);
    expect(series.stepSeconds).toBe(900);
    expect(series.startMs).toBe(Date.UTC(2026, 10, 2));
    expect(series.values.every((value) => Number.isFinite(value) && value > 0)).toBe(true);
  });
});
