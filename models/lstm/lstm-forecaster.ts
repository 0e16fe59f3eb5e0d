import { restoreSeasonalNaive, SeasonalNaiveForecaster } from "../baseline/seasonal-naive.js";
import { cleanValues } from "../cleaning/clean-values.js";
import type { FittedModel, Forecaster } from "../forecaster.js";
import type { Series } from "../series.js";
import { FittedLstm, lstmStateVersion } from "./fitted-lstm.js";
import { resolveLstmOptions, type LstmForecasterOptions, type ResolvedLstmOptions } from "./lstm-options.js";
import { chooseLayout, minimumLength, networkShape, residualQuantiles, splitOrigins } from "./lstm-plan.js";
import { trainLstm } from "./lstm-training.js";
import { allPositive, encodeWindows } from "./lstm-windows.js";

/**
 * LSTM forecaster, one network per series (local mode). Inputs are per-window scaled chunks of the
 * lookback (on the log scale when every value is > 0), with cyclic calendar features when the series
 * has a start time; the network outputs every step of the horizon at once (direct multi-step), as a
 * correction on top of a seasonal-naive skip, and starts as exactly that skip. Training stops early
 * on the most recent windows, keeping the untrained network when no epoch beats it there; their
 * errors then give the per-step intervals. Seeded: the same series and options give the same weights
 * on the same backend.
 *
 * Series too short to yield enough windows, and training that diverges, fall back to seasonal naive,
 * saying so in `notes`.
 */
export class LstmForecaster implements Forecaster {
  readonly name = "lstm";
  readonly capabilities;
  readonly options: ResolvedLstmOptions;

  constructor(options: LstmForecasterOptions) {
    this.options = resolveLstmOptions(options);
    this.capabilities = { minTrainLength: minimumLength(this.options), supportsIntervals: true } as const;
  }

  fit(series: Series): FittedModel {
    const prepared = prepareSeries(series);
    const { values, firstIndex, notes } = prepared;
    const layout = chooseLayout(this.options, values.length, {
      positive: allPositive(values),
      calendar: prepared.calendar,
    });
    if (!layout) {
      return fallbackModel(
        prepared,
        this.options.period,
        `lstm: ${values.length} points are too few to train (need ≥ ${this.capabilities.minTrainLength})`,
      );
    }
    const split = splitOrigins(layout, values.length, this.options.validationFraction);
    const shape = networkShape(layout, this.options.hiddenSize);
    const result = trainLstm(
      shape,
      encodeWindows(layout, values, split.train, firstIndex),
      encodeWindows(layout, values, split.validation, firstIndex),
      trainingSettings(this.options),
    );
    if (!Number.isFinite(result.validationLoss)) {
      return fallbackModel(prepared, this.options.period, "lstm: training diverged (non-finite loss)");
    }
    return FittedLstm.fromTraining(
      {
        kind: "lstm",
        version: lstmStateVersion(layout),
        mode: "local",
        layout,
        hiddenSize: this.options.hiddenSize,
        tail: values.slice(values.length - layout.chunks * layout.chunkSteps),
        nextIndex: firstIndex + values.length,
        residualQuantiles: residualQuantiles(
          shape,
          result.weights,
          layout,
          values,
          split.validation,
          firstIndex,
        ),
        training: {
          epochs: result.epochs,
          bestEpoch: result.bestEpoch,
          trainLoss: result.trainLoss,
          validationLoss: result.validationLoss,
          backend: result.backend,
          trainWindows: split.train.length,
          validationWindows: split.validation.length,
          series: 1,
        },
        notes,
      },
      result.weights,
    );
  }
}

/** A series cleaned of missing values, with the absolute index of its first value. */
export interface PreparedSeries {
  readonly values: readonly number[];
  /** Calendar step index of `values[0]` when `startMs` is known, else 0. */
  readonly firstIndex: number;
  /** Whether `startMs` (and a step) is known, so that `firstIndex` is a calendar index. */
  readonly calendar: boolean;
  readonly notes: readonly string[];
}

export function prepareSeries(series: Series): PreparedSeries {
  const cleaned = cleanValues(series.values);
  const calendar = series.startMs !== undefined && series.stepSeconds > 0;
  const base = calendar ? Math.round((series.startMs ?? 0) / (series.stepSeconds * 1000)) : 0;
  return {
    values: cleaned.values,
    firstIndex: base + cleaned.droppedLeading,
    calendar,
    notes: cleaned.notes,
  };
}

/** Seasonal naive (naive when the history is shorter than a season), noting why. */
export function fallbackModel(prepared: PreparedSeries, period: number, reason: string): FittedModel {
  const fitted = new SeasonalNaiveForecaster(Math.max(1, period)).fit({
    values: prepared.values,
    stepSeconds: 1,
  });
  const state = fitted.toJSON();
  const notes = Array.isArray(state.notes) ? (state.notes as string[]) : [];
  return restoreSeasonalNaive({
    ...state,
    notes: [...prepared.notes, ...notes, `${reason}: fell back to ${fitted.name}`],
  });
}

export function trainingSettings(options: ResolvedLstmOptions): Parameters<typeof trainLstm>[3] {
  return {
    maxEpochs: options.maxEpochs,
    patience: options.patience,
    batchSize: options.batchSize,
    learningRate: options.learningRate,
    windowsPerEpoch: options.windowsPerEpoch,
    seed: options.seed,
    trainableSkip: options.trainableSkip,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  };
}
