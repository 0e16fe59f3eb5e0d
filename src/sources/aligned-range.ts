import { MetricSourceError, MetricSourceErrorCode, type RangeRequest } from "./metric-source.js";

/** A time range snapped to a step grid: every timestamp `startMs + i * stepMs` for `i < count`. */
export interface AlignedRange {
  /** Epoch ms of the first timestamp, a multiple of `stepMs`. */
  readonly startMs: number;
  /** Epoch ms of the last timestamp (inclusive), a multiple of `stepMs`. */
  readonly endMs: number;
  readonly stepMs: number;
  /** Number of timestamps, `(endMs - startMs) / stepMs + 1`. */
  readonly count: number;
}

/** Rounds an epoch-ms time down to a multiple of `stepMs`. */
export function alignDownMs(timeMs: number, stepMs: number): number {
  return Math.floor(timeMs / stepMs) * stepMs;
}

/**
 * Aligns a request's start and end down to multiples of its step.
 * @throws MetricSourceError `badQuery` when the step is not a positive whole number of milliseconds or
 * the aligned end precedes the aligned start.
 */
export function alignRange(request: Pick<RangeRequest, "startMs" | "endMs" | "stepSeconds">): AlignedRange {
  const stepMs = request.stepSeconds * 1000;
  if (!Number.isInteger(stepMs) || stepMs <= 0) {
    throw new MetricSourceError(
      MetricSourceErrorCode.badQuery,
      `stepSeconds (${request.stepSeconds}) must be positive and a whole number of milliseconds`,
      false,
    );
  }
  if (!Number.isFinite(request.startMs) || !Number.isFinite(request.endMs)) {
    throw new MetricSourceError(
      MetricSourceErrorCode.badQuery,
      `startMs (${request.startMs}) and endMs (${request.endMs}) must be finite epoch milliseconds`,
      false,
    );
  }
  const startMs = alignDownMs(request.startMs, stepMs);
  const endMs = alignDownMs(request.endMs, stepMs);
  if (endMs < startMs) {
    throw new MetricSourceError(
      MetricSourceErrorCode.badQuery,
      `endMs (${request.endMs}) must not precede startMs (${request.startMs}) once aligned to ${request.stepSeconds} s`,
      false,
    );
  }
  return { startMs, endMs, stepMs, count: (endMs - startMs) / stepMs + 1 };
}

/**
 * Splits an aligned range into consecutive chunks of at most `maxPoints` timestamps each. Chunks are
 * contiguous on the grid: each starts one step after the previous one ends, so stitching them yields
 * every timestamp exactly once.
 */
export function splitAlignedRange(range: AlignedRange, maxPoints: number): AlignedRange[] {
  if (!Number.isInteger(maxPoints) || maxPoints < 1) {
    throw new RangeError(`maxPoints (${maxPoints}) must be a positive integer`);
  }
  const chunks: AlignedRange[] = [];
  for (let first = 0; first < range.count; first += maxPoints) {
    const count = Math.min(maxPoints, range.count - first);
    const startMs = range.startMs + first * range.stepMs;
    chunks.push({ startMs, endMs: startMs + (count - 1) * range.stepMs, stepMs: range.stepMs, count });
  }
  return chunks;
}

/** The index of `timeMs` on the range's grid, or `undefined` when it is off the grid or outside. */
export function gridIndex(range: AlignedRange, timeMs: number): number | undefined {
  const index = Math.round((timeMs - range.startMs) / range.stepMs);
  // Prometheus reports times as float seconds; allow the millisecond a float round trip can cost.
  if (Math.abs(timeMs - (range.startMs + index * range.stepMs)) > 1) return undefined;
  return index >= 0 && index < range.count ? index : undefined;
}
