import { describe, expect, it } from "vitest";
import {
  buildIntervalCalibration,
  calibratedHalfWidth,
  spreadAt,
} from "../../models/long-horizon/interval-calibration.js";

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
