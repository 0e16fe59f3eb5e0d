import { describe, expect, it } from "vitest";
import type { Forecaster } from "../../models/forecaster.js";
import { planCapacity } from "../../src/capacity/capacity-plan.js";
import { DAY_MS } from "../../src/capacity/daily-series.js";
import { computeRunway, sevenDayMeanAt } from "../../src/capacity/runway.js";
import { backtestRunwayHorizon } from "../../src/capacity/runway-backtest.js";
import { renderRunwayChartSvg } from "../../src/capacity/runway-chart-svg.js";
import { createForecaster } from "../../training/model-catalog.js";
import { capacityTarget, ORIGIN_MS } from "../support/capacity-fixtures.js";

const line = (from: number, slope: number, days: number): number[] =>
  Array.from({ length: days }, (_, k) => from + slope * (k + 1));

describe("computeRunway", () => {
  it("finds the first day the p50 and the p90 forecasts reach capacity × headroom", () => {
    const runway = computeRunway({
      lastObservedDayMs: ORIGIN_MS,
      lastObserved: 70,
      p50: line(70, 0.5, 60), // 80 on day 20
      p90: line(72, 0.5, 60), // 80 on day 16
      capacity: 100,
      headroom: 0.8,
    });
    expect(runway.limit).toBe(80);
    expect(runway.p50).toEqual({ days: 20, date: "2025-06-21" });
    expect(runway.p90).toEqual({ days: 16, date: "2025-06-17" });
    expect(runway.horizonDays).toBe(60);
  });

  it("says no crossing within the horizon when the forecast stays under", () => {
    const runway = computeRunway({
      lastObservedDayMs: ORIGIN_MS,
      lastObserved: 50,
      p50: line(50, 0, 30),
      p90: line(60, 0, 30),
      capacity: 100,
      headroom: 0.8,
    });
    expect(runway.p50).toEqual({ days: undefined, date: undefined });
    expect(runway.p90.days).toBeUndefined();
  });

  it("reports zero days when usage already reached the limit on the last observed day", () => {
    const runway = computeRunway({
      lastObservedDayMs: ORIGIN_MS,
      lastObserved: 85,
      p50: line(70, 0, 30),
      p90: line(75, 0, 30),
      capacity: 100,
      headroom: 0.8,
    });
    expect(runway.p50).toEqual({ days: 0, date: "2025-06-01" });
    expect(runway.p90.days).toBe(0);
  });

  it("ignores non-finite forecast days", () => {
    const runway = computeRunway({
      lastObservedDayMs: ORIGIN_MS,
      lastObserved: Number.NaN,
      p50: [Number.NaN, 90],
      p90: [Number.POSITIVE_INFINITY, 95],
      capacity: 100,
      headroom: 0.8,
    });
    expect(runway.p50.days).toBe(2);
    expect(runway.p90.days).toBe(2);
  });
});

describe("sevenDayMeanAt", () => {
  it("averages the 7 days ending at the horizon, skipping gaps, NaN when too few are present", () => {
    const values = Array.from({ length: 30 }, (_, k) => k + 1);
    expect(sevenDayMeanAt(values, 10)).toBe(7); // days 4..10
    expect(sevenDayMeanAt(values, 3)).toBe(2); // days 1..3
    const gappy = [1, Number.NaN, Number.NaN, Number.NaN, Number.NaN, 6, 7];
    expect(sevenDayMeanAt(gappy, 7)).toBeCloseTo(14 / 3, 10);
    expect(sevenDayMeanAt(gappy, 7, 4)).toBeNaN();
  });
});

describe("backtestRunwayHorizon", () => {
  it("scores rolling origins at the runway horizon: a straight line is forecast exactly by drift", () => {
    const values = line(10, 0.1, 400);
    const result = backtestRunwayHorizon(
      values,
      ORIGIN_MS,
      createForecaster("drift", { period: 7, horizonSteps: 60, stepSeconds: 86_400 }),
      {
        horizonDays: 60,
        folds: 3,
        strideDays: 30,
      },
    );
    expect(result.folds).toHaveLength(3);
    expect(result.mape).toBeLessThan(1e-9);
    expect(result.folds.map((fold) => fold.lastTrainDayMs)).toEqual([
      ORIGIN_MS + (400 - 60 - 60 - 1) * DAY_MS,
      ORIGIN_MS + (400 - 60 - 30 - 1) * DAY_MS,
      ORIGIN_MS + (400 - 60 - 1) * DAY_MS,
    ]);
  });

  it("skips origins without enough history and counts failed fits", () => {
    const failing: Forecaster = {
      name: "broken",
      capabilities: { minTrainLength: 2, supportsIntervals: true },
      fit: () => {
        throw new Error("no");
      },
    };
    const values = line(10, 0.1, 150);
    const result = backtestRunwayHorizon(values, ORIGIN_MS, failing, { horizonDays: 60, folds: 3 });
    expect(result.folds).toHaveLength(0);
    expect(result.failures).toBe(2); // origins 90 and 60 have ≥ 56 days; origin 30 is skipped
    expect(result.mape).toBeNaN();
  });
});

