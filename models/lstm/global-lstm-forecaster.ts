import type { FittedModel, Forecaster } from "../forecaster.js";
import type { Series } from "../series.js";
import { FittedLstm, lstmStateVersion } from "./fitted-lstm.js";
import { fallbackModel, prepareSeries, trainingSettings } from "./lstm-forecaster.js";
import type { LstmWeights } from "./lstm-network.js";
import { resolveLstmOptions, type LstmForecasterOptions, type ResolvedLstmOptions } from "./lstm-options.js";
import { chooseLayout, minimumLength, networkShape, residualQuantiles, splitOrigins } from "./lstm-plan.js";
import { trainLstm, type LstmTrainingResult } from "./lstm-training.js";
import {
  allPositive,
  concatBatches,
  encodeWindows,
  lookbackSteps,
  type WindowLayout,
} from "./lstm-windows.js";

/**
 * Settings of {@link GlobalLstmForecaster}: the LSTM's, plus how the pool is used. Its training
 * defaults differ from the local model's, for tens of thousands of pooled windows: batch 64,
 * learning rate 0.001, up to 60 epochs, patience 8, 6000 windows per epoch, trainable skip.
 */
export interface GlobalLstmOptions extends LstmForecasterOptions {
  /**
   * Last steps of every pool series kept out of training and early stopping, so that rolling-origin
   * backtests over them (automatic selection) are out of sample for the shared weights too.
   * @defaultValue 0
   */
  readonly holdoutSteps?: number;
  /**
   * Most validation windows scored per epoch for early stopping (a seeded sample across the pool).
   * @defaultValue 4000
   */
  readonly maxValidationWindows?: number;
}

/** The network trained on a pool of series, shared by every series fitted with it. */
export interface GlobalLstmNetwork {
  readonly layout: WindowLayout;
  readonly weights: LstmWeights;
  readonly result: LstmTrainingResult;
  readonly series: number;
  readonly trainWindows: number;
  readonly validationWindows: number;
}

/**
 * Global LSTM: one network trained on the pooled windows of many series (the strongest M4 entries
 * learned across series this way), then `fit(series)` only attaches a series to it — its input window,
 * phase and per-step intervals from its own most recent windows — without training. The network is
 * trained once, on first use (`train()` or the first `fit`), on `pool` — or, when the pool is empty,
 * on the series being fitted then. Every series trained on loses its last `holdoutSteps` first.
 * Per-window scaling is what lets series of very different magnitudes share one network.
 */
export class GlobalLstmForecaster implements Forecaster {
  readonly name = "lstm-global";
  readonly capabilities;
  private readonly options: ResolvedLstmOptions;
  private readonly holdoutSteps: number;
  private readonly maxValidationWindows: number;
  private network: GlobalLstmNetwork | undefined;

  constructor(
    options: GlobalLstmOptions,
    private readonly pool: readonly Series[] = [],
  ) {
    this.options = resolveLstmOptions({
      ...options,
      windowsPerEpoch: options.windowsPerEpoch ?? 6000,
      batchSize: options.batchSize ?? 64,
      learningRate: options.learningRate ?? 0.001,
      maxEpochs: options.maxEpochs ?? 60,
      patience: options.patience ?? 8,
      trainableSkip: options.trainableSkip ?? true,
    });
    this.holdoutSteps = Math.max(0, Math.floor(options.holdoutSteps ?? 0));
    this.maxValidationWindows = options.maxValidationWindows ?? 4000;
    this.capabilities = { minTrainLength: minimumLength(this.options), supportsIntervals: true } as const;
  }

  /**
   * Trains the shared network now on `pool`, or on `extra` when the pool is empty (otherwise the first
   * `fit` does, with its series as `extra`); returns it, cached. `undefined` when no series is long
   * enough.
   */
  train(extra: readonly Series[] = []): GlobalLstmNetwork | undefined {
    // The pool alone when there is one, so that the network does not depend on which series is fitted first.
    this.network ??= this.trainOn(this.pool.length > 0 ? this.pool : extra);
    return this.network;
  }

