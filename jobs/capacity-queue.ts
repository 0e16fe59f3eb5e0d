import { Queue, type DefaultJobOptions, type Job } from "bullmq";
import { z } from "zod";
import { COMPLETED_RETENTION, FAILED_RETENTION } from "./train-queue.js";

/** The BullMQ queue of capacity-planning runs. */
export const CAPACITY_QUEUE_NAME = "presage-capacity";

/** Job name of capacity runs. */
export const CAPACITY_JOB_NAME = "capacity";

/** Job scheduler id of the daily run. */
export const CAPACITY_SCHEDULER_ID = "capacity-daily";

/**
 * Payload of a capacity run. `targets` restricts the run (all targets by default); scheduler
 * templates carry neither field.
 */
export const capacityPayloadSchema = z
  .object({
    targets: z.array(z.string().min(1, "must name a capacity target")).min(1).optional(),
  })
  .strict();

export type CapacityPayload = z.infer<typeof capacityPayloadSchema>;

/** A bad capacity payload: never retried. */
export class CapacityPayloadError extends Error {
  override readonly name = "CapacityPayloadError";
  readonly code = "PRESAGE_JOB_INVALID_PAYLOAD";
}

/** Validates job data; throws `CapacityPayloadError` naming every problem. */
export function parseCapacityPayload(data: unknown): CapacityPayload {
  const result = capacityPayloadSchema.safeParse(data ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map(
    (issue) => `${issue.path.length === 0 ? "(payload)" : issue.path.map(String).join(".")} ${issue.message}`,
  );
  throw new CapacityPayloadError(`invalid capacity payload: ${problems.join("; ")}`);
}

/** What a finished capacity job returns (kept by BullMQ as its return value): one line per target. */
export interface CapacityJobResult {
  readonly atMs: number;
  readonly targets: readonly {
    readonly fingerprint: string;
    readonly status: "planned" | "unplanned";
    readonly p50Days: number | null;
    readonly p90Days: number | null;
    readonly action: string;
    readonly reason: string;
  }[];
  readonly delivered: number;
  readonly pendingDeliveries: number;
}

/** Retries of a failed run (Prometheus down): each run is idempotent, so a retry just plans again. */
export function capacityJobOptions(attempts: number, backoffMs: number): DefaultJobOptions {
  return {
    attempts,
    backoff: { type: "exponential", delay: backoffMs },
    removeOnComplete: COMPLETED_RETENTION,
    removeOnFail: FAILED_RETENTION,
  };
}

export type CapacityQueue = Queue<CapacityPayload, CapacityJobResult>;
export type CapacityBullJob = Job<CapacityPayload, CapacityJobResult>;

/** Opens the capacity queue. */
export function createCapacityQueue(
  connection: { readonly url: string; readonly prefix?: string },
  settings: { readonly attempts: number; readonly backoffMs: number },
): CapacityQueue {
  return new Queue<CapacityPayload, CapacityJobResult>(CAPACITY_QUEUE_NAME, {
    connection: { url: connection.url },
    ...(connection.prefix === undefined ? {} : { prefix: connection.prefix }),
    defaultJobOptions: capacityJobOptions(settings.attempts, settings.backoffMs),
  });
}

/**
 * Makes the daily job scheduler match the configured cron schedule (idempotent; safe from every
 * worker at start-up). Scheduler jobs get BullMQ's deterministic ids (`repeat:capacity-daily:<tick>`),
 * so one tick is one run however many workers there are.
 */
export async function syncCapacitySchedule(
  queue: CapacityQueue,
  schedule: string,
  settings: { readonly attempts: number; readonly backoffMs: number },
): Promise<"upserted" | "unchanged"> {
  const current = await queue.getJobScheduler(CAPACITY_SCHEDULER_ID);
  if (current?.pattern === schedule && current.name === CAPACITY_JOB_NAME) return "unchanged";
  try {
    await queue.upsertJobScheduler(
      CAPACITY_SCHEDULER_ID,
      { pattern: schedule },
      { name: CAPACITY_JOB_NAME, data: {}, opts: capacityJobOptions(settings.attempts, settings.backoffMs) },
    );
  } catch (error) {
    // Another worker upserted the same scheduler at the same moment: that is the outcome we want.
    if ((await queue.getJobScheduler(CAPACITY_SCHEDULER_ID))?.pattern !== schedule) throw error;
    return "unchanged";
  }
  return "upserted";
}

/** Adds a run now (e.g. `presage capacity --once` in cluster mode would use it; tests do). */
export async function enqueueCapacityRun(
  queue: CapacityQueue,
  payload: CapacityPayload = {},
): Promise<CapacityBullJob> {
  return queue.add(CAPACITY_JOB_NAME, payload);
}
