import type { NabWindow } from "./nab-scorer.js";
import { parseNabTimestamp } from "./nab-csv.js";

/** Thrown when a labelled window does not fit its data file; the message names file and window. */
export class NabWindowError extends Error {
  override readonly name = "NabWindowError";
}

/**
 * Turns `combined_windows.json` windows (`[start, end]` timestamps, both inclusive and normally
 * timestamps of rows) into row indices: the first row stamped exactly `start` (else the first row at or
 * after it) to the first row stamped exactly `end` (else the last row at or before it).
 */
export function windowsToRowIndices(
  fileName: string,
  timestampsMs: ArrayLike<number>,
  windows: readonly (readonly [string, string])[],
): NabWindow[] {
  return windows.map(([start, end]) => {
    const startMs = parseNabTimestamp(start);
    const endMs = parseNabTimestamp(end);
    if (Number.isNaN(startMs) || Number.isNaN(endMs) || endMs < startMs) {
      throw new NabWindowError(`${fileName}: window ["${start}", "${end}"] must be two ordered timestamps`);
    }
    const startIndex = exactOr(timestampsMs, startMs, () => firstAtOrAfter(timestampsMs, startMs));
    const endIndex = exactOr(timestampsMs, endMs, () => lastAtOrBefore(timestampsMs, endMs));
    if (startIndex < 0 || endIndex < 0 || endIndex < startIndex) {
      throw new NabWindowError(`${fileName}: window ["${start}", "${end}"] covers no row of the file`);
    }
    return { startIndex, endIndex };
  });
}

function exactOr(timestampsMs: ArrayLike<number>, targetMs: number, fallback: () => number): number {
  for (let i = 0; i < timestampsMs.length; i++) if (timestampsMs[i] === targetMs) return i;
  return fallback();
}

function firstAtOrAfter(timestampsMs: ArrayLike<number>, targetMs: number): number {
  for (let i = 0; i < timestampsMs.length; i++) if (timestampsMs[i]! >= targetMs) return i;
  return -1;
}

function lastAtOrBefore(timestampsMs: ArrayLike<number>, targetMs: number): number {
  for (let i = timestampsMs.length - 1; i >= 0; i--) if (timestampsMs[i]! <= targetMs) return i;
  return -1;
}
