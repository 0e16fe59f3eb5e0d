import { UnrecoverableError, type Job } from "bullmq";
import type { CapacityPlanner, CapacityRunReport } from "../src/capacity/capacity-planner.js";
import { CapacityPayloadError, parseCapacityPayload, type CapacityJobResult } from "./capacity-queue.js";

/** A capacity run that failed in a way a later attempt may fix (Prometheus unavailable for a target). */
export class CapacityRunIncomplete extends Error {
  override readonly name = "CapacityRunIncomplete";
  readonly code = "PRESAGE_CAPACITY_RUN_INCOMPLETE";
}

/** Processes one capacity job, whoever runs it (a BullMQ worker or the in-process runner). */
export type CapacityProcessor = (data: unknown, signal?: AbortSignal) => Promise<CapacityJobResult>;

/**
 * The thin capacity processor: validate the payload, run the planner once, summarise. The run is
 * idempotent (same-day reruns change and send nothing), so when any target's source was unavailable
 * the whole job fails retryably after the other targets were planned, and BullMQ's backoff tries
 * again; every other problem is reported per target in the result, not as a failure.
 */
export function createCapacityProcessor(options: {
  readonly planner: Pick<CapacityPlanner, "runOnce">;
  readonly onReport?: (report: CapacityRunReport) => void;
}): CapacityProcessor {
  return async (data, signal) => {
    const payload = parseCapacityPayload(data);
    const report = await options.planner.runOnce({
      ...(payload.targets === undefined ? {} : { targets: payload.targets }),
      ...(signal === undefined ? {} : { signal }),
    });
    options.onReport?.(report);
    const retry = report.targets.filter((target) => target.retryable);
    if (retry.length > 0) {
      throw new CapacityRunIncomplete(
        `source unavailable for ${retry.map((target) => target.fingerprint).join(", ")}; the run will be retried`,
      );
    }
    return summarizeCapacityRun(report);
  };
}

/** The JSON-safe summary a job returns. */
export function summarizeCapacityRun(report: CapacityRunReport): CapacityJobResult {
  return {
    atMs: report.atMs,
    targets: report.targets.map((target) => ({
      fingerprint: target.fingerprint,
      status: target.plan.status,
      p50Days: target.plan.status === "planned" ? (target.plan.runway.p50.days ?? null) : null,
      p90Days: target.plan.status === "planned" ? (target.plan.runway.p90.days ?? null) : null,
      action: target.decision.action,
      reason: target.decision.reason,
    })),
    delivered: report.delivery.delivered,
    pendingDeliveries: report.delivery.pending,
  };
}

/** The BullMQ processor: a bad payload fails at once (`UnrecoverableError`); anything else is retried. */
export function toBullmqCapacityProcessor(
  processor: CapacityProcessor,
): (job: Job, token?: string, signal?: AbortSignal) => Promise<CapacityJobResult> {
  return async (job: Job, _token?: string, signal?: AbortSignal) => {
    try {
      return await processor(job.data, signal);
    } catch (error) {
      if (error instanceof CapacityPayloadError) {
        const unrecoverable = new UnrecoverableError(`[${error.code}] ${error.message}`);
        unrecoverable.cause = error;
        throw unrecoverable;
      }
      throw error;
    }
  };
}
