import { describe, expect, it } from "vitest";
import type { FittedModel, Forecaster } from "../../models/forecaster.js";
import { SeededRandom } from "../../models/math/seeded-random.js";
import type { Series } from "../../models/series.js";
import { createForecaster, type ModelContext } from "../../training/model-catalog.js";
import type { FloorPolicy } from "../../src/scaler/floor-decision.js";
import { floorSchedule } from "../../src/scaler/simulation/floor-schedule.js";
import {
  forecastRequirements,
  type ForecastRequirements,
  type ForecastRequirementsOptions,
} from "../../src/scaler/simulation/forecast-requirements.js";
import type { LoadTrace } from "../../src/scaler/simulation/load-trace.js";

const STEP_SECONDS = 300;
const STEPS_PER_DAY = 288;
const START_MS = Date.UTC(2024, 0, 1);

/** Seeded 5-minute load with a daily cycle. */
function dailyLoad(days: number, seed = 7): number[] {
  const random = new SeededRandom(seed);
  return Array.from(
    { length: days * STEPS_PER_DAY },
    (_, i) => 100 + 60 * Math.sin((2 * Math.PI * i) / STEPS_PER_DAY) + 8 * random.normal(),
  );
}

const traceOf = (values: number[]): LoadTrace => ({ values, stepSeconds: STEP_SECONDS, startMs: START_MS });

const baseOptions: ForecastRequirementsOptions = {
  podCapacity: 20,
  quantiles: [0.5, 0.9],
  leadSeconds: 600,
  windowSeconds: 900,
  metricLagSeconds: 60,
  warmupSeconds: 2 * 86_400,
  trainWindowSeconds: 2 * 86_400,
  retrainEverySeconds: 86_400,
  maxGapSeconds: 3600,
  resumeAfterGapSeconds: 7200,
  createForecaster: (context) => createForecaster("snaive", context),
};

/**
 * Watches a model family: throws as soon as a fit, an update or a forecast involves a step that had
 * not ended by the instant the replay is at (the step at index i covers [i·step, (i + 1)·step)).
 */
class LookAheadGuard {
  nowMs = Number.NEGATIVE_INFINITY;
  fits = 0;
  updates = 0;
  predictions = 0;

  wrap(inner: Forecaster): Forecaster {
    return {
      name: inner.name,
      capabilities: inner.capabilities,
      fit: (series: Series): FittedModel => {
        const endMs = (series.startMs ?? Number.NaN) + series.values.length * series.stepSeconds * 1000;
        this.check(endMs, "fit");
        this.fits++;
        return this.wrapModel(inner.fit(series), endMs, series.stepSeconds * 1000);
      },
    };
  }

  private wrapModel(model: FittedModel, dataEndMs: number, stepMs: number): FittedModel {
    return {
      name: model.name,
      notes: model.notes,
      predict: (horizonSteps, options) => {
        this.check(dataEndMs, "predict");
        this.predictions++;
        return model.predict(horizonSteps, options);
      },
      update: (newValues) => {
        const endMs = dataEndMs + newValues.length * stepMs;
        this.check(endMs, "update");
        this.updates++;
        return this.wrapModel(model.update(newValues), endMs, stepMs);
      },
      toJSON: () => model.toJSON(),
    };
  }

  private check(dataEndMs: number, what: string): void {
    if (!(dataEndMs <= this.nowMs)) {
      throw new Error(
        `look-ahead: ${what} saw data up to ${new Date(dataEndMs).toISOString()} at ${new Date(this.nowMs).toISOString()}`,
      );
    }
  }
}

