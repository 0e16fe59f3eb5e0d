import { UnrecoverableError, WaitingError, type Job } from "bullmq";
import type { ResolvedTarget } from "../src/config/presage-config.js";
import type { TrainTargetResult } from "../training/pipeline/train-target.js";
import type { ArtifactSummary, ModelArtifact } from "../training/registry/model-artifact.js";
import type { ModelRegistry } from "../training/registry/model-registry.js";
import { classifyTrainFailure, TrainJobError, TrainJobErrorCode } from "./train-job-error.js";
import { alignToStep, parseTrainPayload, type TrainJobResult, type TrainPayload } from "./train-queue.js";
import { scheduledTimeOf } from "./train-schedules.js";

/**
 * A training job as the processor sees it, whoever runs it: a BullMQ worker (`fromBullmqJob`) or the
 * in-process runner of embedded mode.
 */
export interface TrainJob {
  readonly id: string;
  /** Unvalidated job data; the processor checks it against `trainPayloadSchema`. */
  readonly data: unknown;
  /** Epoch ms the job was due: its scheduler tick, or when it was added. */
  readonly scheduledAtMs: number;
  /** Attempts that already failed (0 on the first try). */
  readonly attemptsMade: number;
  /** Reports progress in percent (0–100). Failures to report are ignored. */
  updateProgress(percent: number): Promise<void>;
}

/** Trains one target on the window ending at `windowEndMs`: the composition the processor calls. */
export type TargetTrainer = (request: {
  readonly target: ResolvedTarget;
  readonly windowEndMs: number;
  readonly signal?: AbortSignal;
  readonly onProgress: (fraction: number, stage: string) => void;
}) => Promise<TrainTargetResult>;

/** What happened to a job attempt, for metrics and logs. */
export type TrainJobEvent =
  | {
      readonly kind: "completed";
      readonly jobId: string;
      readonly target: string;
      readonly durationMs: number;
      readonly result: TrainJobResult;
    }
  | {
      readonly kind: "failed";
      readonly jobId: string;
      /** `undefined` when the payload did not even name a target. */
      readonly target: string | undefined;
      readonly durationMs: number;
      readonly code: string;
      readonly message: string;
      /** Whether the job may be tried again (it still may run out of attempts). */
      readonly retryable: boolean;
      /** 1 for the first try. */
      readonly attempt: number;
    };

/** Receives every finished attempt (e.g. `TrainingMetrics`, a logger). Must not throw. */
export type TrainJobObserver = (event: TrainJobEvent) => void;

export interface TrainProcessorOptions {
  /** The configured targets; a job naming another target fails without retry. */
  readonly targets: readonly ResolvedTarget[];
  /** Read to skip windows that are already trained and to report the current version. */
  readonly registry: Pick<ModelRegistry, "listVersions">;
  readonly train: TargetTrainer;
  /** @defaultValue no observer */
  readonly observe?: TrainJobObserver;
  /** Monotonic milliseconds for durations. @defaultValue `performance.now` */
  readonly monotonicMs?: () => number;
}

/** Processes one job; throws the original error (classified by `classifyTrainFailure`) on failure. */
export type TrainProcessor = (job: TrainJob, signal?: AbortSignal) => Promise<TrainJobResult>;

/**
 * The training processor: validate the payload, find the target, skip a window that is already
 * trained, train, report progress and outcome. It knows nothing of BullMQ; `toBullmqProcessor` adapts it.
 */
export function createTrainProcessor(options: TrainProcessorOptions): TrainProcessor {
  const monotonicMs = options.monotonicMs ?? (() => performance.now());
  const observe = options.observe ?? (() => undefined);
  const byName = new Map(options.targets.map((target) => [target.name, target]));

  return async (job, signal) => {
    const startedMs = monotonicMs();
    let targetName: string | undefined;
    try {
      const payload: TrainPayload = parseTrainPayload(job.data);
      targetName = payload.target;
      const target = byName.get(payload.target);
      if (target === undefined) {
        throw new TrainJobError(
          TrainJobErrorCode.unknownTarget,
          `target "${payload.target}" is not configured (configured: ${[...byName.keys()].join(", ")})`,
        );
      }
      // Scheduler jobs carry no window: it ends at their tick. Either way it is aligned to the step.
      const windowEndMs = alignToStep(payload.windowEndMs ?? job.scheduledAtMs, target.stepSeconds);
      const result = await trainWindow(options, job, target, windowEndMs, signal);
      observe({
        kind: "completed",
        jobId: job.id,
        target: target.name,
        durationMs: monotonicMs() - startedMs,
        result,
      });
      return result;
    } catch (caught) {
      // A job aborted by its runner (shutdown) is interrupted, whatever the aborted step threw.
      const error =
        signal?.aborted === true && !(caught instanceof TrainJobError)
          ? new TrainJobError(
              TrainJobErrorCode.interrupted,
              `job ${job.id} was interrupted: ${describe(signal.reason)}`,
              { cause: caught },
            )
          : caught;
      const failure = classifyTrainFailure(error);
      observe({
        kind: "failed",
        jobId: job.id,
        target: targetName,
        durationMs: monotonicMs() - startedMs,
        code: failure.code,
        message: failure.message,
        retryable: failure.retryable,
        attempt: job.attemptsMade + 1,
      });
      throw error;
    }
  };
}

