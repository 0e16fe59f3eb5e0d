import { forwardLstm, type LstmShape, type LstmWeights } from "./lstm-network.js";
import type { ResolvedLstmOptions } from "./lstm-options.js";
import { encodeTargets, encodeWindow, inputSize, lookbackSteps, type WindowLayout } from "./lstm-windows.js";

/** Fewest windows on each side of the train/validation split worth training on. */
export const MIN_TRAIN_WINDOWS = 24;
export const MIN_VALIDATION_WINDOWS = 12;

/** Probabilities at which per-step residual quantiles are kept. */
export const RESIDUAL_PROBABILITIES: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.975, 0.99, 0.995,
];

/** Forecast origins of one series, split in time: training targets all end before validation starts. */
export interface OriginSplit {
  readonly train: readonly number[];
  readonly validation: readonly number[];
}

/** What the data allows beyond its length (see {@link chooseLayout}). */
export interface SeriesTraits {
  /** Every value is > 0, so `options.logScale` can apply. */
  readonly positive: boolean;
  /** The series has a start time, so phases are calendar phases and `options.phasePeriods` apply. */
  readonly calendar: boolean;
}

/**
 * The layout for a series of `length` values: the configured lookback, shortened chunk by chunk
 * (down to 2) until the series yields enough training and validation windows; `undefined` when even
 * two chunks are too long. Phase features only for a series with a calendar: counted from the first
 * sample they differ between series that start at different hours (a global network pools them as
 * if they agreed), and one series' two or three weeks of training windows are memorised by week
 * phase. On M4 Hourly H1–H150 (no timestamps; `npm run bench:forecast -- --only hourly --split 75`)
 * dropping them took OWA from 0.746 to 0.671 for `lstm-global`, 0.775 to 0.742 for `lstm` and
 * 0.703 to 0.689 for `mstl-lstm`, better on H1–H75 and on H76–H150 for both plain networks.
 */
export function chooseLayout(
  options: ResolvedLstmOptions,
  length: number,
  traits: SeriesTraits = { positive: false, calendar: true },
): WindowLayout | undefined {
  for (let chunks = options.chunks; chunks >= 2; chunks--) {
    const layout: WindowLayout = {
      chunkSteps: options.chunkSteps,
      chunks,
      horizonSteps: options.horizonSteps,
      levelSteps: options.period > 1 ? options.period : options.chunkSteps,
      seasonSteps: options.period,
      phasePeriods: traits.calendar ? options.phasePeriods : [],
      ...(options.logScale && traits.positive ? { logScale: true } : {}),
    };
    const split = splitOrigins(layout, length, options.validationFraction);
    if (split.train.length >= MIN_TRAIN_WINDOWS && split.validation.length >= MIN_VALIDATION_WINDOWS) {
      return layout;
    }
  }
  return undefined;
}

/** Fewest values any layout of these options can train on (two chunks). */
export function minimumLength(options: ResolvedLstmOptions): number {
  return (
    2 * options.chunkSteps +
    2 * options.horizonSteps +
    MIN_TRAIN_WINDOWS +
    Math.ceil(MIN_VALIDATION_WINDOWS / options.validationFraction)
  );
}

/**
 * Every origin with a full lookback and a full horizon; the last `validationFraction` of them (at
 * least {@link MIN_VALIDATION_WINDOWS}) validate, and training keeps the earlier origins whose targets
 * end before the first validation origin.
 */
export function splitOrigins(layout: WindowLayout, length: number, validationFraction: number): OriginSplit {
  const first = lookbackSteps(layout);
  const last = length - layout.horizonSteps;
  if (last < first) return { train: [], validation: [] };
  const count = last - first + 1;
  const validationCount = Math.min(
    count,
    Math.max(MIN_VALIDATION_WINDOWS, Math.round(count * validationFraction)),
  );
  const firstValidation = last - validationCount + 1;
  const validation = range(firstValidation, last);
  const train = range(first, firstValidation - layout.horizonSteps);
  return { train, validation };
}

export function networkShape(layout: WindowLayout, hiddenSize: number): LstmShape {
  return {
    sequenceLength: layout.chunks,
    inputSize: inputSize(layout),
    hiddenSize,
    skipSize: lookbackSteps(layout),
    skipPhase: layout.seasonSteps,
    outputSize: layout.horizonSteps,
  };
}

/**
 * Per horizon step, the interval half-widths of split conformal prediction (Vovk et al. 2005; Lei et
 * al. 2018) on the scaled validation errors (actual − forecast), pooled over the neighbouring steps
 * (±2) so that tails rest on more points. Row `k` holds, at each of {@link RESIDUAL_PROBABILITIES}, the
 * quantile of the symmetrized errors: `±q` where `q` is the conformal quantile of |error| at level
 * `|2p − 1|`, taken at `level · (n + 1) / n` for `n` validation windows (the finite-sample correction).
 * Symmetric intervals: signed error quantiles shift the band by whatever bias the validation days
 * had; on M4 Hourly H1–H150 they covered 72.8% / 87.1% for nominal 80% / 95%, these 79.7% / 92.5%.
 * Intervals are these values times the window level, so they widen with the load and with the
 * horizon as the validation errors did.
 */
export function residualQuantiles(
  shape: LstmShape,
  weights: LstmWeights,
  layout: WindowLayout,
  values: readonly number[],
  origins: readonly number[],
  firstIndex: number,
): number[][] {
  const errors: number[][] = Array.from({ length: layout.horizonSteps }, () => []);
  for (const origin of origins) {
    const window = encodeWindow(layout, values, origin, firstIndex + origin);
    const predicted = forwardLstm(shape, weights, window.sequence, window.skip);
    const actual = encodeTargets(layout, values, origin, window.level);
    for (let k = 0; k < layout.horizonSteps; k++) {
      const error = Math.abs((actual[k] ?? 0) - (predicted[k] ?? 0));
      if (Number.isFinite(error)) errors[k]?.push(error);
    }
  }
  const windows = Math.max(1, origins.length);
  return errors.map((_, k) => {
    const pooled = errors
      .slice(Math.max(0, k - 2), k + 3)
      .flat()
      .sort((a, b) => a - b);
    return RESIDUAL_PROBABILITIES.map((p) => {
      const level = Math.min(1, (Math.abs(2 * p - 1) * (windows + 1)) / windows);
      return Math.sign(p - 0.5) * quantile(pooled, level);
    });
  });
}

/** Linear-interpolated quantile of sorted values (0 for none). */
export function quantile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const position = Math.min(1, Math.max(0, p)) * (sorted.length - 1);
  const below = Math.floor(position);
  const fraction = position - below;
  return (
    (sorted[below] ?? 0) * (1 - fraction) + (sorted[Math.min(sorted.length - 1, below + 1)] ?? 0) * fraction
  );
}

/** Residual quantile at probability `p` from one row of {@link residualQuantiles}. */
export function residualAt(row: readonly number[], p: number): number {
  const grid = RESIDUAL_PROBABILITIES;
  if (p <= (grid[0] ?? 0)) return row[0] ?? 0;
  for (let i = 1; i < grid.length; i++) {
    const high = grid[i] ?? 1;
    if (p <= high) {
      const low = grid[i - 1] ?? 0;
      const fraction = (p - low) / (high - low);
      return (row[i - 1] ?? 0) * (1 - fraction) + (row[i] ?? 0) * fraction;
    }
  }
  return row[row.length - 1] ?? 0;
}

function range(from: number, to: number): number[] {
  return to < from ? [] : Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
