import { describe, expect, it } from "vitest";
import { coverage, mase, msis, owa, seasonalScale, smape } from "../../training/metrics/accuracy-metrics.js";

describe("accuracy metrics", () => {
  it("computes sMAPE as the mean of 200·|y − ŷ| / (|y| + |ŷ|)", () => {
    // |100−110|·200/210 = 9.5238…, |200−180|·200/380 = 10.5263…
    expect(smape([100, 200], [110, 180])).toBeCloseTo((2000 / 210 + 4000 / 380) / 2, 10);
  });

  it("counts a 0/0 sMAPE term as zero rather than NaN", () => {
    expect(smape([0, 10], [0, 10])).toBe(0);
  });

  it("scales MASE by the in-sample seasonal naive error", () => {
    const insample = [1, 2, 3, 5, 6, 7]; // lag-3 differences: 4, 4, 4 → scale 4
    expect(seasonalScale(insample, 3)).toBe(4);
    expect(mase([10, 12], [8, 16], insample, 3)).toBeCloseTo((2 + 4) / 2 / 4, 12);
  });

  it("falls back to lag 1 for MASE when the history is shorter than the period", () => {
    expect(seasonalScale([1, 3, 6], 24)).toBe(2.5);
  });

  it("computes MSIS with the 2/α penalty outside the interval", () => {
    const insample = [0, 1, 2, 3]; // lag-1 scale 1
    // step 1 inside: width 2; step 2 above by 1: width 2 + 40·1 = 42
    expect(msis([1, 4], [0, 1], [2, 3], insample, 1, 0.05)).toBeCloseTo((2 + 42) / 2, 12);
  });

  it("computes coverage as the fraction inside the closed interval", () => {
    expect(coverage([1, 2, 3, 4], [0, 2, 4, 0], [1, 3, 5, 3])).toBe(0.5);
  });

  it("reproduces the published M4 Hourly OWA of seasonal naive from rounded sMAPE and MASE", () => {
    // Published: sNaive 13.912 / 1.193, Naive2 18.383 / 2.395 → OWA 0.627
    expect(owa(13.912, 1.193, 18.383, 2.395)).toBeCloseTo(0.62745, 5);
  });

  it("rejects a forecast whose length differs from the actuals", () => {
    expect(() => smape([1, 2], [1])).toThrow(/lengths differ/);
  });
});
