/** What `cleanValues` did to a series, so callers can report it. */
export interface CleaningReport {
  /** Cleaned values: finite everywhere. */
  readonly values: number[];
  /** Leading missing samples dropped (the series starts at the first observation). */
  readonly droppedLeading: number;
  /** Interior gaps filled by linear interpolation. */
  readonly interpolated: number;
  /** Trailing missing samples filled with the last observation, keeping the forecast origin in place. */
  readonly carriedForward: number;
  /** Remarks for forecast notes; empty when the series was already clean. */
  readonly notes: string[];
}

/**
 * Repairs missing samples (`NaN`, `±Infinity`): drops leading gaps, interpolates interior gaps
 * linearly and carries the last value over trailing gaps. All-missing input yields an empty series.
 */
export function cleanValues(raw: readonly number[]): CleaningReport {
  let first = 0;
  while (first < raw.length && !Number.isFinite(raw[first])) first++;
  const values: number[] = [];
  let interpolated = 0;
  let carriedForward = 0;
  let lastIndex = -1;
  for (let i = first; i < raw.length; i++) {
    const value = raw[i] ?? Number.NaN;
    if (!Number.isFinite(value)) continue;
    if (lastIndex >= 0 && i - lastIndex > 1) {
      const lastValue = values[values.length - 1] ?? value;
      const span = i - lastIndex;
      for (let k = 1; k < span; k++) values.push(lastValue + ((value - lastValue) * k) / span);
      interpolated += span - 1;
    }
    values.push(value);
    lastIndex = i;
  }
  if (lastIndex >= 0) {
    const lastValue = values[values.length - 1] ?? 0;
    for (let i = lastIndex + 1; i < raw.length; i++) {
      values.push(lastValue);
      carriedForward++;
    }
  }
  const notes: string[] = [];
  const total = raw.length;
  if (first > 0) notes.push(`dropped ${first} leading missing of ${total} samples`);
  if (interpolated > 0) notes.push(`interpolated ${interpolated} missing of ${total} samples`);
  if (carriedForward > 0) notes.push(`carried last value over ${carriedForward} trailing missing samples`);
  return { values, droppedLeading: first, interpolated, carriedForward, notes };
}
