import type { TrainJobObserver } from "../../jobs/train-processor.js";
import type { TrainingMetrics } from "../telemetry/training-metrics.js";

/** A line-oriented logger (`key=value` text). */
export type LogLine = (message: string) => void;

/**
 * Turns finished training attempts into metrics and one log line each: what completed (version,
 * promotion decision and why) and what failed (code, whether it will be retried, message).
 */
export function trainingObserver(metrics: TrainingMetrics, log: LogLine): TrainJobObserver {
  return (event) => {
    const seconds = event.durationMs / 1000;
    if (event.kind === "completed") {
      const { result } = event;
      const reason =
        result.outcome === "already-trained" ? "already-trained" : result.promoted ? "promoted" : "kept";
      metrics.jobCompleted(
        event.target,
        reason,
        seconds,
        result.currentVersion === undefined
          ? undefined
          : { version: result.currentVersion, backtestMase: result.currentBacktestMase ?? Number.NaN },
      );
      log(
        `job completed id=${event.jobId} target=${event.target} outcome=${reason} version=${result.version} ` +
          `current=${result.currentVersion ?? "none"} mase=${result.backtestMase.toFixed(3)} seconds=${seconds.toFixed(2)} ` +
          `reason=${JSON.stringify(result.reason)}`,
      );
      return;
    }
    metrics.jobFailed(event.target ?? "unknown", event.code, seconds);
    log(
      `job failed id=${event.jobId} target=${event.target ?? "unknown"} attempt=${event.attempt} code=${event.code} ` +
        `retryable=${event.retryable} seconds=${seconds.toFixed(2)} message=${JSON.stringify(event.message)}`,
    );
  };
}
