import { describe, expect, it } from "vitest";
import { evaluateNabCorpus } from "../../training/anomaly/evaluate-nab-corpus.js";
import { parseNabCsv, parseNabTimestamp } from "../../training/anomaly/nab-csv.js";
import {
  NAB_DEFAULT_PROFILES,
  NabProfileError,
  parseNabProfiles,
} from "../../training/anomaly/nab-profile.js";
import {
  nabAnchors,
  nabProbationRows,
  nabRowValues,
  normalizeNabScore,
  optimizeNabThreshold,
  scaledSigmoid,
  scoreNabFile,
  type NabScoredFile,
} from "../../training/anomaly/nab-scorer.js";
import { windowsToRowIndices } from "../../training/anomaly/nab-windows.js";

const standard = NAB_DEFAULT_PROFILES.standard;

/** 1000 rows (probation 150), one window [500, 599]. */
function file(detections: readonly number[], windows = [{ startIndex: 500, endIndex: 599 }]): NabScoredFile {
  const anomalyScores = new Float64Array(1000);
  for (const row of detections) anomalyScores[row] = 1;
  return { name: "cat/f.csv", anomalyScores, windows };
}

describe("NAB scoring rules", () => {
  it("uses the scaled sigmoid with NAB's constants", () => {
    expect(scaledSigmoid(-1)).toBeCloseTo(0.986614, 6);
    expect(scaledSigmoid(-0.5)).toBeCloseTo(0.848284, 6);
    expect(scaledSigmoid(0)).toBe(0);
    expect(scaledSigmoid(1)).toBeCloseTo(-0.986614, 6);
    expect(scaledSigmoid(3.01)).toBe(-1);
  });

  it("ignores min(15% of the rows, 750) probationary rows", () => {
    expect(nabProbationRows(1000)).toBe(150);
    expect(nabProbationRows(22695)).toBe(750);
  });

  it("rewards the earliest detection in a window, tpWeight at its left edge", () => {
    expect(scoreNabFile(file([500]), standard, 0.5).score).toBeCloseTo(1, 12);
    const late = scoreNabFile(file([590, 599]), standard, 0.5);
    // Row 590 of [500, 599]: y = −10/100.
    expect(late.score).toBeCloseTo(scaledSigmoid(-0.1) / scaledSigmoid(-1), 12);
    expect(late.detectedWindows).toBe(1);
    // Extra detections in the same window add nothing.
    expect(scoreNabFile(file([500, 550, 599]), standard, 0.5).score).toBeCloseTo(1, 12);
  });

  it("charges a miss −fnWeight, a false positive before any window −fpWeight, one just after a window almost nothing", () => {
    expect(scoreNabFile(file([]), standard, 0.5).score).toBe(-1);
    expect(scoreNabFile(file([300, 500]), standard, 0.5).score).toBeCloseTo(1 - 0.11, 12);
    const values = nabRowValues(1000, [{ startIndex: 500, endIndex: 599 }], standard).value;
    expect(values[600]).toBeGreaterThan(-0.11 * 0.1);
    expect(values[999]).toBeCloseTo(-0.11, 6);
    // Probationary rows never count.
    expect(scoreNabFile(file([10, 500]), standard, 0.5).score).toBeCloseTo(1, 12);
  });

  it("optimises one threshold over all files pooled and normalises with the null and perfect detectors", () => {
    const a = file([]);
    const scoresA = a.anomalyScores as Float64Array;
    scoresA[505] = 0.9; // a detection early in the window
    scoresA[300] = 0.7; // a false positive that only a lower threshold would add
    const b = file([]);
    (b.anomalyScores as Float64Array)[550] = 0.6;
    const best = optimizeNabThreshold([a, b], standard);
    // 0.6 detects both windows (+ one FP): better than 0.9 (one window, one miss).
    expect(best.threshold).toBe(0.6);
    const expected = scoreNabFile(a, standard, 0.6).score + scoreNabFile(b, standard, 0.6).score;
    expect(best.score).toBeCloseTo(expected, 12);
    const anchors = nabAnchors([a, b], standard);
    expect(anchors).toEqual({ perfect: 2, null: -2 });
    expect(normalizeNabScore(anchors.perfect, anchors)).toBe(100);
    expect(normalizeNabScore(anchors.null, anchors)).toBe(0);
    const evaluation = evaluateNabCorpus([a, b], NAB_DEFAULT_PROFILES);
    expect(evaluation.standard.normalized).toBeCloseTo(normalizeNabScore(expected, anchors), 9);
    expect(evaluation.reward_low_FN_rate.null).toBe(-4);
  });

  it("detects nothing at 1.1 when no threshold beats staying silent", () => {
    const noisy = file(Array.from({ length: 300 }, (_, i) => 200 + i));
    expect(optimizeNabThreshold([noisy], standard)).toEqual({ threshold: 1.1, score: -1 });
  });
});