function describe(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}

async function trainWindow(
  options: TrainProcessorOptions,
  job: TrainJob,
  target: ResolvedTarget,
  windowEndMs: number,
  signal: AbortSignal | undefined,
): Promise<TrainJobResult> {
  // Idempotency at the registry: a scheduler tick and a manual job for the same window, or a job that
  // trained and stored its model but crashed before BullMQ recorded it as completed, train once.
  const versions = await options.registry.listVersions(target.name);
  const latest = versions.at(-1);
  if (latest !== undefined && latest.dataRange.endMs >= windowEndMs) {
    const current = versions.find((version) => version.current);
    return {
      ...summarize(target.name, windowEndMs, latest, current),
      outcome: "already-trained",
      reason: `already trained: v${latest.version} covers data up to ${new Date(latest.dataRange.endMs).toISOString()}`,
    };
  }

  signal?.throwIfAborted();
  const progress = new ProgressReporter(job);
  try {
    const trained = await options.train({
      target,
      windowEndMs,
      ...(signal === undefined ? {} : { signal }),
      onProgress: (fraction) => {
        progress.report(fraction);
      },
    });
    progress.report(1);
    const current = trained.promoted
      ? trained.artifact
      : (await options.registry.listVersions(target.name)).find((version) => version.current);
    return {
      ...summarize(target.name, windowEndMs, trained.artifact, current),
      outcome: "trained",
      reason: trained.reason,
    };
  } finally {
    await progress.flush();
  }
}

function summarize(
  target: string,
  windowEndMs: number,
  artifact: ArtifactSummary | ModelArtifact,
  current: ArtifactSummary | ModelArtifact | undefined,
): Omit<TrainJobResult, "outcome" | "reason"> {
  return {
    target,
    windowEndMs,
    version: artifact.version,
    promoted: artifact.decision.promoted,
    backtestMase: artifact.backtest.mase,
    coverage80: artifact.backtest.coverage80,
    coverage95: artifact.backtest.coverage95,
    ...(current === undefined
      ? {}
      : { currentVersion: current.version, currentBacktestMase: current.backtest.mase }),
  };
}

/**
 * Sends whole-percent progress, one report in flight at a time, skipping stale values: training
 * reports often, and a slow or reconnecting Redis must neither slow training nor fail the job.
 */
class ProgressReporter {
  private lastSent = -1;
  private pending: number | undefined;
  private inFlight: Promise<void> | undefined;

  constructor(private readonly job: TrainJob) {}

  report(fraction: number): void {
    const percent = Math.max(0, Math.min(100, Math.round(fraction * 100)));
    if (percent <= this.lastSent || percent === this.pending) return;
    this.pending = percent;
    this.inFlight ??= this.drain();
  }

  async flush(): Promise<void> {
    await this.inFlight;
  }

  private async drain(): Promise<void> {
    while (this.pending !== undefined) {
      const percent = this.pending;
      this.pending = undefined;
      this.lastSent = percent;
      try {
        await this.job.updateProgress(percent);
      } catch {
        // Progress is advisory; the job's outcome is what matters.
      }
    }
    this.inFlight = undefined;
  }
}

/** Adapts a BullMQ job to the processor's view of it. */
export function fromBullmqJob(job: Job): TrainJob {
  return {
    id: job.id ?? "(no id)",
    data: job.data,
    scheduledAtMs: scheduledTimeOf(job),
    attemptsMade: job.attemptsMade,
    updateProgress: (percent) => job.updateProgress(percent),
  };
}

/**
 * Maps a failure to what BullMQ should do with it: non-retryable failures become `UnrecoverableError`
 * (failed at once, whatever attempts remain), with the code in the message so `failedReason` says why;
 * retryable ones are rethrown as they are and retried with the job's exponential backoff.
 */
export function toBullmqError(error: unknown): Error {
  const failure = classifyTrainFailure(error);
  if (failure.retryable) return error instanceof Error ? error : new Error(failure.message);
  const unrecoverable = new UnrecoverableError(`[${failure.code}] ${failure.message}`);
  unrecoverable.cause = error;
  return unrecoverable;
}

/**
 * The BullMQ processor function. It declares all three parameters because BullMQ only passes the
 * abort signal (`Worker.cancelJob`/`cancelAllJobs`) to processors whose `length` is at least 3.
 *
 * A job interrupted by a shutdown is handed back rather than failed: moved from active to waiting
 * (BullMQ's manual-retry pattern, `job.moveToWait(token)` then `WaitingError`), so another worker
 * takes it at once without spending an attempt. If that move fails, the job is left to stalled-job
 * recovery.
 */
export function toBullmqProcessor(
  processor: TrainProcessor,
): (job: Job, token?: string, signal?: AbortSignal) => Promise<TrainJobResult> {
  return async (job: Job, token?: string, signal?: AbortSignal): Promise<TrainJobResult> => {
    try {
      return await processor(fromBullmqJob(job), signal);
    } catch (error) {
      if (
        error instanceof TrainJobError &&
        error.code === TrainJobErrorCode.interrupted &&
        token !== undefined
      ) {
        try {
          await job.moveToWait(token);
        } catch {
          throw error;
        }
        throw new WaitingError(`${error.message}; moved back to waiting`);
      }
      throw toBullmqError(error);
    }
  };
}
