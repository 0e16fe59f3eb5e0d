import { assertHorizon, ModelError, ModelErrorCode } from "../errors.js";
import { DEFAULT_LEVELS, type Forecast, type PredictOptions } from "../forecast.js";
import type { FittedModel, ModelState } from "../forecaster.js";
import { decodeWeights, encodeWeights, forwardLstm, type LstmWeights } from "./lstm-network.js";
import { networkShape, RESIDUAL_PROBABILITIES, residualAt } from "./lstm-plan.js";
import { encodeWindow, lookbackSteps, unscale, type WindowLayout } from "./lstm-windows.js";

/** How the network was trained, kept for reports. */
export interface LstmTrainingSummary {
  readonly epochs: number;
  readonly bestEpoch: number;
  readonly trainLoss: number;
  readonly validationLoss: number;
  /** TensorFlow.js backend used for training (`tensorflow`, `wasm` or `cpu`). */
  readonly backend: string;
  readonly trainWindows: number;
  readonly validationWindows: number;
  /** Series the network was trained on (1 for a local model). */
  readonly series: number;
}

/** Every field of {@link LstmState} but the encoded weights. */
export interface LstmStateBody {
  readonly kind: "lstm";
  readonly version: number;
  /** `local`: trained on this series alone; `global`: weights shared with other series. */
  readonly mode: "local" | "global";
  readonly layout: WindowLayout;
  readonly hiddenSize: number;
  /** The last `lookback` observations: the input of the next forecast. */
  readonly tail: readonly number[];
  /** Absolute step index of the next observation (drives the phase features). */
  readonly nextIndex: number;
  /** Per horizon step, symmetric conformal error quantiles (scaled) at `RESIDUAL_PROBABILITIES` (see `residualQuantiles`). */
  readonly residualQuantiles: readonly (readonly number[])[];
  readonly training: LstmTrainingSummary;
  readonly notes: readonly string[];
}

export interface LstmState extends ModelState, LstmStateBody {
  readonly kind: "lstm";
  /** Base64 little-endian float32 arrays (see `encodeWeights`). */
  readonly weights: Readonly<Record<keyof LstmWeights, string>>;
}

/**
 * A fitted LSTM: forecasts by a plain-JavaScript forward pass over the stored weights (no tensors),
 * with intervals from the validation errors of each horizon step.
 */
export class FittedLstm implements FittedModel {
  readonly name: string;
  readonly notes: readonly string[];
  private readonly shape;

  constructor(
    private readonly state: LstmState,
    private readonly weights: LstmWeights,
  ) {
    const { layout } = state;
    this.name = `lstm${state.mode === "global" ? "-global" : ""}(${layout.chunks}x${layout.chunkSteps},h${state.hiddenSize})`;
    this.notes = state.notes;
    this.shape = networkShape(layout, state.hiddenSize);
  }

  /** Creates the model from freshly trained weights (encodes them once for `toJSON`). */
  static fromTraining(state: LstmStateBody, weights: LstmWeights): FittedLstm {
    return new FittedLstm({ ...state, weights: encodeWeights(weights) }, weights);
  }

  get training(): LstmTrainingSummary {
    return this.state.training;
  }

