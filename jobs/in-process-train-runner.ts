import { CronExpressionParser } from "cron-parser";
import type { ResolvedTarget } from "../src/config/presage-config.js";
import {
  classifyTrainFailure,
  TrainJobError,
  TrainJobErrorCode,
  type TrainFailure,
} from "./train-job-error.js";
import type { TrainJob, TrainProcessor } from "./train-processor.js";
import { alignToStep, trainJobId, type TrainJobResult } from "./train-queue.js";

/** Time as the runner sees it; tests pass a fake one. */
export interface RunnerClock {
  now(): number;
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Real time. */
export const systemClock: RunnerClock = {
  now: () => Date.now(),
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimeout: (handle) => {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};

export interface InProcessTrainRunnerOptions {
  /** Targets to schedule (each on its cron `schedule`) and accept jobs for. */
  readonly targets: readonly ResolvedTarget[];
  /** The same processor BullMQ workers run. */
  readonly processor: TrainProcessor;
  /** Jobs run at once. */
  readonly concurrency: number;
  /** Tries per job, including the first. */
  readonly attempts: number;
  /** First retry delay; doubled on each further retry, as BullMQ's `exponential` backoff. */
  readonly backoffMs: number;
  /** @defaultValue `systemClock` */
  readonly clock?: RunnerClock;
  /** Finished job ids remembered to refuse a second run of the same job. @defaultValue 10_000 */
  readonly rememberJobs?: number;
  /** Every state change of a job, for logs and progress bars. Must not throw. */
  readonly onEvent?: (event: InProcessJobEvent) => void;
}

export type InProcessJobEvent =
  | { readonly kind: "queued"; readonly jobId: string; readonly target: string }
  | { readonly kind: "started"; readonly jobId: string; readonly target: string; readonly attempt: number }
  | { readonly kind: "progress"; readonly jobId: string; readonly target: string; readonly percent: number }
  | {
      readonly kind: "retrying";
      readonly jobId: string;
      readonly target: string;
      readonly attempt: number;
      readonly delayMs: number;
      readonly failure: TrainFailure;
    }
  | {
      readonly kind: "completed";
      readonly jobId: string;
      readonly target: string;
      readonly result: TrainJobResult;
    }
  | {
      readonly kind: "failed";
      readonly jobId: string;
      readonly target: string;
      readonly attempt: number;
      readonly failure: TrainFailure;
    }
  | { readonly kind: "duplicate"; readonly jobId: string; readonly target: string };

/** How a job submitted with `enqueue` ended. */
export type InProcessJobOutcome =
  | { readonly status: "completed"; readonly jobId: string; readonly result: TrainJobResult }
  | {
      readonly status: "failed";
      readonly jobId: string;
      readonly failure: TrainFailure;
      readonly error: unknown;
    }
  /** A job with this id is queued, running or already ran: nothing was added. */
  | { readonly status: "duplicate"; readonly jobId: string }
  /** The runner stopped before the job finished. */
  | { readonly status: "cancelled"; readonly jobId: string };

interface RunnerJob {
  readonly id: string;
  readonly target: string;
  readonly windowEndMs: number;
  readonly scheduledAtMs: number;
  attemptsMade: number;
  readonly resolve: (outcome: InProcessJobOutcome) => void;
  readonly abort: AbortController;
}

/** setTimeout's longest delay; longer waits (a monthly cron) are re-armed. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Embedded mode's job runner: without Redis, the same training processor runs in this process on a
 * local cron schedule, with BullMQ's semantics where they matter — deterministic job ids (a target and
 * window runs once), a concurrency limit, retries with exponential backoff that only retryable failures
 * get, and a graceful stop. Nothing is persisted: ticks missed while stopped are not replayed (the
 * next tick trains on the newest window anyway).
 */
export class InProcessTrainRunner {
  private readonly clock: RunnerClock;
  private readonly byName: Map<string, ResolvedTarget>;
  private readonly timers = new Set<unknown>();
  private readonly pending: RunnerJob[] = [];
  private readonly running = new Map<string, RunnerJob>();
  private readonly waitingRetry = new Map<string, { job: RunnerJob; timer: unknown }>();
  private readonly finished = new Set<string>();
  private stopped = false;
  private started = false;

  constructor(private readonly options: InProcessTrainRunnerOptions) {
    this.clock = options.clock ?? systemClock;
    this.byName = new Map(options.targets.map((target) => [target.name, target]));
  }

  /** Arms each target's cron schedule. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    for (const target of this.options.targets) this.armTick(target, this.clock.now());
  }

  /**
   * Submits the job that trains `target` on the window ending at `windowEndMs` (aligned down to the
   * target's step). Resolves when it has finished — after its retries — or at once with `duplicate`
   * when a job with the same id is queued, running or already ran.
   */
  enqueue(
    target: string,
    windowEndMs: number,
    scheduledAtMs = this.clock.now(),
  ): Promise<InProcessJobOutcome> {
    const step = this.byName.get(target)?.stepSeconds;
    const alignedEndMs = step === undefined ? windowEndMs : alignToStep(windowEndMs, step);
    const id = trainJobId(target, alignedEndMs);
    if (this.stopped) return Promise.resolve({ status: "cancelled", jobId: id });
    if (this.isKnown(id)) {
      this.emit({ kind: "duplicate", jobId: id, target });
      return Promise.resolve({ status: "duplicate", jobId: id });
    }
    return new Promise((resolve) => {
      this.pending.push({
        id,
        target,
        windowEndMs: alignedEndMs,
        scheduledAtMs,
        attemptsMade: 0,
        resolve,
        abort: new AbortController(),
      });
      this.emit({ kind: "queued", jobId: id, target });
      this.pump();
    });
  }

  /** Jobs running now. */
  get activeJobs(): number {
    return this.running.size;
  }

  /**
   * Stops scheduling, cancels queued jobs and pending retries, and waits up to `graceMs` for running
   * jobs; jobs still running then are aborted (their signal fires) and reported as abandoned.
   */
  async stop(graceMs: number): Promise<{ abandoned: number }> {
    this.stopped = true;
    for (const timer of this.timers) this.clock.clearTimeout(timer);
    this.timers.clear();
    for (const job of this.pending.splice(0)) job.resolve({ status: "cancelled", jobId: job.id });
    for (const { job, timer } of this.waitingRetry.values()) {
      this.clock.clearTimeout(timer);
      job.resolve({ status: "cancelled", jobId: job.id });
    }
    this.waitingRetry.clear();
    const drained = await this.whenIdle(graceMs);
    if (drained) return { abandoned: 0 };
    const abandoned = [...this.running.values()];
    for (const job of abandoned) {
      job.abort.abort(new TrainJobError(TrainJobErrorCode.interrupted, `${job.id} interrupted by shutdown`));
      job.resolve({ status: "cancelled", jobId: job.id });
    }
    return { abandoned: abandoned.length };
  }

  private armTick(target: ResolvedTarget, afterMs: number): void {
    if (this.stopped) return;
    const tickMs = CronExpressionParser.parse(target.schedule, { currentDate: new Date(afterMs) })
      .next()
      .getTime();
    const delayMs = tickMs - this.clock.now();
    if (delayMs > MAX_TIMER_MS) {
      this.later(MAX_TIMER_MS, () => {
        this.armTick(target, afterMs);
      });
      return;
    }
    this.later(Math.max(0, delayMs), () => {
      // The next tick counts from now when this one fired late, so a busy process skips ticks
      // rather than piling them up (as BullMQ's job schedulers do).
      this.armTick(target, Math.max(tickMs, this.clock.now()));
      void this.enqueue(target.name, alignToStep(tickMs, target.stepSeconds), tickMs);
    });
  }

  private later(delayMs: number, callback: () => void): unknown {
    const timer = this.clock.setTimeout(() => {
      this.timers.delete(timer);
      callback();
    }, delayMs);
    this.timers.add(timer);
    return timer;
  }

  private isKnown(id: string): boolean {
    return (
      this.finished.has(id) ||
      this.running.has(id) ||
      this.waitingRetry.has(id) ||
      this.pending.some((job) => job.id === id)
    );
  }

  private pump(): void {
    while (!this.stopped && this.running.size < this.options.concurrency) {
      const job = this.pending.shift();
      if (job === undefined) return;
      this.running.set(job.id, job);
      void this.runAttempt(job);
    }
  }

  private async runAttempt(job: RunnerJob): Promise<void> {
    const attempt = job.attemptsMade + 1;
    this.emit({ kind: "started", jobId: job.id, target: job.target, attempt });
    const view: TrainJob = {
      id: job.id,
      data: { target: job.target, windowEndMs: job.windowEndMs },
      scheduledAtMs: job.scheduledAtMs,
      attemptsMade: job.attemptsMade,
      updateProgress: (percent) => {
        this.emit({ kind: "progress", jobId: job.id, target: job.target, percent });
        return Promise.resolve();
      },
    };
    let outcome: InProcessJobOutcome | undefined;
    try {
      const result = await this.options.processor(view, job.abort.signal);
      outcome = { status: "completed", jobId: job.id, result };
      this.emit({ kind: "completed", jobId: job.id, target: job.target, result });
    } catch (error) {
      const failure = classifyTrainFailure(error);
      job.attemptsMade = attempt;
      if (failure.retryable && attempt < this.options.attempts && !this.stopped) {
        // BullMQ's exponential backoff: 2^(attemptsMade − 1) × delay.
        const delayMs = Math.round(2 ** (attempt - 1) * this.options.backoffMs);
        this.emit({ kind: "retrying", jobId: job.id, target: job.target, attempt, delayMs, failure });
        const timer = this.later(delayMs, () => {
          this.waitingRetry.delete(job.id);
          this.pending.push(job);
          this.pump();
        });
        this.waitingRetry.set(job.id, { job, timer });
      } else {
        outcome = { status: "failed", jobId: job.id, failure, error };
        this.emit({ kind: "failed", jobId: job.id, target: job.target, attempt, failure });
      }
    } finally {
      this.running.delete(job.id);
      if (outcome !== undefined) {
        this.remember(job.id);
        job.resolve(outcome);
      }
      this.notifyIdle();
      this.pump();
    }
  }

  private remember(id: string): void {
    this.finished.add(id);
    const limit = this.options.rememberJobs ?? 10_000;
    for (const oldest of this.finished) {
      if (this.finished.size <= limit) break;
      this.finished.delete(oldest);
    }
  }

  private idleWaiters: (() => void)[] = [];

  private notifyIdle(): void {
    if (this.running.size > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }

  private whenIdle(timeoutMs: number): Promise<boolean> {
    if (this.running.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = this.clock.setTimeout(() => {
        resolve(false);
      }, timeoutMs);
      this.idleWaiters.push(() => {
        this.clock.clearTimeout(timer);
        resolve(true);
      });
    });
  }

  private emit(event: InProcessJobEvent): void {
    this.options.onEvent?.(event);
  }
}
