import { describe, expect, it } from "vitest";
import { ModelError } from "../../models/errors.js";
import {
  buildIntervalCalibration,
  calibratedHalfWidth,
  effectiveOrigins,
  spreadAt,
} from "../../models/long-horizon/interval-calibration.js";
import { SeededRandom } from "../../models/math/seeded-random.js";

describe("buildIntervalCalibration", () => {
  it("takes the weekly RMS error as the spread, non-decreasing, and never below the floor", () => {
    // Two origins, 14 steps: errors ±1 in week 1, ±3 in week 2.
    const row = (sign: number): number[] => [
      ...new Array<number>(7).fill(sign),
      ...new Array<number>(7).fill(3 * sign),
    ];
    const calibration = buildIntervalCalibration([row(1), row(-1)], () => 0);
    expect(calibration?.anchorSteps).toEqual([4, 11]);
    expect(calibration?.spread).toEqual([1, 3]);
    expect(calibration?.origins).toBe(2);
    // At the week middles |error| equals the spread; elsewhere interpolation makes it off by < 2×.
    const ratios = calibration?.ratios ?? [];
    expect(ratios[50]).toBeCloseTo(1, 12);
    expect(Math.min(...ratios)).toBeGreaterThan(0.5);
    expect(Math.max(...ratios)).toBeLessThan(2);
    const floored = buildIntervalCalibration([row(1), row(-1)], () => 2);
    expect(floored?.spread).toEqual([2, 3]);
  });

  it("interpolates between anchors, grows like √step past the last one, and widens for few origins", () => {
    const calibration = {
      anchorSteps: [7, 14],
      spread: [1, 3],
      ratios: new Array<number>(101).fill(1),
      origins: 3,
    };
    expect(spreadAt(calibration, 3)).toBe(1);
    expect(spreadAt(calibration, 10.5)).toBeCloseTo(2, 12);
    expect(spreadAt(calibration, 56)).toBeCloseTo(6, 12);
    expect(calibratedHalfWidth(calibration, 14, 80)).toBeCloseTo(3 * Math.sqrt(1 + 1 / 3), 12);
  });

  it("needs at least two origins with a finite error", () => {
    expect(buildIntervalCalibration([[1, 2, 3]], () => 0)).toBeUndefined();
    expect(buildIntervalCalibration([[Number.NaN], [Number.NaN]], () => 0)).toBeUndefined();
  });
});

describe("effective origins of overlapping backtest windows", () => {
  const base = { anchorSteps: [7, 14], spread: [1, 3], ratios: new Array<number>(101).fill(1), origins: 8 };

  it("counts origins a stride apart as independent up to the stride, then as fewer", () => {
    const calibration = { ...base, originStrideSteps: 30 };
    expect(effectiveOrigins(calibration, 10)).toBe(8);
    expect(effectiveOrigins(calibration, 30)).toBe(8);
    expect(effectiveOrigins(calibration, 180)).toBeCloseTo(1 + 7 / 6, 12);
    // Without a stride (states saved before it existed) every origin counts at every step.
    expect(effectiveOrigins(base, 180)).toBe(8);
    expect(calibratedHalfWidth(calibration, 30, 80)).toBeCloseTo(calibratedHalfWidth(base, 30, 80), 12);
    expect(calibratedHalfWidth(calibration, 180, 80)).toBeCloseTo(
      calibratedHalfWidth(base, 180, 80) * Math.sqrt((1 + 6 / 13) / (1 + 1 / 8)),
      12,
    );
  });

  it("keeps the stride it was built with and rejects a non-positive one by name", () => {
    const rows = [
      [1, -1, 1],
      [-1, 1, -1],
    ];
    expect(buildIntervalCalibration(rows, () => 0, { originStrideSteps: 30 })?.originStrideSteps).toBe(30);
    expect(buildIntervalCalibration(rows, () => 0)?.originStrideSteps).toBeUndefined();
    expect(() => buildIntervalCalibration(rows, () => 0, { originStrideSteps: 0 })).toThrow(ModelError);
    expect(() => buildIntervalCalibration(rows, () => 0, { originStrideSteps: Number.NaN })).toThrow(
      /originStrideSteps \(NaN\) must be a finite number > 0/,
    );
  });

  it("brings 80% intervals from overlapping origins on random walks back to nominal coverage", () => {
    // Naive forecasts of random walks: 8 origins 30 days apart, each scored 180 days ahead, calibrate
    // the interval of the next origin. Treating the overlapping origins as independent undercovers.
    const random = new SeededRandom(2024);
    const horizon = 180;
    const stride = 30;
    const folds = 8;
    let coveredIndependent = 0;
    let coveredEffective = 0;
    let trials = 0;
    for (let walk = 0; walk < 300; walk++) {
      const length = horizon + (folds - 1) * stride + horizon + 1;
      const x = [0];
      for (let i = 1; i < length; i++) x.push((x[i - 1] ?? 0) + random.normal());
      const origin = length - horizon;
      const errors = Array.from({ length: folds }, (_, k) => {
        const start = origin - horizon - k * stride;
        return Array.from({ length: horizon }, (_, s) => (x[start + s] ?? 0) - (x[start - 1] ?? 0));
      });
      const independent = buildIntervalCalibration(errors, () => 0);
      const effective = buildIntervalCalibration(errors, () => 0, { originStrideSteps: stride });
      if (!independent || !effective) throw new Error("calibration expected");
      for (const step of [90, 180]) {
        const error = Math.abs((x[origin + step - 1] ?? 0) - (x[origin - 1] ?? 0));
        if (error <= calibratedHalfWidth(independent, step, 80)) coveredIndependent++;
        if (error <= calibratedHalfWidth(effective, step, 80)) coveredEffective++;
        trials++;
      }
    }
    const independentCoverage = coveredIndependent / trials;
    const effectiveCoverage = coveredEffective / trials;
    expect(independentCoverage).toBeLessThan(0.78);
    expect(effectiveCoverage).toBeGreaterThan(independentCoverage + 0.02);
    expect(Math.abs(effectiveCoverage - 0.8)).toBeLessThan(0.03);
  });
});
