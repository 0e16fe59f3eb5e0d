import type { NabCostMatrix } from "./nab-profile.js";

/** A labelled anomaly window in row-index space; both ends inclusive. */
export interface NabWindow {
  readonly startIndex: number;
  readonly endIndex: number;
}

/** One data file as the scorer sees it: the detector's score per row and the labelled windows. */
export interface NabScoredFile {
  /** `category/file.csv`, as keyed in `combined_windows.json`. */
  readonly name: string;
  /** Anomaly score per row, in [0, 1]; a row is a detection when its score ≥ the threshold. */
  readonly anomalyScores: ArrayLike<number>;
  readonly windows: readonly NabWindow[];
}

/** Raw NAB score of one file at one threshold, with row counts over the scored (non-probation) rows. */
export interface NabFileScore {
  readonly score: number;
  readonly threshold: number;
  readonly truePositiveRows: number;
  readonly falsePositiveRows: number;
  readonly falseNegativeRows: number;
  readonly trueNegativeRows: number;
  readonly windows: number;
  readonly detectedWindows: number;
}

/** Share of a file's rows (capped at 0.15·5000 rows) that NAB ignores at the start. */
export const NAB_PROBATION_PERCENT = 0.15;

/** Threshold that detects nothing; NAB starts its sweep here. */
export const NAB_NO_DETECTION_THRESHOLD = 1.1;

/** P = min(floor(0.15·N), 0.15·5000): rows below P are neither detections nor misses. */
export function nabProbationRows(rowCount: number): number {
  return Math.min(Math.floor(NAB_PROBATION_PERCENT * rowCount), NAB_PROBATION_PERCENT * 5000);
}

/** NAB's scaled sigmoid: 2·σ(−5y) − 1 for y ≤ 3, −1 beyond. */
export function scaledSigmoid(y: number): number {
  if (y > 3) return -1;
  return 2 / (1 + Math.exp(5 * y)) - 1;
}

/**
 * What a detection on each row is worth under a cost matrix: inside a window a positive value that
 * falls from `tpWeight` at the left edge; outside a negative one that is small just after a window
 * and `−fpWeight` before the first window or three window widths after the previous one.
 */
export interface NabRowValues {
  readonly probationRows: number;
  /** Index into the windows for rows inside one, else −1. */
  readonly windowOf: Int32Array;
  readonly value: Float64Array;
}

export function nabRowValues(
  rowCount: number,
  windows: readonly NabWindow[],
  cost: NabCostMatrix,
): NabRowValues {
  const windowOf = new Int32Array(rowCount).fill(-1);
  const value = new Float64Array(rowCount);
  const sorted = windows
    .map((window, index) => ({ ...window, index }))
    .sort((a, b) => a.startIndex - b.startIndex);
  const tpAtLeftEdge = scaledSigmoid(-1);
  for (const window of sorted) {
    const width = window.endIndex - window.startIndex + 1;
    for (let i = Math.max(0, window.startIndex); i <= Math.min(rowCount - 1, window.endIndex); i++) {
      windowOf[i] = window.index;
      value[i] = (scaledSigmoid(-(window.endIndex - i + 1) / width) * cost.tpWeight) / tpAtLeftEdge;
    }
  }
  let previous: { endIndex: number; width: number } | undefined;
  let next = 0;
  for (let i = 0; i < rowCount; i++) {
    while (next < sorted.length && sorted[next]!.endIndex < i) {
      const window = sorted[next]!;
      previous = { endIndex: window.endIndex, width: window.endIndex - window.startIndex + 1 };
      next++;
    }
    if (windowOf[i] !== -1) continue;
    value[i] =
      previous === undefined
        ? -cost.fpWeight
        : scaledSigmoid((i - previous.endIndex) / (previous.width - 1)) * cost.fpWeight;
  }
  return { probationRows: nabProbationRows(rowCount), windowOf, value };
}

/** Windows that still have a row at or after the probation period (the only ones NAB counts). */
export function countedWindows(rowCount: number, windows: readonly NabWindow[]): number[] {
  const probation = nabProbationRows(rowCount);
  return windows.flatMap((window, index) => (window.endIndex >= probation ? [index] : []));
}