  fit(series: Series): FittedModel {
    const prepared = prepareSeries(series);
    const { values, firstIndex } = prepared;
    const network = this.train([series]);
    if (!network) {
      return fallbackModel(prepared, this.options.period, "lstm-global: no series long enough to train on");
    }
    const { layout } = network;
    const split = splitOrigins(layout, values.length, this.options.validationFraction);
    if (split.validation.length === 0) {
      return fallbackModel(
        prepared,
        this.options.period,
        `lstm-global: ${values.length} points are too few for the network's ${lookbackSteps(layout)}-step lookback`,
      );
    }
    if (layout.logScale && !allPositive(values)) {
      return fallbackModel(
        prepared,
        this.options.period,
        "lstm-global: the network was trained on the log scale, and this series has values ≤ 0",
      );
    }
    const shape = networkShape(layout, this.options.hiddenSize);
    return FittedLstm.fromTraining(
      {
        kind: "lstm",
        version: lstmStateVersion(layout),
        mode: "global",
        layout,
        hiddenSize: this.options.hiddenSize,
        tail: values.slice(values.length - lookbackSteps(layout)),
        nextIndex: firstIndex + values.length,
        residualQuantiles: residualQuantiles(
          shape,
          network.weights,
          layout,
          values,
          split.validation,
          firstIndex,
        ),
        training: {
          epochs: network.result.epochs,
          bestEpoch: network.result.bestEpoch,
          trainLoss: network.result.trainLoss,
          validationLoss: network.result.validationLoss,
          backend: network.result.backend,
          trainWindows: network.trainWindows,
          validationWindows: network.validationWindows,
          series: network.series,
        },
        notes:
          layout.phasePeriods.length > 0 && !prepared.calendar
            ? [
                ...prepared.notes,
                "lstm-global: the network was trained with calendar phases and this series has no start time: phases counted from its first value",
              ]
            : prepared.notes,
      },
      network.weights,
    );
  }

  private trainOn(seriesList: readonly Series[]): GlobalLstmNetwork | undefined {
    const prepared = seriesList.map(prepareSeries).map((item) => ({
      ...item,
      values: item.values.slice(0, Math.max(0, item.values.length - this.holdoutSteps)),
    }));
    // One layout for all: the longest lookback that at least half the pool can train with.
    const lengths = prepared.map((item) => item.values.length).sort((a, b) => a - b);
    const median = lengths[Math.floor(lengths.length / 2)] ?? 0;
    const layout = chooseLayout(this.options, median, {
      positive: prepared.every((item) => allPositive(item.values)),
      calendar: prepared.every((item) => item.calendar),
    });
    if (!layout) return undefined;
    const trainBatches = [];
    const validationBatches = [];
    let used = 0;
    for (const item of prepared) {
      const split = splitOrigins(layout, item.values.length, this.options.validationFraction);
      if (split.train.length === 0 || split.validation.length === 0) continue;
      used++;
      trainBatches.push(encodeWindows(layout, item.values, split.train, item.firstIndex));
      validationBatches.push(
        encodeWindows(
          layout,
          item.values,
          thin(split.validation, this.maxValidationWindows / prepared.length),
          item.firstIndex,
        ),
      );
    }
    if (used === 0) return undefined;
    const train = concatBatches(trainBatches);
    const validation = concatBatches(validationBatches);
    const result = trainLstm(
      networkShape(layout, this.options.hiddenSize),
      train,
      validation,
      trainingSettings(this.options),
    );
    if (!Number.isFinite(result.validationLoss)) return undefined;
    return {
      layout,
      weights: result.weights,
      result,
      series: used,
      trainWindows: train.count,
      validationWindows: validation.count,
    };
  }
}

/**
 * Fits one network across `seriesList` and returns each series' fitted model (sharing the weights),
 * in order.
 */
export function fitGlobal(seriesList: readonly Series[], options: GlobalLstmOptions): FittedModel[] {
  const forecaster = new GlobalLstmForecaster(options, seriesList);
  forecaster.train();
  return seriesList.map((series) => forecaster.fit(series));
}

/** About `count` evenly spaced origins (all when there are fewer). */
function thin(origins: readonly number[], count: number): readonly number[] {
  const keep = Math.max(1, Math.floor(count));
  if (origins.length <= keep) return origins;
  const stride = origins.length / keep;
  return Array.from({ length: keep }, (_, i) => origins[Math.floor(i * stride)] ?? 0);
}
