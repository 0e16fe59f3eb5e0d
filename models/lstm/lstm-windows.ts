/**
 * How a forecast origin is turned into network inputs. The lookback (`chunks × chunkSteps` values)
 * is cut into chunks, one LSTM step each; every step also carries the sine and cosine of its first
 * sample's phase in each calendar period.
 */
export interface WindowLayout {
  readonly chunkSteps: number;
  readonly chunks: number;
  /** Steps the network forecasts directly (one output per step). */
  readonly horizonSteps: number;
  /** Steps averaged for the per-window level (usually one season). */
  readonly levelSteps: number;
  /** Seasonal period in steps (1 for none): the skip starts as naive at this lag. */
  readonly seasonSteps: number;
  /** Calendar periods (in steps) given to the network as cyclic features. */
  readonly phasePeriods: readonly number[];
  /**
   * Values are scaled as `ln(x / level)` instead of `x / level − 1`: errors (and the network's
   * corrections to its skip) become relative to each value rather than to the window level. Only
   * for series whose values are all > 0 (see {@link allPositive}). Absent in states saved before it
   * existed: linear.
   */
  readonly logScale?: boolean;
}

/** Scaled values are clipped to ±this, so one outlier window cannot blow up training. */
const CLIP = 20;

export function lookbackSteps(layout: WindowLayout): number {
  return layout.chunkSteps * layout.chunks;
}

export function inputSize(layout: WindowLayout): number {
  return layout.chunkSteps + 2 * layout.phasePeriods.length;
}

/** One encoded forecast origin. */
export interface EncodedWindow {
  /** `chunks × inputSize` network input. */
  readonly sequence: Float32Array;
  /** The whole lookback, scaled: input of the linear skip. */
  readonly skip: Float32Array;
  /** Divisor of this window: mean |value| over the last `levelSteps` inputs (1 when that is 0). */
  readonly level: number;
}

/**
 * Encodes the lookback ending just before `origin` (exclusive). Each window is divided by its own
 * level and centred (`x / level − 1`), as the M4 winners normalised input windows: the network sees
 * shapes, not magnitudes, which is also what lets one network serve many series.
 * `originIndex` is the absolute step index of `origin` (for the phase features).
 */
export function encodeWindow(
  layout: WindowLayout,
  values: readonly number[],
  origin: number,
  originIndex: number,
): EncodedWindow {
  const lookback = lookbackSteps(layout);
  const start = origin - lookback;
  const levelFrom = origin - Math.min(layout.levelSteps, lookback);
  let sum = 0;
  for (let i = levelFrom; i < origin; i++) sum += Math.abs(values[i] ?? 0);
  const mean = sum / (origin - levelFrom);
  const level = mean > 0 && Number.isFinite(mean) ? mean : 1;
  const width = inputSize(layout);
  const sequence = new Float32Array(layout.chunks * width);
  for (let t = 0; t < layout.chunks; t++) {
    const chunkStart = start + t * layout.chunkSteps;
    for (let j = 0; j < layout.chunkSteps; j++) {
      sequence[t * width + j] = scale(values[chunkStart + j] ?? 0, level, layout.logScale);
    }
    const index = originIndex - lookback + t * layout.chunkSteps;
    layout.phasePeriods.forEach((period, p) => {
      const angle = (2 * Math.PI * positiveModulo(index, period)) / period;
      sequence[t * width + layout.chunkSteps + 2 * p] = Math.sin(angle);
      sequence[t * width + layout.chunkSteps + 2 * p + 1] = Math.cos(angle);
    });
  }
  const skip = new Float32Array(lookback);
  for (let j = 0; j < lookback; j++) skip[j] = scale(values[start + j] ?? 0, level, layout.logScale);
  return { sequence, skip, level };
}

/** The `horizonSteps` values from `origin` on, scaled like their window. */
export function encodeTargets(
  layout: WindowLayout,
  values: readonly number[],
  origin: number,
  level: number,
): Float32Array {
  return Float32Array.from({ length: layout.horizonSteps }, (_, k) =>
    scale(values[origin + k] ?? 0, level, layout.logScale),
  );
}

/**
 * Log-scaled values are kept within `[ln 0.001, ln(1 + CLIP)]`: a value ≤ 0 that arrives after the
 * fit (a quiet night) is read as 0.1% of the level, not as an input far outside anything trained on,
 * and forecasts and bands stay within 21 × the level, as on the linear scale.
 */
const LOG_MIN = Math.log(1e-3);
const LOG_MAX = Math.log(1 + CLIP);

/**
 * `x / level − 1`, clipped to ±{@link CLIP}; or, when `logScale`, `ln(x / level)` within
 * [{@link LOG_MIN}, {@link LOG_MAX}] (a value ≤ 0 maps to the lower bound).
 */
export function scale(value: number, level: number, logScale = false): number {
  if (logScale) return Math.max(LOG_MIN, Math.min(LOG_MAX, value > 0 ? Math.log(value / level) : LOG_MIN));
  return Math.max(-CLIP, Math.min(CLIP, value / level - 1));
}

/** Inverse of {@link scale}. */
export function unscale(scaled: number, level: number, logScale = false): number {
  return logScale ? level * Math.exp(Math.min(LOG_MAX, scaled)) : level * (1 + scaled);
}

/** Whether every finite value is > 0 (and there is at least one): the condition for `logScale`. */
export function allPositive(values: readonly number[]): boolean {
  let any = false;
  for (const value of values) {
    if (!Number.isFinite(value)) continue;
    if (value <= 0) return false;
    any = true;
  }
  return any;
}

/** Windows stacked for training: row `i` of each array belongs to the same origin. */
export interface WindowBatch {
  readonly count: number;
  readonly sequences: Float32Array;
  readonly skips: Float32Array;
  readonly targets: Float32Array;
}

/** Encodes the windows at `origins` of one series into a {@link WindowBatch}. */
export function encodeWindows(
  layout: WindowLayout,
  values: readonly number[],
  origins: readonly number[],
  firstIndex: number,
): WindowBatch {
  const width = inputSize(layout) * layout.chunks;
  const sequences = new Float32Array(origins.length * width);
  const lookback = lookbackSteps(layout);
  const skips = new Float32Array(origins.length * lookback);
  const targets = new Float32Array(origins.length * layout.horizonSteps);
  origins.forEach((origin, i) => {
    const window = encodeWindow(layout, values, origin, firstIndex + origin);
    sequences.set(window.sequence, i * width);
    skips.set(window.skip, i * lookback);
    targets.set(encodeTargets(layout, values, origin, window.level), i * layout.horizonSteps);
  });
  return { count: origins.length, sequences, skips, targets };
}

/** Concatenates batches (of the same layout) from several series. */
export function concatBatches(batches: readonly WindowBatch[]): WindowBatch {
  const join = (pick: (batch: WindowBatch) => Float32Array): Float32Array => {
    const out = new Float32Array(batches.reduce((sum, batch) => sum + pick(batch).length, 0));
    let offset = 0;
    for (const batch of batches) {
      out.set(pick(batch), offset);
      offset += pick(batch).length;
    }
    return out;
  };
  return {
    count: batches.reduce((sum, batch) => sum + batch.count, 0),
    sequences: join((batch) => batch.sequences),
    skips: join((batch) => batch.skips),
    targets: join((batch) => batch.targets),
  };
}

function positiveModulo(value: number, modulus: number): number {
  return ((value % modulus) + modulus) % modulus;
}
