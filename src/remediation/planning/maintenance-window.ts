import { CronExpressionParser } from "cron-parser";

/**
 * A period in which remediation stays hands-off: a recurring one (a cron start plus a duration, in
 * UTC unless `timezone` says otherwise) or a one-off one (`fromMs` to `toMs`). `runbooks` limits it to
 * some runbooks; empty means all.
 */
export type MaintenanceWindow =
  | {
      readonly name: string;
      readonly cron: string;
      readonly durationMs: number;
      readonly timezone?: string;
      readonly runbooks: readonly string[];
    }
  | {
      readonly name: string;
      readonly fromMs: number;
      readonly toMs: number;
      readonly runbooks: readonly string[];
    };

/** The first window covering `nowMs` for `runbook`, or undefined. Deterministic in `nowMs`. */
export function activeMaintenanceWindow(
  windows: readonly MaintenanceWindow[],
  runbook: string,
  nowMs: number,
): MaintenanceWindow | undefined {
  return windows.find((window) => {
    if (window.runbooks.length > 0 && !window.runbooks.includes(runbook)) return false;
    if ("fromMs" in window) return window.fromMs <= nowMs && nowMs < window.toMs;
    // The latest start at or before now: cron-parser's prev() is strictly before its currentDate,
    // so ask from one millisecond after now.
    const expression = CronExpressionParser.parse(window.cron, {
      currentDate: new Date(nowMs + 1),
      ...(window.timezone === undefined ? { tz: "UTC" } : { tz: window.timezone }),
    });
    const startMs = expression.prev().getTime();
    return startMs <= nowMs && nowMs < startMs + window.durationMs;
  });
}