describe("NAB inputs", () => {
  it("parses NAB timestamps and CSVs, missing values as NaN", () => {
    expect(parseNabTimestamp("2014-04-01 00:05:00")).toBe(Date.UTC(2014, 3, 1, 0, 5));
    expect(parseNabTimestamp("2015-09-11 15:34:00.000000")).toBe(Date.UTC(2015, 8, 11, 15, 34));
    expect(parseNabTimestamp("yesterday")).toBeNaN();
    const series = parseNabCsv("timestamp,value\n2014-04-01 00:00:00,1.5\n2014-04-01 00:05:00,\n");
    expect([...series.values]).toEqual([1.5, Number.NaN]);
    expect(() => parseNabCsv("time,value\n")).toThrow(/must name the columns "timestamp" and "value"/);
    expect(() => parseNabCsv("timestamp,value\nnot-a-time,1\n")).toThrow(/line 2: timestamp "not-a-time"/);
  });

  it("maps window timestamps to row indices, exact rows first", () => {
    const stamps = [0, 1, 2, 3, 4, 5].map((minute) => Date.UTC(2014, 0, 1, 0, minute));
    expect(
      windowsToRowIndices("f", stamps, [["2014-01-01 00:01:00.000000", "2014-01-01 00:03:00.000000"]]),
    ).toEqual([{ startIndex: 1, endIndex: 3 }]);
    // Between rows: the first row at or after the start, the last at or before the end.
    expect(windowsToRowIndices("f", stamps, [["2014-01-01 00:01:30", "2014-01-01 00:04:30"]])).toEqual([
      { startIndex: 2, endIndex: 4 },
    ]);
    expect(() => windowsToRowIndices("f", stamps, [["2015-01-01 00:00:00", "2015-01-02 00:00:00"]])).toThrow(
      /covers no row/,
    );
  });

  it("reads profiles.json and names every missing or bad weight", () => {
    const profiles = parseNabProfiles({
      standard: { CostMatrix: { tpWeight: 1, fpWeight: 0.11, fnWeight: 1, tnWeight: 1 } },
      reward_low_FP_rate: { CostMatrix: { tpWeight: 1, fpWeight: 0.22, fnWeight: 1, tnWeight: 1 } },
      reward_low_FN_rate: { CostMatrix: { tpWeight: 1, fpWeight: 0.11, fnWeight: 2, tnWeight: 1 } },
    });
    expect(profiles).toEqual(NAB_DEFAULT_PROFILES);
    expect(() =>
      parseNabProfiles({
        standard: { CostMatrix: { tpWeight: "1", fpWeight: 0.11, fnWeight: 1, tnWeight: 1 } },
      }),
    ).toThrow(NabProfileError);
    const bad = () =>
      parseNabProfiles({
        standard: { CostMatrix: { tpWeight: -1, fpWeight: 0.11, fnWeight: 1, tnWeight: 1 } },
      });
    expect(bad).toThrow('"standard.CostMatrix.tpWeight" (-1) must be a finite number ≥ 0');
    expect(bad).toThrow('"reward_low_FP_rate.CostMatrix" is missing');
  });
});
