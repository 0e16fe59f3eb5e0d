import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { ChallengerFitMessage, ChallengerFitRequest } from "./challenger-fit-message.js";
import {
  fitOnThisThread,
  type ChallengerFit,
  type ChallengerFitJob,
  type ChallengerFitRunner,
} from "./fit-challenger.js";
import { TrainingError, TrainingErrorCode } from "./training-error.js";

/** The compiled worker entry next to this module (absent when running from TypeScript sources). */
const WORKER_ENTRY = new URL("./challenger-fit-worker.js", import.meta.url);

/** Whether challenger fits can run in worker threads here (the compiled worker entry exists). */
export function workerThreadFitAvailable(): boolean {
  return WORKER_ENTRY.protocol === "file:" && existsSync(fileURLToPath(WORKER_ENTRY));
}

/** Options of {@link ChallengerFitThreads}. */
export interface ChallengerFitThreadsOptions {
  /** Most threads fitting at once; more fits wait. @defaultValue CPUs − 1 (at least 1) */
  readonly maxThreads?: number;
  /** An idle thread is ended after this long (it holds the models' memory). @defaultValue 300 000 */
  readonly idleMs?: number;
}

interface PooledThread {
  readonly worker: Worker;
  idleTimer?: NodeJS.Timeout;
}

/**
 * Runs challenger fits in long-lived worker threads, so the process's event loop stays free while
 * models fit for seconds to minutes: the API answers, Alertmanager webhooks are handled, scaler ticks
 * and lease or job-lock renewals run on time. Threads start on demand (up to `maxThreads`, further fits
 * queue), stay warm between fits, and never keep the process alive. An abort ends the fit's thread at
 * once — a fit on the main thread could not be interrupted. A `TrainingError` keeps its code.
 */
export class ChallengerFitThreads {
  private readonly maxThreads: number;
  private readonly idleMs: number;
  private readonly idle: PooledThread[] = [];
  private readonly waiting: ((thread: PooledThread) => void)[] = [];
  private threads = 0;
  private nextId = 1;

  constructor(options: ChallengerFitThreadsOptions = {}) {
    this.maxThreads = Math.max(1, Math.floor(options.maxThreads ?? availableParallelism() - 1));
    this.idleMs = options.idleMs ?? 300_000;
  }

  /** A {@link ChallengerFitRunner} on these threads. */
  readonly run: ChallengerFitRunner = async (job, options) => {
    options.signal?.throwIfAborted();
    const thread = await this.acquire();
    try {
      const result = await this.fitOn(thread, job, options);
      this.release(thread);
      return result;
    } catch (error) {
      // A fit that failed cleanly leaves a usable thread; anything else (abort, crash) ends it.
      if (error instanceof ThreadFitFailure) {
        this.release(thread);
        throw error.error;
      }
      this.discard(thread);
      throw error;
    }
  };

  /** Ends every idle thread (busy ones end when their fit does). */
  async close(): Promise<void> {
    const idle = this.idle.splice(0);
    await Promise.all(idle.map((thread) => this.end(thread)));
  }

  private fitOn(
    thread: PooledThread,
    job: ChallengerFitJob,
    options: Parameters<ChallengerFitRunner>[1],
  ): Promise<ChallengerFit> {
    const id = this.nextId++;
    const { worker } = thread;
    return new Promise<ChallengerFit>((resolve, reject) => {
      const cleanUp = (): void => {
        worker.off("message", onMessage);
        worker.off("error", onError);
        worker.off("exit", onExit);
        options.signal?.removeEventListener("abort", onAbort);
      };
      const onMessage = (message: ChallengerFitMessage): void => {
        if (message.id !== id) return;
        if (message.type === "progress") {
          options.onProgress?.(message.fraction, message.stage);
          return;
        }
        cleanUp();
        if (message.type === "done") resolve(message.result);
        else reject(new ThreadFitFailure(threadError(message)));
      };
      const onError = (error: Error): void => {
        cleanUp();
        reject(error);
      };
      const onExit = (code: number): void => {
        cleanUp();
        reject(new Error(`the training worker thread exited (code ${code}) before it answered`));
      };
      const onAbort = (): void => {
        cleanUp();
        reject(options.signal === undefined ? new Error("aborted") : abortReason(options.signal));
      };
      worker.on("message", onMessage);
      worker.on("error", onError);
      worker.on("exit", onExit);
      options.signal?.addEventListener("abort", onAbort, { once: true });
      worker.ref();
      worker.postMessage({ id, job } satisfies ChallengerFitRequest);
    });
  }

  private acquire(): Promise<PooledThread> {
    const idle = this.idle.pop();
    if (idle !== undefined) {
      clearTimeout(idle.idleTimer);
      return Promise.resolve(idle);
    }
    if (this.threads < this.maxThreads) {
      this.threads += 1;
      const worker = new Worker(WORKER_ENTRY);
      // An unexpected crash of an idle thread must not become an uncaught error in the process.
      worker.on("error", () => undefined);
      return Promise.resolve({ worker });
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(thread: PooledThread): void {
    const next = this.waiting.shift();
    if (next !== undefined) {
      next(thread);
      return;
    }
    thread.worker.unref();
    thread.idleTimer = setTimeout(() => {
      const index = this.idle.indexOf(thread);
      if (index >= 0) this.idle.splice(index, 1);
      void this.end(thread);
    }, this.idleMs);
    thread.idleTimer.unref();
    this.idle.push(thread);
  }

  private discard(thread: PooledThread): void {
    void this.end(thread);
    // Its slot is free again: start a fresh thread for the first waiting fit.
    const next = this.waiting.shift();
    if (next !== undefined) {
      this.threads += 1;
      const worker = new Worker(WORKER_ENTRY);
      worker.on("error", () => undefined);
      next({ worker });
    }
  }

  private async end(thread: PooledThread): Promise<void> {
    clearTimeout(thread.idleTimer);
    this.threads -= 1;
    await thread.worker.terminate().catch(() => undefined);
  }
}

/** A clean failure reported by the thread (the thread itself is fine). */
class ThreadFitFailure extends Error {
  constructor(readonly error: Error) {
    super(error.message);
  }
}

let shared: ChallengerFitThreads | undefined;

/** Worker threads (one pool per process) where they can start, else this thread. */
export function defaultChallengerFitRunner(): ChallengerFitRunner {
  if (!workerThreadFitAvailable()) return fitOnThisThread;
  shared ??= new ChallengerFitThreads();
  return shared.run;
}

function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error(`aborted: ${String(reason)}`);
}

function threadError(message: Extract<ChallengerFitMessage, { type: "failed" }>): Error {
  const codes = Object.values(TrainingErrorCode) as string[];
  if (message.name === "TrainingError" && message.code !== undefined && codes.includes(message.code)) {
    return new TrainingError(message.code as TrainingErrorCode, message.message, message.retryable);
  }
  const error = new Error(message.message);
  error.name = message.name;
  return error;
}
