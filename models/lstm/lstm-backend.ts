import * as tf from "@tensorflow/tfjs";

/** TensorFlow.js backends the LSTM can train on, fastest first. */
export const LstmBackendName = {
  /** `@tensorflow/tfjs-node`: native TensorFlow (optional dependency; often not installed). */
  native: "tensorflow",
  /** `@tensorflow/tfjs-backend-wasm`: about 6× the plain JS backend for LSTM training here. */
  wasm: "wasm",
  /** The plain JavaScript backend bundled with `@tensorflow/tfjs`; always available. */
  cpu: "cpu",
} as const;
export type LstmBackendName = (typeof LstmBackendName)[keyof typeof LstmBackendName];

/** What {@link initLstmBackend} chose, and why faster backends were passed over. */
export interface LstmBackendReport {
  readonly backend: string;
  /** One line per faster backend that could not be used, e.g. `tensorflow: Cannot find package …`. */
  readonly skipped: readonly string[];
}

/** Package names kept in variables so TypeScript does not require the optional one to be installed. */
const NATIVE_PACKAGE = "@tensorflow/tfjs-node";
const WASM_PACKAGE = "@tensorflow/tfjs-backend-wasm";

let selection: Promise<LstmBackendReport> | undefined;

/** Fastest first; `cpu` is always tried last. */
const DEFAULT_ORDER: readonly LstmBackendName[] = [LstmBackendName.native, LstmBackendName.wasm];

/**
 * Picks the TensorFlow.js backend once per process: native `tensorflow` when `@tensorflow/tfjs-node`
 * loads, else `wasm`, else the JS `cpu` backend (`prefer` narrows or reorders the first two, e.g.
 * `["wasm"]` for a benchmark of the wasm backend). Training is synchronous (`fit` of the forecaster
 * contract), so this asynchronous step runs at start-up in the entry points (CLI, benches); a model
 * fitted without it trains on TensorFlow.js's default, the `cpu` backend. Later calls return the
 * first selection whatever they prefer. This module does no logging and reads no environment:
 * callers print the returned report; TensorFlow.js's own warnings are switched off here.
 */
export function initLstmBackend(
  prefer: readonly LstmBackendName[] = DEFAULT_ORDER,
): Promise<LstmBackendReport> {
  selection ??= selectBackend(prefer);
  return selection;
}

/** The backend LSTM training runs on right now (`cpu` until {@link initLstmBackend} chose another). */
export function lstmBackend(): string {
  return tf.getBackend();
}

async function selectBackend(order: readonly LstmBackendName[]): Promise<LstmBackendReport> {
  // The caller reports the choice (and why faster backends were skipped), so TensorFlow.js's own
  // console advice — the cpu backend's "install our node backend" banner on first use — is noise.
  // Production mode only gates those `console.warn`s (tfjs-core `log.warn`); numerics are unchanged.
  tf.enableProdMode();
  const skipped: string[] = [];
  for (const name of order) {
    if (name === LstmBackendName.cpu) break;
    try {
      if (await tryBackend(name)) return { backend: name, skipped };
      skipped.push(`${name}: backend did not initialise`);
    } catch (error) {
      skipped.push(`${name}: ${firstLine(error)}`);
    }
  }
  await tf.setBackend(LstmBackendName.cpu);
  await tf.ready();
  return { backend: LstmBackendName.cpu, skipped };
}

async function tryBackend(name: Exclude<LstmBackendName, "cpu">): Promise<boolean> {
  if (name === LstmBackendName.native) {
    await import(NATIVE_PACKAGE);
    return tf.setBackend(LstmBackendName.native);
  }
  const wasm = (await import(WASM_PACKAGE)) as { setWasmPaths: (prefix: string) => void };
  const directory = wasmDirectory();
  // The Node build finds its .wasm files next to itself; the explicit prefix also holds when a
  // bundler or test runner has moved the JavaScript away from the package's dist/ directory.
  if (directory !== undefined) wasm.setWasmPaths(directory);
  if (!(await tf.setBackend(LstmBackendName.wasm))) return false;
  await tf.ready();
  return true;
}

/** Filesystem directory holding the wasm package's `.wasm` binaries (its `dist/`), when resolvable. */
function wasmDirectory(): string | undefined {
  const resolve = (import.meta as { resolve?: (specifier: string) => string }).resolve;
  if (typeof resolve !== "function") return undefined;
  try {
    const url = new URL("./", resolve(WASM_PACKAGE));
    return url.protocol === "file:" ? decodeURIComponent(url.pathname) : undefined;
  } catch {
    return undefined;
  }
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0] ?? message;
}

/** Live TensorFlow.js tensors and their bytes: lets tests and benches check that nothing leaks. */
export function lstmMemory(): { readonly numTensors: number; readonly numBytes: number } {
  const memory = tf.memory();
  return { numTensors: memory.numTensors, numBytes: memory.numBytes };
}