/** Scores one file at a fixed threshold, as NAB's scorer does. */
export function scoreNabFile(file: NabScoredFile, cost: NabCostMatrix, threshold: number): NabFileScore {
  const rowCount = file.anomalyScores.length;
  const rows = nabRowValues(rowCount, file.windows, cost);
  const best = new Float64Array(file.windows.length).fill(Number.NaN);
  let score = 0;
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (let i = rows.probationRows; i < rowCount; i++) {
    const detected = file.anomalyScores[i]! >= threshold;
    const window = rows.windowOf[i]!;
    if (window >= 0) {
      if (detected) {
        tp++;
        const current = best[window]!;
        if (Number.isNaN(current) || rows.value[i]! > current) best[window] = rows.value[i]!;
      } else fn++;
    } else if (detected) {
      fp++;
      score += rows.value[i]!;
    } else tn++;
  }
  const counted = countedWindows(rowCount, file.windows);
  let detectedWindows = 0;
  for (const index of counted) {
    const value = best[index]!;
    if (Number.isNaN(value)) score -= cost.fnWeight;
    else {
      score += value;
      detectedWindows++;
    }
  }
  return {
    score,
    threshold,
    truePositiveRows: tp,
    falsePositiveRows: fp,
    falseNegativeRows: fn,
    trueNegativeRows: tn,
    windows: counted.length,
    detectedWindows,
  };
}

/** The corpus-wide threshold with the best pooled raw score, and that score. */
export interface NabThreshold {
  readonly threshold: number;
  readonly score: number;
}

/**
 * NAB's threshold optimisation: one threshold for all files pooled. Sweeps down from 1.1 (no
 * detections) through every distinct score of a non-probation row and keeps the best pooled raw
 * score; on ties the higher threshold wins, as NAB's first-maximum does.
 */
export function optimizeNabThreshold(files: readonly NabScoredFile[], cost: NabCostMatrix): NabThreshold {
  let rowTotal = 0;
  const prepared = files.map((file) => {
    const rowCount = file.anomalyScores.length;
    const rows = nabRowValues(rowCount, file.windows, cost);
    rowTotal += rowCount - rows.probationRows;
    return { file, rows, counted: new Set(countedWindows(rowCount, file.windows)) };
  });
  const scores = new Float64Array(rowTotal);
  const values = new Float64Array(rowTotal);
  const windowKeys = new Int32Array(rowTotal);
  let windowBase = 0;
  let k = 0;
  let score = 0;
  for (const { file, rows, counted } of prepared) {
    score -= counted.size * cost.fnWeight;
    for (let i = rows.probationRows; i < file.anomalyScores.length; i++, k++) {
      const raw = file.anomalyScores[i]!;
      scores[k] = Number.isNaN(raw) ? Number.NEGATIVE_INFINITY : raw;
      values[k] = rows.value[i]!;
      const window = rows.windowOf[i]!;
      windowKeys[k] = window >= 0 && counted.has(window) ? windowBase + window : window >= 0 ? -2 : -1;
    }
    windowBase += file.windows.length;
  }
  const order = Uint32Array.from({ length: rowTotal }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  const best = new Float64Array(windowBase).fill(Number.NaN);
  let result: NabThreshold = { threshold: NAB_NO_DETECTION_THRESHOLD, score };
  for (let position = 0; position < rowTotal;) {
    const threshold = scores[order[position]!]!;
    if (threshold === Number.NEGATIVE_INFINITY) break;
    for (; position < rowTotal && scores[order[position]!] === threshold; position++) {
      const row = order[position]!;
      const key = windowKeys[row]!;
      if (key === -1) score += values[row]!;
      else if (key >= 0) {
        const current = best[key]!;
        if (Number.isNaN(current)) {
          score += values[row]! + cost.fnWeight;
          best[key] = values[row]!;
        } else if (values[row]! > current) {
          score += values[row]! - current;
          best[key] = values[row]!;
        }
      }
    }
    if (score > result.score) result = { threshold, score };
  }
  return result;
}

/** The raw scores that anchor normalisation: perfect = 100, null = 0. */
export interface NabAnchors {
  readonly perfect: number;
  readonly null: number;
}

/**
 * Perfect: every counted window detected on its first row, no false positives. Null: NAB's constant
 * 0.5 detector at its own best threshold (in practice: no detections, −fnWeight per window).
 */
export function nabAnchors(files: readonly NabScoredFile[], cost: NabCostMatrix): NabAnchors {
  const windows = files.reduce(
    (sum, file) => sum + countedWindows(file.anomalyScores.length, file.windows).length,
    0,
  );
  const nullFiles = files.map((file) => ({
    ...file,
    anomalyScores: new Float64Array(file.anomalyScores.length).fill(0.5),
  }));
  return { perfect: windows * cost.tpWeight, null: optimizeNabThreshold(nullFiles, cost).score };
}

/** 100·(raw − null)/(perfect − null); 0 when the anchors coincide (no windows at all). */
export function normalizeNabScore(raw: number, anchors: NabAnchors): number {
  const span = anchors.perfect - anchors.null;
  return span === 0 ? 0 : (100 * (raw - anchors.null)) / span;
}
