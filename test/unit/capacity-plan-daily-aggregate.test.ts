import { describe, expect, it } from "vitest";
import { aggregateDaily, DAY_MS, quantile } from "../../src/capacity/daily-series.js";

const DAY0 = Date.UTC(2025, 0, 1);
const HOUR = 3600;

/** `days` days of hourly samples where hour h of day d is `value(d, h)`. */
function hourly(days: number, value: (day: number, hour: number) => number, startMs = DAY0) {
  return {
    stepSeconds: HOUR,
    startMs,
    values: Array.from({ length: days * 24 }, (_, index) => value(Math.floor(index / 24), index % 24)),
  };
}

describe("aggregateDaily", () => {
  it("takes the maximum of each UTC day", () => {
    const daily = aggregateDaily(
      hourly(3, (day, hour) => day * 100 + hour),
      { aggregate: "max" },
    );
    expect(daily.startMs).toBe(DAY0);
    expect(daily.values).toEqual([23, 123, 223]);
  });

  it("takes the 95th percentile of each day (R type 7)", () => {
    const daily = aggregateDaily(
      hourly(1, (_, hour) => hour),
      { aggregate: "p95" },
    );
    // 24 values 0..23: position 0.95 × 23 = 21.85
    expect(daily.values[0]).toBeCloseTo(21.85, 10);
    expect(quantile([5, 1, 3], 0.5)).toBe(3);
    expect(quantile([7], 0.95)).toBe(7);
  });

  it("keeps a day without samples as a gap (NaN) for the models' cleaning", () => {
    const daily = aggregateDaily(
      hourly(3, (day, hour) => (day === 1 ? Number.NaN : hour)),
      { aggregate: "max" },
    );
    expect(daily.values[0]).toBe(23);
    expect(daily.values[1]).toBeNaN();
    expect(daily.values[2]).toBe(23);
  });

  it("treats a day with under a quarter of its samples as missing, not as the max of a few points", () => {
    const sparse = hourly(2, (day, hour) => (day === 0 && hour >= 5 ? Number.NaN : 10 + hour));
    const daily = aggregateDaily(sparse, { aggregate: "max" });
    expect(daily.values[0]).toBeNaN(); // 5 of 24 samples
    expect(daily.values[1]).toBe(33);
    expect(aggregateDaily(sparse, { aggregate: "max", minCoverage: 0.2 }).values[0]).toBe(14);
  });

  it("leaves out the current, incomplete day", () => {
    const series = hourly(3, (day) => day + 1);
    const daily = aggregateDaily(series, {
      aggregate: "max",
      endBeforeMs: DAY0 + 2 * DAY_MS + 5 * 3_600_000,
    });
    expect(daily.values).toEqual([1, 2]);
  });

  it("aligns days to UTC midnight when the series starts mid-day", () => {
    const series = hourly(2, () => 1, DAY0 + 12 * 3_600_000);
    const daily = aggregateDaily(series, { aggregate: "max" });
    expect(daily.startMs).toBe(DAY0);
    expect(daily.values).toHaveLength(3);
  });

  it("handles coarse steps (6 h) and empty series", () => {
    const series = { stepSeconds: 6 * HOUR, startMs: DAY0, values: [1, 5, 2, 3, 7, 8, 6, 4] };
    expect(aggregateDaily(series, { aggregate: "max" }).values).toEqual([5, 8]);
    expect(
      aggregateDaily({ stepSeconds: HOUR, startMs: DAY0, values: [] }, { aggregate: "max" }).values,
    ).toEqual([]);
  });
});
