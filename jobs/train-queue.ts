import { Queue, type DefaultJobOptions, type Job, type KeepJobs } from "bullmq";
import { z } from "zod";
import { TrainJobError, TrainJobErrorCode } from "./train-job-error.js";

/** The BullMQ queue every training job goes through. BullMQ forbids `:` in queue names. */
export const TRAIN_QUEUE_NAME = "presage-train";

/** Job name of training jobs (one kind of job per queue today; the name shows in dashboards). */
export const TRAIN_JOB_NAME = "train";

/**
 * Payload of a training job. `windowEndMs` is the epoch ms of the last sample to train on, aligned to
 * the target's step; scheduler templates leave it out and the processor derives it from the tick the
 * job was scheduled for.
 */
export const trainPayloadSchema = z
  .object({
    target: z.string().min(1, "must name a configured target"),
    windowEndMs: z.number().int("must be an integer").nonnegative("must be ≥ 0").optional(),
  })
  .strict();

export type TrainPayload = z.infer<typeof trainPayloadSchema>;

/** Validates job data; throws `TrainJobError` (`invalidPayload`) naming every problem. */
export function parseTrainPayload(data: unknown): TrainPayload {
  const result = trainPayloadSchema.safeParse(data);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const field = issue.path.length === 0 ? "(payload)" : issue.path.map(String).join(".");
    return `${field} ${issue.message}`;
  });
  throw new TrainJobError(
    TrainJobErrorCode.invalidPayload,
    `invalid training payload: ${problems.join("; ")}`,
  );
}

/**
 * The deterministic id of the job that trains `target` on the window ending at `windowEndMs`: adding it
 * twice yields one job (BullMQ ignores an add whose custom id exists), so a target and window is never
 * trained twice. BullMQ rejects custom ids that are integers or that contain `:` (reserved for its own
 * scheduler ids, `repeat:<scheduler>:<millis>`); these never are.
 */
export function trainJobId(target: string, windowEndMs: number): string {
  if (target.length === 0 || target.includes(":")) {
    throw new TrainJobError(
      TrainJobErrorCode.invalidPayload,
      `target (${JSON.stringify(target)}) must be non-empty and contain no ':'`,
    );
  }
  if (!Number.isSafeInteger(windowEndMs) || windowEndMs < 0) {
    throw new TrainJobError(
      TrainJobErrorCode.invalidPayload,
      `windowEndMs (${windowEndMs}) must be a non-negative integer`,
    );
  }
  return `train-${target}-${windowEndMs}`;
}

/** Floors an epoch ms to a multiple of the step, the way metric sources align ranges. */
export function alignToStep(epochMs: number, stepSeconds: number): number {
  const stepMs = stepSeconds * 1000;
  return Math.floor(epochMs / stepMs) * stepMs;
}

/** Retry and retention settings for training jobs (the `training` section of the config). */
export interface TrainJobSettings {
  /** Tries per job, including the first. */
  readonly attempts: number;
  /** First retry delay; doubles on every further attempt (BullMQ `exponential`: `2^(n−1) × backoffMs`). */
  readonly backoffMs: number;
}

/**
 * Completed jobs kept for inspection: a day, at most 1,000. Retention is evaluated by BullMQ when later
 * jobs finish. A completed job id that has been evicted can be added again, but the registry check in
 * the processor still skips a window that was already trained.
 */
export const COMPLETED_RETENTION: KeepJobs = { age: 24 * 3600, count: 1000 };
/** Failed jobs kept longer (a week, at most 5,000) so failures can be investigated. */
export const FAILED_RETENTION: KeepJobs = { age: 7 * 24 * 3600, count: 5000 };

/** Default options of training jobs: attempts with exponential backoff and bounded retention. */
export function trainJobOptions(settings: TrainJobSettings): DefaultJobOptions {
  return {
    attempts: settings.attempts,
    backoff: { type: "exponential", delay: settings.backoffMs },
    removeOnComplete: COMPLETED_RETENTION,
    removeOnFail: FAILED_RETENTION,
  };
}

/** Where the queue lives. */
export interface TrainQueueConnection {
  /** `redis://` or `rediss://` URL. */
  readonly url: string;
  /** Key prefix of the queue's Redis keys. @defaultValue `"bull"` (BullMQ's default) */
  readonly prefix?: string;
}

// Job names are typed `string` because BullMQ types `upsertJobScheduler`'s scheduler id as the job-name type.
export type TrainQueue = Queue<TrainPayload, TrainJobResult>;
export type TrainBullJob = Job<TrainPayload, TrainJobResult>;

/** What a finished training job returns (stored by BullMQ as the job's return value). */
export interface TrainJobResult {
  readonly target: string;
  readonly windowEndMs: number;
  /** `trained`: a new version was stored; `already-trained`: a version covering the window existed. */
  readonly outcome: "trained" | "already-trained";
  readonly version: number;
  readonly promoted: boolean;
  readonly reason: string;
  readonly backtestMase: number;
  readonly coverage80: number;
  readonly coverage95: number;
  /** The version current after the job (it differs from `version` when the new model was not promoted). */
  readonly currentVersion?: number;
  /** Backtest MASE of the current version. */
  readonly currentBacktestMase?: number;
}

/** Opens the training queue with the default job options of `settings`. */
export function createTrainQueue(connection: TrainQueueConnection, settings: TrainJobSettings): TrainQueue {
  return new Queue<TrainPayload, TrainJobResult>(TRAIN_QUEUE_NAME, {
    connection: { url: connection.url },
    ...(connection.prefix === undefined ? {} : { prefix: connection.prefix }),
    defaultJobOptions: trainJobOptions(settings),
  });
}

/**
 * Adds the job that trains `target` on the window ending at `windowEndMs` (aligned by the caller).
 * Idempotent: when a job with the same id exists (waiting, delayed, active, or completed/failed and
 * still retained), BullMQ keeps that one, adds nothing and emits a `duplicated` event.
 */
export async function enqueueTraining(
  queue: TrainQueue,
  target: string,
  windowEndMs: number,
): Promise<TrainBullJob> {
  return queue.add(TRAIN_JOB_NAME, { target, windowEndMs }, { jobId: trainJobId(target, windowEndMs) });
}
