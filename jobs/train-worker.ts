import { Worker } from "bullmq";
import { toBullmqProcessor, type TrainProcessor } from "./train-processor.js";
import {
  TRAIN_QUEUE_NAME,
  type TrainJobResult,
  type TrainPayload,
  type TrainQueueConnection,
} from "./train-queue.js";

export interface TrainWorkerOptions {
  readonly connection: TrainQueueConnection;
  readonly processor: TrainProcessor;
  /** Jobs this worker trains at once. Scale out with more workers (pods), not only more concurrency. */
  readonly concurrency: number;
  /**
   * How long a job's lock lasts without renewal (renewed every half of it while the job runs). A
   * worker killed mid-job holds its jobs this long before another worker may take them over, so it
   * trades recovery time against tolerance for a busy event loop: it must exceed the longest stretch
   * of synchronous model fitting.
   * @defaultValue 30_000
   */
  readonly lockDurationMs?: number;
  /**
   * How often this worker looks for stalled jobs (active jobs whose lock expired) and moves them back
   * to waiting.
   * @defaultValue 30_000
   */
  readonly stalledIntervalMs?: number;
  /**
   * Times a job may be recovered from a stall before it is failed ("job stalled more than allowable
   * limit"). Two, so a job survives its worker being killed once and then once more.
   * @defaultValue 2
   */
  readonly maxStalledCount?: number;
  /** Stored on each job it processes (`processedBy`). @defaultValue BullMQ's default (none) */
  readonly name?: string;
  /** Connection and internal errors (BullMQ keeps retrying; these are for logs). */
  readonly onError?: (error: Error) => void;
}

/** Abort reason given to jobs interrupted by a shutdown. */
const SHUTDOWN_REASON = "worker shutting down";
/** How long interrupted jobs get to hand themselves back (one Redis round trip each). */
const HANDOFF_MS = 2000;

/** Outcome of `TrainWorker.close`. */
export interface TrainWorkerShutdown {
  /**
   * Jobs still running after the grace period and the interruption: their locks expire and stalled-job
   * recovery hands them to another worker. Their work may still be going on in this process, which
   * should therefore exit.
   */
  readonly abandoned: number;
}

/**
 * A BullMQ worker on the `presage-train` queue. `close` is the graceful shutdown: it stops taking jobs
 * and lets the running ones finish within a grace period; then it interrupts the rest, which hand
 * their jobs back to the queue when they can (a job waiting on a fetch) and otherwise stay locked in
 * Redis until the lock expires and another worker's stalled-job check takes them over — as after a
 * hard kill. A job is never lost, only delayed by up to `lockDurationMs + stalledIntervalMs`.
 */
export class TrainWorker {
  private readonly worker: Worker<TrainPayload, TrainJobResult>;
  private readonly active = new Set<Promise<unknown>>();
  private idleWaiters: (() => void)[] = [];
  private closing: Promise<TrainWorkerShutdown> | undefined;

  constructor(options: TrainWorkerOptions) {
    const processJob = toBullmqProcessor(options.processor);
    this.worker = new Worker<TrainPayload, TrainJobResult>(
      TRAIN_QUEUE_NAME,
      (job, token, signal) => this.track(processJob(job, token, signal)),
      {
        connection: { url: options.connection.url },
        ...(options.connection.prefix === undefined ? {} : { prefix: options.connection.prefix }),
        ...(options.name === undefined ? {} : { name: options.name }),
        concurrency: options.concurrency,
        lockDuration: options.lockDurationMs ?? 30_000,
        stalledInterval: options.stalledIntervalMs ?? 30_000,
        maxStalledCount: options.maxStalledCount ?? 2,
        autorun: false,
      },
    );
    // Without a listener an 'error' event would throw; BullMQ reconnects by itself.
    this.worker.on("error", (error) => {
      options.onError?.(error);
    });
  }

  /** Starts fetching jobs. Resolves once connected to Redis (or rejects if it cannot be reached at start). */
  async start(): Promise<void> {
    this.worker.run().catch((error: unknown) => {
      this.worker.emit("error", error instanceof Error ? error : new Error(String(error)));
    });
    await this.worker.waitUntilReady();
  }

  /** Jobs running now. */
  get activeJobs(): number {
    return this.active.size;
  }

  /**
   * Graceful shutdown: stops fetching, waits up to `graceMs` for running jobs, then closes the
   * connections (abandoning jobs that are still running to stalled-job recovery). Idempotent.
   */
  close(graceMs: number): Promise<TrainWorkerShutdown> {
    this.closing ??= this.shutDown(graceMs);
    return this.closing;
  }

  private async shutDown(graceMs: number): Promise<TrainWorkerShutdown> {
    await this.worker.pause(true);
    let drained = await this.whenIdle(graceMs);
    if (!drained) {
      // Interrupt what still runs: jobs waiting on I/O (a metric fetch) see the abort and are moved
      // back to waiting for another worker; jobs busy fitting cannot notice it and stay locked.
      this.worker.cancelAllJobs(SHUTDOWN_REASON);
      drained = await this.whenIdle(HANDOFF_MS);
    }
    const abandoned = this.active.size;
    // close(false) waits for running jobs; close(true) closes the connections under them, which keeps
    // their locks in Redis until they expire and stalled-job recovery hands the jobs to another worker.
    await this.worker.close(!drained);
    return { abandoned };
  }

  private track<T>(running: Promise<T>): Promise<T> {
    this.active.add(running);
    const settle = (): void => {
      this.active.delete(running);
      if (this.active.size === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const wake of waiters) wake();
      }
    };
    running.then(settle, settle);
    return running;
  }

  private whenIdle(timeoutMs: number): Promise<boolean> {
    if (this.active.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        resolve(false);
      }, timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}
