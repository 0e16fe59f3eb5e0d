import * as tf from "@tensorflow/tfjs";
import { ModelError, ModelErrorCode } from "../errors.js";
import { SeededRandom } from "../math/seeded-random.js";
import {
  initialWeights,
  WEIGHT_NAMES,
  weightShapes,
  type LstmShape,
  type LstmWeights,
} from "./lstm-network.js";
import type { WindowBatch } from "./lstm-windows.js";

/** One finished epoch, as reported to `onProgress`. */
export interface LstmTrainingProgress {
  readonly epoch: number;
  readonly maxEpochs: number;
  /** Mean absolute error of the scaled training windows this epoch. */
  readonly trainLoss: number;
  /** Mean absolute error of the scaled validation windows after this epoch. */
  readonly validationLoss: number;
}

export interface LstmTrainingSettings {
  readonly maxEpochs: number;
  /** Epochs without a better validation loss before training stops. */
  readonly patience: number;
  readonly batchSize: number;
  readonly learningRate: number;
  /** Training windows drawn per epoch (a fresh seeded sample each epoch when there are more). */
  readonly windowsPerEpoch: number;
  readonly seed: number;
  /** Whether the linear skip learns; when not, it stays the seasonal naive it starts as. */
  readonly trainableSkip: boolean;
  readonly onProgress?: (progress: LstmTrainingProgress) => void;
}

/**
 * What training produced: the weights of the best validation epoch, where epoch 0 (the untrained
 * network, i.e. its seasonal-naive skip) counts too.
 */
export interface LstmTrainingResult {
  readonly weights: LstmWeights;
  readonly epochs: number;
  readonly bestEpoch: number;
  readonly trainLoss: number;
  readonly validationLoss: number;
  /** TensorFlow.js backend the training ran on. */
  readonly backend: string;
}

/**
 * Trains the network with Adam on the mean absolute error of scaled windows (a median forecast,
 * in line with sMAPE/MASE scoring), with early stopping on the validation windows. The untrained
 * network is scored first: when no epoch beats it on validation, training returns it unchanged
 * rather than its least bad epoch (on M4 Hourly H1–H150, 56 of the 150 local networks never beat
 * their start on validation and were used anyway before this). Synchronous: the loop uses
 * `optimizer.minimize` and reads losses with `dataSync`, which the cpu, wasm and native backends all
 * allow. Every tensor is created and disposed here; weights leave as `Float32Array`s.
 */
export function trainLstm(
  shape: LstmShape,
  train: WindowBatch,
  validation: WindowBatch,
  settings: LstmTrainingSettings,
): LstmTrainingResult {
  const random = new SeededRandom(settings.seed ^ 0x5eed);
  const initial = initialWeights(shape, settings.seed);
  const shapes = weightShapes(shape);
  const variables = WEIGHT_NAMES.map((name) => {
    const value = tf.tensor(initial[name], shapes[name]);
    const variable = tf.variable(value, name !== "skipKernel" || settings.trainableSkip);
    value.dispose();
    return variable;
  });
  const optimizer = tf.train.adam(settings.learningRate);
  const data = toTensors(shape, train);
  const validationData = toTensors(shape, validation);
  let best = { loss: Infinity, epoch: 0, trainLoss: Infinity, weights: initial };
  let epochsRun = 0;
  try {
    // Epoch 0 is a candidate too: the untrained network is exactly its skip (seasonal naive, see
    // `initialWeights`), and training that never beats it on the validation windows must not replace it.
    const initialLoss = meanAbsoluteError(shape, variables, validationData);
    if (Number.isFinite(initialLoss)) {
      best = {
        ...best,
        loss: initialLoss,
        trainLoss: meanAbsoluteError(shape, variables, data, settings.windowsPerEpoch),
      };
    }
    const order = Array.from({ length: train.count }, (_, i) => i);
    for (let epoch = 1; epoch <= settings.maxEpochs; epoch++) {
      epochsRun = epoch;
      shuffle(order, random);
      const picked = order.slice(0, Math.min(order.length, settings.windowsPerEpoch));
      let lossSum = 0;
      let lossCount = 0;
      for (let from = 0; from < picked.length; from += settings.batchSize) {
        const rows = picked.slice(from, from + settings.batchSize);
        const cost = tf.tidy(() => {
          const index = tf.tensor1d(rows, "int32");
          const sequences = tf.gather(data.sequences, index);
          const skips = tf.gather(data.skips, index);
          const targets = tf.gather(data.targets, index);
          const loss = optimizer.minimize(
            () => tf.mean(tf.abs(tf.sub(targets, forward(shape, variables, sequences, skips)))),
            true,
            variables.filter((variable) => variable.trainable),
          );
          return loss ?? tf.scalar(Number.NaN);
        });
        lossSum += cost.dataSync()[0] ?? Number.NaN;
        lossCount++;
        cost.dispose();
      }
      const trainLoss = lossSum / Math.max(1, lossCount);
      const validationLoss = meanAbsoluteError(shape, variables, validationData);
      settings.onProgress?.({
        epoch,
        maxEpochs: settings.maxEpochs,
        trainLoss,
        validationLoss,
      });
      if (!Number.isFinite(trainLoss) || !Number.isFinite(validationLoss)) break;
      if (validationLoss < best.loss) {
        best = { loss: validationLoss, epoch, trainLoss, weights: snapshot(variables) };
      } else if (epoch - best.epoch >= settings.patience) {
        break;
      }
    }
  } finally {
    optimizer.dispose();
    for (const variable of variables) variable.dispose();
    for (const set of [data, validationData]) {
      set.sequences.dispose();
      set.skips.dispose();
      set.targets.dispose();
    }
  }
  return {
    weights: best.weights,
    epochs: epochsRun,
    bestEpoch: best.epoch,
    trainLoss: best.trainLoss,
    validationLoss: best.loss,
    backend: tf.getBackend(),
  };
}