  predict(horizonSteps: number, options: PredictOptions = {}): Forecast {
    assertHorizon(horizonSteps);
    const levels = options.levels ?? DEFAULT_LEVELS;
    const { layout } = this.state;
    const history = [...this.state.tail];
    const mean: number[] = [];
    const bands = levels.map(() => ({ lower: [] as number[], upper: [] as number[] }));
    const lookback = lookbackSteps(layout);
    for (let block = 0; mean.length < horizonSteps; block++) {
      const origin = history.length;
      const window = encodeWindow(layout, history, origin, this.state.nextIndex + mean.length);
      const output = forwardLstm(this.shape, this.weights, window.sequence, window.skip);
      // Beyond the trained horizon the network runs again on its own forecast; errors compound
      // roughly like a random walk over blocks.
      const widen = Math.sqrt(block + 1);
      for (let k = 0; k < layout.horizonSteps && mean.length < horizonSteps; k++) {
        const scaled = output[k] ?? 0;
        const point = unscale(scaled, window.level, layout.logScale);
        mean.push(point);
        history.push(point);
        const row = this.state.residualQuantiles[k] ?? [];
        levels.forEach((level, i) => {
          const tail = (1 - level / 100) / 2;
          const low = Math.min(0, residualAt(row, tail)) * widen;
          const high = Math.max(0, residualAt(row, 1 - tail)) * widen;
          bands[i]?.lower.push(unscale(scaled + low, window.level, layout.logScale));
          bands[i]?.upper.push(unscale(scaled + high, window.level, layout.logScale));
        });
      }
      history.splice(0, Math.max(0, history.length - lookback));
    }
    return {
      model: this.name,
      mean,
      intervals: levels.map((level, i) => ({
        level,
        lower: bands[i]?.lower ?? mean,
        upper: bands[i]?.upper ?? mean,
      })),
      notes: this.notes,
    };
  }

  /**
   * Appends new observations to the input window and advances the phase; the weights and interval
   * widths stay as trained. A missing value is replaced by the one before it.
   */
  update(newValues: readonly number[]): FittedLstm {
    if (newValues.length === 0) return this;
    const tail = [...this.state.tail];
    for (const value of newValues) {
      tail.push(Number.isFinite(value) ? value : (tail[tail.length - 1] ?? 0));
    }
    return new FittedLstm(
      {
        ...this.state,
        tail: tail.slice(-lookbackSteps(this.state.layout)),
        nextIndex: this.state.nextIndex + newValues.length,
      },
      this.weights,
    );
  }

  toJSON(): LstmState {
    return this.state;
  }
}

/** Rebuilds a fitted LSTM from its `toJSON()` state; it predicts exactly what the original did. */
/**
 * The state version for a layout: 1 for linear-scaled windows (what every presage reads), 2 for
 * log-scaled ones, so that a presage from before log scaling refuses them instead of reading log
 * values as linear ones. (Versions before 2 did not check: a rollback past the change needs a retrain.)
 */
export function lstmStateVersion(layout: WindowLayout): number {
  return layout.logScale === true ? 2 : 1;
}

/** The newest state version this code reads. */
const NEWEST_STATE_VERSION = 2;

export function restoreLstm(state: ModelState): FittedLstm {
  const candidate = state as Partial<LstmState>;
  if (typeof candidate.version === "number" && candidate.version > NEWEST_STATE_VERSION) {
    throw new ModelError(
      ModelErrorCode.invalidState,
      `lstm state version ${candidate.version} is newer than this presage reads (up to ${NEWEST_STATE_VERSION}): retrain the model or upgrade presage`,
    );
  }
  const layout = candidate.layout;
  const valid =
    state.kind === "lstm" &&
    (candidate.mode === "local" || candidate.mode === "global") &&
    typeof layout === "object" &&
    Number.isInteger(layout.chunkSteps) &&
    Number.isInteger(layout.chunks) &&
    Number.isInteger(layout.horizonSteps) &&
    Number.isInteger(layout.levelSteps) &&
    Number.isInteger(layout.seasonSteps) &&
    Array.isArray(layout.phasePeriods) &&
    Number.isInteger(candidate.hiddenSize) &&
    Array.isArray(candidate.tail) &&
    candidate.tail.length === lookbackSteps(layout) &&
    typeof candidate.nextIndex === "number" &&
    Array.isArray(candidate.residualQuantiles) &&
    candidate.residualQuantiles.every(
      (row) => Array.isArray(row) && row.length === RESIDUAL_PROBABILITIES.length,
    );
  if (!valid) throw new ModelError(ModelErrorCode.invalidState, "not an lstm state");
  const full = state as LstmState;
  const weights = decodeWeights(networkShape(full.layout, full.hiddenSize), full.weights);
  if (!weights) {
    throw new ModelError(
      ModelErrorCode.invalidState,
      "lstm state: weights are missing or do not match the layout and hiddenSize",
    );
  }
  return new FittedLstm({ ...full, notes: full.notes }, weights);
}
