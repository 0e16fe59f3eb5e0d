import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { ModelError, ModelErrorCode } from "../../models/errors.js";
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
  /** Told when a thread dies on its own (a crash, out of memory). @defaultValue none */
  readonly log?: (line: string) => void;
}

interface PooledThread {
  readonly worker: Worker;
  /** The thread exited (crashed, or was ended): never handed out again. */
  dead: boolean;
  /** Why it died on its own, for a fit waiting on it. */
  deathCause?: Error;
  idleTimer?: NodeJS.Timeout;
}

interface Waiter {
  readonly resolve: (thread: PooledThread) => void;
  readonly reject: (error: Error) => void;
  readonly signal: AbortSignal | undefined;
}

/**
 * Runs challenger fits in long-lived worker threads, so the process's event loop stays free while
 * models fit for seconds to minutes: the API answers, Alertmanager webhooks are handled, scaler ticks
 * and lease or job-lock renewals run on time. Threads start on demand (up to `maxThreads`, further fits
 * queue), stay warm between fits, and never keep the process alive. An abort ends the fit's thread at
 * once (a fit on the main thread could not be interrupted), and drops a fit still queued. A thread
 * that dies on its own is replaced; the fit it ran fails (retryable). `TrainingError`s and
 * `ModelError`s keep their class and code across the thread.
 */
export class ChallengerFitThreads {
  private readonly maxThreads: number;
  private readonly idleMs: number;
  private readonly log: (line: string) => void;
  private readonly idle: PooledThread[] = [];
  private readonly waiting: Waiter[] = [];
  private threads = 0;
  private nextId = 1;

  constructor(options: ChallengerFitThreadsOptions = {}) {
    this.maxThreads = Math.max(1, Math.floor(options.maxThreads ?? availableParallelism() - 1));
    this.idleMs = options.idleMs ?? 300_000;
    this.log = options.log ?? (() => undefined);
  }

  /** A {@link ChallengerFitRunner} on these threads. */
  readonly run: ChallengerFitRunner = async (job, options) => {
    const thread = await this.acquire(options.signal);
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
      void this.end(thread);
      throw error;
    }
  };

  /** Ends every idle thread (a busy one goes back to idle, unref'd, when its fit ends). */
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
    const { signal } = options;
    return new Promise<ChallengerFit>((resolve, reject) => {
      if (signal?.aborted === true) {
        reject(abortReason(signal));
        return;
      }
      if (thread.dead) {
        reject(thread.deathCause ?? new Error("the training worker thread had exited"));
        return;
      }
      const cleanUp = (): void => {
        worker.off("message", onMessage);
        worker.off("messageerror", onError);
        worker.off("error", onError);
        worker.off("exit", onExit);
        signal?.removeEventListener("abort", onAbort);
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
        reject(signal === undefined ? new Error("aborted") : abortReason(signal));
      };
      try {
        // Posting first: a job that cannot be cloned (DataCloneError) leaves no listener behind.
        worker.postMessage({ id, job } satisfies ChallengerFitRequest);
      } catch (error) {
        reject(new ThreadFitFailure(error instanceof Error ? error : new Error(String(error))));
        return;
      }
      worker.on("message", onMessage);
      worker.on("messageerror", onError);
      worker.on("error", onError);
      worker.on("exit", onExit);
      signal?.addEventListener("abort", onAbort, { once: true });
      worker.ref();
    });
  }

  private acquire(signal: AbortSignal | undefined): Promise<PooledThread> {
    if (signal?.aborted === true) return Promise.reject(abortReason(signal));
    const idle = this.idle.pop();
    if (idle !== undefined) {
      clearTimeout(idle.idleTimer);
      return Promise.resolve(idle);
    }
    if (this.threads < this.maxThreads) return Promise.resolve(this.spawn());
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal };
      this.waiting.push(waiter);
      signal?.addEventListener(
        "abort",
        () => {
          const index = this.waiting.indexOf(waiter);
          if (index < 0) return;
          this.waiting.splice(index, 1);
          reject(abortReason(signal));
        },
        { once: true },
      );
    });
  }

  /** Starts a thread; when it exits (crash, out of memory, or ended here) its slot is freed once. */
  private spawn(): PooledThread {
    this.threads += 1;
    const thread: PooledThread = { worker: new Worker(WORKER_ENTRY), dead: false };
    thread.worker.on("error", (error) => {
      thread.deathCause = error;
      this.log(`training worker thread failed: ${error.message}`);
    });
    thread.worker.on("exit", () => {
      this.forget(thread);
    });
    return thread;
  }

  /** A thread is gone: out of the idle list, its slot free for the first waiting fit. */
  private forget(thread: PooledThread): void {
    if (thread.dead) return;
    thread.dead = true;
    clearTimeout(thread.idleTimer);
    const index = this.idle.indexOf(thread);
    if (index >= 0) this.idle.splice(index, 1);
    this.threads -= 1;
    const next = this.waiting.shift();
    if (next !== undefined) next.resolve(this.spawn());
  }

  private release(thread: PooledThread): void {
    if (thread.dead) return;
    const next = this.waiting.shift();
    if (next !== undefined) {
      next.resolve(thread);
      return;
    }
    thread.worker.unref();
    thread.idleTimer = setTimeout(() => {
      void this.end(thread);
    }, this.idleMs);
    thread.idleTimer.unref();
    this.idle.push(thread);
  }

  private async end(thread: PooledThread): Promise<void> {
    this.forget(thread);
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

/** The error the thread reported, as the same class with its code where presage defines one. */
function threadError(message: Extract<ChallengerFitMessage, { type: "failed" }>): Error {
  const code = message.code;
  if (message.name === "TrainingError" && isCode(TrainingErrorCode, code)) {
    return new TrainingError(code, message.message, message.retryable);
  }
  if (message.name === "ModelError" && isCode(ModelErrorCode, code)) {
    return new ModelError(code, message.message);
  }
  const error = new Error(message.message);
  error.name = message.name;
  return error;
}

function isCode<T extends Record<string, string>>(codes: T, code: string | undefined): code is T[keyof T] {
  return code !== undefined && Object.values<string>(codes).includes(code);
}
