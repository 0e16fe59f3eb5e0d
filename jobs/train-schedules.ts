import type { JobSchedulerJson } from "bullmq";
import type { ResolvedTarget } from "../src/config/presage-config.js";
import {
  TRAIN_JOB_NAME,
  trainJobOptions,
  type TrainJobSettings,
  type TrainPayload,
  type TrainQueue,
} from "./train-queue.js";

/** What `syncTrainSchedules` changed. */
export interface ScheduleSync {
  /** Targets whose scheduler was created or changed. */
  readonly upserted: readonly string[];
  /** Targets whose scheduler already matched the config. */
  readonly unchanged: readonly string[];
  /** Schedulers removed because their target is no longer configured. */
  readonly removed: readonly string[];
}

/**
 * Makes the queue's job schedulers match the configured targets: one BullMQ job scheduler per target,
 * with the target's name as scheduler id and its cron `schedule` as pattern, producing `train` jobs
 * whose template names the target and carries no window (the processor derives the window from the
 * tick). Schedulers whose target is gone are removed. Safe to run from every worker at start-up:
 * schedulers that already match are left alone, so restarts do not reshuffle pending ticks.
 *
 * Scheduler-produced jobs have BullMQ's own deterministic ids, `repeat:<target>:<tick ms>`, so each
 * tick of each target yields exactly one job however many workers run.
 */
export async function syncTrainSchedules(
  queue: TrainQueue,
  targets: readonly ResolvedTarget[],
  settings: TrainJobSettings,
): Promise<ScheduleSync> {
  const existing = new Map<string, JobSchedulerJson<TrainPayload>>();
  for (const scheduler of await queue.getJobSchedulers(0, -1, true)) existing.set(scheduler.key, scheduler);

  const upserted: string[] = [];
  const unchanged: string[] = [];
  for (const target of targets) {
    const current = existing.get(target.name);
    if (current !== undefined && schedulerMatches(current, target, settings)) {
      unchanged.push(target.name);
      continue;
    }
    try {
      await queue.upsertJobScheduler(
        target.name,
        { pattern: target.schedule },
        { name: TRAIN_JOB_NAME, data: { target: target.name }, opts: trainJobOptions(settings) },
      );
    } catch (error) {
      // Workers starting together race: when another one has just upserted the same scheduler and its
      // tick's job already exists, BullMQ refuses the duplicate iteration ("job ID already exists").
      // That is the outcome we want; anything else is a real failure.
      const now = await queue.getJobScheduler(target.name);
      if (now === undefined || !schedulerMatches(now, target, settings)) throw error;
      unchanged.push(target.name);
      continue;
    }
    upserted.push(target.name);
  }

  const configured = new Set(targets.map((target) => target.name));
  const removed: string[] = [];
  for (const key of existing.keys()) {
    if (configured.has(key)) continue;
    await queue.removeJobScheduler(key);
    removed.push(key);
  }
  return { upserted, unchanged, removed };
}

function schedulerMatches(
  scheduler: JobSchedulerJson<TrainPayload>,
  target: ResolvedTarget,
  settings: TrainJobSettings,
): boolean {
  const options = scheduler.template?.opts;
  const backoff = options?.backoff;
  return (
    scheduler.pattern === target.schedule &&
    scheduler.every === undefined &&
    scheduler.name === TRAIN_JOB_NAME &&
    scheduler.template?.data?.target === target.name &&
    scheduler.template.data.windowEndMs === undefined &&
    options?.attempts === settings.attempts &&
    typeof backoff === "object" &&
    backoff.type === "exponential" &&
    backoff.delay === settings.backoffMs
  );
}

/** The fields of a BullMQ job that say when it was due. */
export interface JobTiming {
  readonly id?: string | undefined;
  /** Set on jobs produced by a job scheduler: the scheduler id. */
  readonly repeatJobKey?: string | undefined;
  /** When the job was added. */
  readonly timestamp: number;
}

/**
 * Epoch ms a job was due. Jobs from a job scheduler carry their tick in their id
 * (`repeat:<scheduler id>:<tick ms>`, BullMQ's format), which stays fixed across retries and stalls;
 * other jobs were due when added.
 */
export function scheduledTimeOf(job: JobTiming): number {
  if (job.repeatJobKey !== undefined && job.id !== undefined) {
    const prefix = `repeat:${job.repeatJobKey}:`;
    if (job.id.startsWith(prefix)) {
      const tickMs = Number(job.id.slice(prefix.length));
      if (Number.isSafeInteger(tickMs) && tickMs >= 0) return tickMs;
    }
  }
  return job.timestamp;
}
