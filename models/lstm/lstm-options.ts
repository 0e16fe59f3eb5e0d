import { ModelError, ModelErrorCode } from "../errors.js";
import type { LstmTrainingProgress } from "./lstm-training.js";

/** Settings of the LSTM forecasters (local and global). */
export interface LstmForecasterOptions {
  /** Primary seasonal period in steps (24 for hourly data); 1 for none. */
  readonly period: number;
  /** Steps the network forecasts directly; longer forecasts repeat it on its own output. */
  readonly horizonSteps: number;
  /**
   * Calendar periods given as cyclic (sine, cosine) features, e.g. `[24, 168]` for hour of day and
   * hour of week, for series with `startMs` (for the global network: when every pool series has it).
   * Series without a start time get none: phases counted from the first sample are not calendar
   * phases (see `chooseLayout`).
   * @defaultValue `[period]` when `period` > 1, else none
   */
  readonly phasePeriods?: readonly number[];
  /**
   * Values per LSTM step.
   * @defaultValue `period` when 2 ≤ `period` ≤ 48; `period / 12` (rounded up) for longer periods;
   * else `horizonSteps` clamped to 4…24
   */
  readonly chunkSteps?: number;
  /**
   * LSTM steps (the lookback is `chunks × chunkSteps`); fewer are used when the history is short.
   * @defaultValue 7 (a week of daily chunks) when `period` ≤ 48, else 12
   */
  readonly chunks?: number;
  /** @defaultValue 32 */
  readonly hiddenSize?: number;
  /** @defaultValue 30 */
  readonly maxEpochs?: number;
  /** Epochs without a better validation loss before training stops. @defaultValue 5 */
  readonly patience?: number;
  /** @defaultValue 64 */
  readonly batchSize?: number;
  /** Adam learning rate. @defaultValue 0.008 */
  readonly learningRate?: number;
  /** Training windows sampled per epoch. @defaultValue 1200 */
  readonly windowsPerEpoch?: number;
  /** Share of the most recent forecast origins held out for early stopping and intervals. @defaultValue 0.2 */
  readonly validationFraction?: number;
  /** Seed of the initial weights and the window shuffling. @defaultValue 42 */
  readonly seed?: number;
  /**
   * Whether the linear skip from the lookback to the output is trained. It starts as seasonal naive; one series' few hundred windows overfit its `lookback × horizon`
   * weights, a pool of series does not.
   * @defaultValue false for `LstmForecaster`, true for `GlobalLstmForecaster`
   */
  readonly trainableSkip?: boolean;
  /**
   * Scale windows as `ln(value / level)` when every value of the series (of every pool series, for
   * the global network) is > 0, else as `value / level − 1`. On the log scale the training loss is a
   * relative error, as sMAPE is, and the network's correction to its seasonal-naive skip is a factor:
   * it cannot add a share of the daily mean to hours whose values are a small part of it.
   * @defaultValue true
   */
  readonly logScale?: boolean;
  /** Called after every training epoch (epoch, losses). */
  readonly onProgress?: (progress: LstmTrainingProgress) => void;
}

export interface ResolvedLstmOptions {
  readonly period: number;
  readonly horizonSteps: number;
  readonly phasePeriods: readonly number[];
  readonly chunkSteps: number;
  readonly chunks: number;
  readonly hiddenSize: number;
  readonly maxEpochs: number;
  readonly patience: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly windowsPerEpoch: number;
  readonly validationFraction: number;
  readonly seed: number;
  readonly trainableSkip: boolean;
  readonly logScale: boolean;
  readonly onProgress?: (progress: LstmTrainingProgress) => void;
}

/** Validates once and fills defaults; every problem is reported at once. */
export function resolveLstmOptions(options: LstmForecasterOptions): ResolvedLstmOptions {
  const problems: string[] = [];
  const integer = (field: string, value: number, min: number): number => {
    if (!Number.isInteger(value) || value < min)
      problems.push(`${field} (${value}) must be an integer ≥ ${min}`);
    return value;
  };
  const period = integer("period", options.period, 1);
  const horizonSteps = integer("horizonSteps", options.horizonSteps, 1);
  const phasePeriods = options.phasePeriods ?? (period > 1 ? [period] : []);
  phasePeriods.forEach((p, i) => integer(`phasePeriods[${i}]`, p, 2));
  const defaultChunk =
    period >= 2 && period <= 48
      ? period
      : period > 48
        ? Math.ceil(period / 12)
        : Math.min(24, Math.max(4, horizonSteps));
  const resolved: ResolvedLstmOptions = {
    period,
    horizonSteps,
    phasePeriods: [...new Set(phasePeriods)],
    chunkSteps: integer("chunkSteps", options.chunkSteps ?? defaultChunk, 1),
    chunks: integer("chunks", options.chunks ?? (period <= 48 ? 7 : 12), 2),
    hiddenSize: integer("hiddenSize", options.hiddenSize ?? 32, 1),
    maxEpochs: integer("maxEpochs", options.maxEpochs ?? 30, 1),
    patience: integer("patience", options.patience ?? 5, 1),
    batchSize: integer("batchSize", options.batchSize ?? 64, 1),
    learningRate: options.learningRate ?? 0.008,
    windowsPerEpoch: integer("windowsPerEpoch", options.windowsPerEpoch ?? 1200, 1),
    validationFraction: options.validationFraction ?? 0.2,
    seed: integer("seed", options.seed ?? 42, 0),
    trainableSkip: options.trainableSkip ?? false,
    logScale: options.logScale ?? true,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  };
  if (!(resolved.learningRate > 0 && resolved.learningRate < 1)) {
    problems.push(`learningRate (${resolved.learningRate}) must be in (0, 1)`);
  }
  if (!(resolved.validationFraction > 0 && resolved.validationFraction < 0.8)) {
    problems.push(`validationFraction (${resolved.validationFraction}) must be in (0, 0.8)`);
  }
  if (problems.length > 0) throw new ModelError(ModelErrorCode.invalidOption, problems.join("; "));
  return resolved;
}