describe("forecastRequirements", () => {
  it("never gives the model data at or after the instant it forecasts at (auto, with daily refits)", () => {
    const guard = new LookAheadGuard();
    const result = forecastRequirements(
      traceOf(dailyLoad(4)),
      { ...baseOptions, createForecaster: (context) => guard.wrap(createForecaster("auto", context)) },
      { onTick: (nowMs) => (guard.nowMs = nowMs) },
    );
    expect(guard.fits).toBe(2); // the warm-up fit after two days, a refit a day later
    expect(guard.updates).toBeGreaterThan(500);
    expect(guard.predictions).toBe(result.stats.forecasts);
    expect(result.stats.forecasts).toBe(2 * STEPS_PER_DAY);
  });

  it("sizes floors on calibrated quantiles once enough forecasts have met their load, and not before", () => {
    const trace = traceOf(dailyLoad(4));
    const calibrated = forecastRequirements(trace, { ...baseOptions, calibration: { minPairsPerStep: 100 } });
    const plain = forecastRequirements(trace, { ...baseOptions, calibration: null });
    expect(plain.stats.calibratedForecasts).toBe(0);
    const { forecasts, calibratedForecasts } = calibrated.stats;
    // Each window step needs 100 (forecast, load) pairs: the first ~100 ticks use the model's interval.
    expect(calibratedForecasts).toBeGreaterThan(forecasts - 130);
    expect(calibratedForecasts).toBeLessThanOrEqual(forecasts - 100);
    const q90 = calibrated.quantiles.indexOf(0.9);
    const first = calibrated.firstForecastStep ?? 0;
    const early = (series: Float64Array | undefined): number[] =>
      Array.from(series ?? []).slice(first, first + 90);
    expect(early(calibrated.requiredReplicas[q90])).toEqual(early(plain.requiredReplicas[q90]));
  });

  it("has a guard that does catch a model fed a step that has not ended", () => {
    const guard = new LookAheadGuard();
    const model = guard
      .wrap(createForecaster("naive", { period: 1, horizonSteps: 3, stepSeconds: 60 }))
      .fit(((guard.nowMs = 180_000), { values: [1, 2, 3], stepSeconds: 60, startMs: 0 }));
    guard.nowMs = 0;
    expect(() => model.predict(1)).toThrow(/look-ahead: predict/);
    guard.nowMs = 180_000;
    expect(() => model.update([4])).toThrow(/look-ahead: update/);
  });

  it("makes the same forecasts up to an instant whatever the trace holds after it", () => {
    const values = dailyLoad(3);
    const cut = 2 * STEPS_PER_DAY + 40;
    const altered = values.map((value, i) => (i > cut ? value * 5 + 300 : value));
    const options = {
      ...baseOptions,
      createForecaster: (context: ModelContext) => createForecaster("auto", context),
    };
    const a = forecastRequirements(traceOf(values), options);
    const b = forecastRequirements(traceOf(altered), options);
    // At step k the model knows steps ≤ k − 1, so steps ≤ cut + 1 cannot have seen the change.
    for (const q of [0, 1]) {
      expect(Array.from(a.requiredReplicas[q]!.slice(0, cut + 2))).toEqual(
        Array.from(b.requiredReplicas[q]!.slice(0, cut + 2)),
      );
    }
    expect(a.requiredReplicas[1]![cut + 4]).not.toBe(b.requiredReplicas[1]![cut + 4]);
  });

  it("starts forecasting once the warm-up history is known and asks for more at a higher quantile", () => {
    const result = forecastRequirements(traceOf(dailyLoad(3)), baseOptions);
    expect(result.firstForecastStep).toBe(2 * STEPS_PER_DAY);
    expect(Number.isNaN(result.requiredReplicas[0]![2 * STEPS_PER_DAY - 1]!)).toBe(true);
    const median = Array.from(result.requiredReplicas[0]!.slice(2 * STEPS_PER_DAY));
    const upper = Array.from(result.requiredReplicas[1]!.slice(2 * STEPS_PER_DAY));
    expect(upper.every((replicas, i) => replicas >= median[i]!)).toBe(true);
    expect(upper.some((replicas, i) => replicas > median[i]!)).toBe(true);
    // lead 600 s, window 900 s at 5-minute steps: steps 2–5 after the newest known step.
    expect(result.window).toEqual({ fromStep: 2, toStep: 5 });
  });

  it("drops the model in a long gap and refits once fresh data has come in", () => {
    const values = dailyLoad(4);
    const gapFrom = 2 * STEPS_PER_DAY + 100;
    const gapTo = gapFrom + 36; // 3 hours missing
    for (let i = gapFrom; i < gapTo; i++) values[i] = Number.NaN;
    const result = forecastRequirements(traceOf(values), baseOptions);
    const q = result.requiredReplicas[1]!;
    expect(Number.isFinite(q[gapFrom]!)).toBe(true); // knows steps up to gapFrom − 1
    for (let step = gapFrom + 1; step < gapTo + 24; step++) expect(Number.isNaN(q[step]!)).toBe(true);
    expect(Number.isFinite(q[gapTo + 24]!)).toBe(true); // 2 hours (24 steps) of fresh data
    expect(result.stats.fits).toBe(3); // warm-up, after the gap, a day after that
    expect(result.notes.some((text) => text.includes("model dropped"))).toBe(true);
  });
});

describe("floorSchedule", () => {
  const policy: FloorPolicy = {
    baselineMinReplicas: 1,
    maxReplicas: 20,
    maxStepUp: 10,
    maxStepDown: 1,
    scaleDownCooldownMs: 600_000,
    maxForecastAgeMs: 300_000,
  };

  it("raises at once, lowers one step per cooldown, and falls back to the baseline when forecasts stop", () => {
    const steps = 45;
    const required = new Float64Array(steps).fill(Number.NaN);
    const dataEndMs = new Float64Array(steps).fill(Number.NaN);
    for (let step = 1; step <= 36; step++) {
      required[step] = step <= 3 ? 5 : 2;
      dataEndMs[step] = START_MS + step * 60_000;
    }
    const requirements: ForecastRequirements = {
      quantiles: [0.9],
      requiredReplicas: [required],
      dataEndMs,
      firstForecastStep: 1,
      window: { fromStep: 3, toStep: 18 },
      stats: {
        fits: 0,
        fitFailures: 0,
        fitSeconds: 0,
        forecasts: 0,
        forecastFailures: 0,
        updateAndPredictSeconds: 0,
        models: {},
        calibratedForecasts: 0,
      },
      notes: [],
    };
    const { floors, reasons } = floorSchedule(
      requirements,
      0.9,
      { startMs: START_MS, stepSeconds: 60 },
      policy,
    );
    expect(floors[0]).toBe(1);
    expect(Array.from(floors.slice(1, 14))).toEqual(new Array(13).fill(5));
    expect([floors[14], floors[23], floors[24], floors[34], floors[41]]).toEqual([4, 4, 3, 2, 2]);
    expect(floors[42]).toBe(1); // the step-36 forecast is more than 5 minutes old
    expect(reasons.raise).toBe(1);
    expect(reasons.lower).toBe(3);
    expect(() => floorSchedule(requirements, 0.8, { startMs: START_MS, stepSeconds: 60 }, policy)).toThrow(
      /no forecast for quantile 0.8/,
    );
  });
});