describe("planCapacity", () => {
  const usage = { startMs: ORIGIN_MS - 299 * DAY_MS, values: line(40, 0.1, 300) }; // ends at 70
  const drift = () => createForecaster("drift", { period: 7, horizonSteps: 60, stepSeconds: 86_400 });

  it("plans a growing target: runway, backtest, predictions for the ledger and a chart", () => {
    const plan = planCapacity({
      target: capacityTarget(),
      usage,
      capacity: 100,
      capacitySource: "constant",
      createForecaster: drift,
    });
    if (plan.status !== "planned") throw new Error(plan.reason);
    expect(plan.lastObservedDayMs).toBe(ORIGIN_MS);
    expect(plan.runway.p50.days).toBe(100); // 70 + 0.1 d ≥ 80
    expect(plan.runway.p90.days).toBeLessThanOrEqual(100);
    expect(plan.predictions.map((p) => p.horizonDays)).toEqual([90, 180]);
    expect(plan.predictions[0]?.p50).toBeCloseTo(70 + 0.1 * 87, 6);
    expect(plan.backtest.horizonDays).toBe(plan.runway.p90.days);
    expect(plan.chartSvg).toMatch(/^<svg[\s\S]*p90 2025-[\s\S]*<\/svg>\n$/);
  });

  it("forecasts from the last observed day when the newest days are missing", () => {
    const values = [...line(40, 0.1, 300), Number.NaN, Number.NaN];
    const plan = planCapacity({
      target: capacityTarget(),
      usage: { startMs: usage.startMs, values },
      capacity: 100,
      capacitySource: "constant",
      createForecaster: drift,
    });
    expect(plan.status === "planned" && plan.lastObservedDayMs).toBe(ORIGIN_MS);
  });

  it("does not take the days before the metric existed as history", () => {
    const values = [Number.NaN, Number.NaN, Number.NaN, ...line(40, 0.1, 300)];
    const plan = planCapacity({
      target: capacityTarget(),
      usage: { startMs: usage.startMs - 3 * DAY_MS, values },
      capacity: 100,
      capacitySource: "constant",
      createForecaster: drift,
    });
    if (plan.status !== "planned") throw new Error(plan.reason);
    expect(plan.lastObservedDayMs).toBe(ORIGIN_MS);
    expect(plan.observedDays).toBe(300);
    expect(plan.runway.p50.days).toBe(100);
  });

  it.each([
    [
      "too little history",
      { startMs: ORIGIN_MS, values: line(1, 1, 20) },
      100,
      "PRESAGE_CAPACITY_INSUFFICIENT_HISTORY",
    ],
    ["no positive capacity", usage, 0, "PRESAGE_CAPACITY_NO_CAPACITY"],
    [
      "usage that stopped 4 days before the last complete day",
      { startMs: ORIGIN_MS, values: [...line(40, 0.1, 300), Number.NaN, Number.NaN, Number.NaN, Number.NaN] },
      100,
      "PRESAGE_CAPACITY_STALE_USAGE",
    ],
  ])("does not plan with %s", (_, series, capacity, code) => {
    const plan = planCapacity({
      target: capacityTarget(),
      usage: series,
      capacity,
      capacitySource: "constant",
      createForecaster: drift,
    });
    expect(plan).toMatchObject({ status: "unplanned", code });
  });

  it("reports a failing forecaster instead of throwing", () => {
    const plan = planCapacity({
      target: capacityTarget(),
      usage,
      capacity: 100,
      capacitySource: "constant",
      createForecaster: () => ({
        name: "broken",
        capabilities: { minTrainLength: 2, supportsIntervals: true },
        fit: () => {
          throw new Error("singular matrix");
        },
      }),
    });
    expect(plan).toMatchObject({ status: "unplanned", code: "PRESAGE_CAPACITY_FORECAST_FAILED" });
  });
});

describe("renderRunwayChartSvg", () => {
  it("draws usage with holes, the forecast band, capacity, the limit and the crossings, without NaN coordinates", () => {
    const usageValues = line(40, 0.1, 200).map((value, day) => (day % 50 === 7 ? Number.NaN : value));
    const p50 = line(60, 0.2, 120);
    const p90 = line(62, 0.3, 120);
    const runway = computeRunway({
      lastObservedDayMs: ORIGIN_MS,
      lastObserved: 60,
      p50,
      p90,
      capacity: 100,
      headroom: 0.8,
    });
    const svg = renderRunwayChartSvg({
      title: "cpu <cluster> & co",
      usage: { startMs: ORIGIN_MS - 199 * DAY_MS, values: usageValues },
      p50,
      p90,
      lastObservedDayMs: ORIGIN_MS,
      runway,
    });
    expect(svg).not.toMatch(/NaN|Infinity/);
    expect(svg).toContain("cpu &lt;cluster&gt; &amp; co");
    expect(svg.match(/<polyline /g)?.length).toBe(6); // 5 observed runs between 4 holes + the p50 line
    expect(svg).toContain(`p90 ${runway.p90.date ?? "?"}`);
    expect(svg).toContain(`p50 ${runway.p50.date ?? "?"}`);
    expect(svg).toContain('stroke-dasharray="6 4"');
  });

  it("leaves out crossing markers when there are none", () => {
    const flat = line(10, 0, 30);
    const runway = computeRunway({
      lastObservedDayMs: ORIGIN_MS,
      lastObserved: 10,
      p50: flat,
      p90: flat,
      capacity: 100,
      headroom: 0.8,
    });
    const svg = renderRunwayChartSvg({
      title: "flat",
      usage: { startMs: ORIGIN_MS - 29 * DAY_MS, values: flat },
      p50: flat,
      p90: flat,
      lastObservedDayMs: ORIGIN_MS,
      runway,
    });
    expect(svg).not.toContain("<circle");
    expect(svg).not.toMatch(/NaN/);
  });
});