/** Mean absolute error of the current weights on (the first `maxRows` of) a set of windows. */
function meanAbsoluteError(
  shape: LstmShape,
  variables: readonly tf.Variable[],
  data: BatchTensors,
  maxRows = Infinity,
): number {
  const loss = tf.tidy(() => {
    const rows = Math.min(data.targets.shape[0], maxRows);
    const pick = (tensor: tf.Tensor): tf.Tensor =>
      rows < tensor.shape[0] ? tf.slice(tensor, 0, rows) : tensor;
    const predicted = forward(shape, variables, pick(data.sequences), pick(data.skips));
    return tf.mean(tf.abs(tf.sub(pick(data.targets), predicted))).dataSync()[0];
  });
  return loss ?? Number.NaN;
}

interface BatchTensors {
  readonly sequences: tf.Tensor3D;
  readonly skips: tf.Tensor2D;
  readonly targets: tf.Tensor2D;
}

function toTensors(shape: LstmShape, batch: WindowBatch): BatchTensors {
  return {
    sequences: tf.tensor3d(batch.sequences, [batch.count, shape.sequenceLength, shape.inputSize]),
    skips: tf.tensor2d(batch.skips, [batch.count, shape.skipSize]),
    targets: tf.tensor2d(batch.targets, [batch.count, shape.outputSize]),
  };
}

/** The same computation as `forwardLstm`, batched in TensorFlow.js (gate order i, f, c, o). */
function forward(
  shape: LstmShape,
  variables: readonly tf.Variable[],
  sequences: tf.Tensor,
  skips: tf.Tensor,
): tf.Tensor {
  const [kernel, recurrentKernel, bias, outputKernel, outputBias, skipKernel] = variables;
  if (!kernel || !recurrentKernel || !bias || !outputKernel || !outputBias || !skipKernel) {
    throw new ModelError(ModelErrorCode.fitFailed, "lstm: network variables are missing");
  }
  const rows = sequences.shape[0];
  const steps = tf.unstack(sequences, 1);
  let hidden: tf.Tensor = tf.zeros([rows, shape.hiddenSize]);
  let cell: tf.Tensor = tf.zeros([rows, shape.hiddenSize]);
  for (const step of steps) {
    const z = tf.add(tf.add(tf.matMul(step, kernel), tf.matMul(hidden, recurrentKernel)), bias);
    const [input, forget, candidate, output] = tf.split(z, 4, 1);
    if (!input || !forget || !candidate || !output)
      throw new ModelError(ModelErrorCode.fitFailed, "lstm: gate split did not give 4 tensors");
    cell = tf.add(tf.mul(tf.sigmoid(forget), cell), tf.mul(tf.sigmoid(input), tf.tanh(candidate)));
    hidden = tf.mul(tf.sigmoid(output), tf.tanh(cell));
  }
  return tf.add(tf.add(tf.matMul(hidden, outputKernel), outputBias), tf.matMul(skips, skipKernel));
}

function snapshot(variables: readonly tf.Variable[]): LstmWeights {
  const out: Partial<Record<(typeof WEIGHT_NAMES)[number], Float32Array>> = {};
  WEIGHT_NAMES.forEach((name, i) => {
    out[name] = Float32Array.from(variables[i]?.dataSync() ?? []);
  });
  return out as LstmWeights;
}

function shuffle(order: number[], random: SeededRandom): void {
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random.next() * (i + 1));
    const a = order[i] ?? 0;
    order[i] = order[j] ?? 0;
    order[j] = a;
  }
}
