import type { CapacityPlanOutcome } from "./capacity-plan.js";
import { DAY_MS } from "./daily-series.js";
import type { TicketRecord } from "./ticket-record.js";

/** When tickets open, move and close. */
export interface TicketPolicy {
  /** Open when the p90 runway is shorter than this many days. */
  readonly thresholdDays: number;
  /** An open ticket is updated when its p90 runway date moved by at least this many days… */
  readonly updateShiftDays: number;
  /** …or by at least this fraction of the days left it reported (and by a whole day at least). */
  readonly updateShiftFraction: number;
  /**
   * Hysteresis: resolve only when the p90 runway is at least `thresholdDays × (1 + resolveMargin)`
   * or beyond the horizon, so a runway hovering around the threshold does not open and close tickets.
   */
  readonly resolveMargin: number;
}

export type TicketAction = "open" | "update" | "resolve" | "none";

export interface TicketDecision {
  readonly action: TicketAction;
  /** Why, in words, for logs and the CLI. */
  readonly reason: string;
}

/**
 * The decide step of ticketing (pure): from today's plan and the ticket's previous state to what
 * should happen. Never acts on an unplanned target (no data, failed forecast): unsure automation does
 * nothing. Runway dates are compared, not days left, because days left shrink by one every day while
 * the forecast stands still.
 *
 * - no open ticket: `open` when the p90 runway < `thresholdDays`, else `none`;
 * - open ticket: `resolve` when the p90 runway is beyond the horizon or ≥ threshold × (1 + margin);
 *   `update` when the p90 date moved by ≥ `updateShiftDays`, or by ≥ `updateShiftFraction` of the
 *   reported days left (at least one day), or the crossing appeared/disappeared; `none` otherwise.
 */
export function decideTicket(
  plan: CapacityPlanOutcome,
  previous: TicketRecord | undefined,
  policy: TicketPolicy,
): TicketDecision {
  if (plan.status === "unplanned") {
    return { action: "none", reason: `no usable forecast (${plan.reason}); ticket left as it is` };
  }
  const p90Days = plan.runway.p90.days;
  const open = previous?.status === "open";
  if (!open) {
    if (p90Days !== undefined && p90Days < policy.thresholdDays) {
      return {
        action: "open",
        reason: `p90 runway ${p90Days} d (${plan.runway.p90.date ?? "?"}) is under the ${policy.thresholdDays} d threshold`,
      };
    }
    return {
      action: "none",
      reason:
        p90Days === undefined
          ? `no crossing within ${plan.runway.horizonDays} d`
          : `p90 runway ${p90Days} d is at or over the ${policy.thresholdDays} d threshold`,
    };
  }
  const resolveAtDays = policy.thresholdDays * (1 + policy.resolveMargin);
  if (p90Days === undefined || p90Days >= resolveAtDays) {
    return {
      action: "resolve",
      reason:
        p90Days === undefined
          ? `runway recovered: no p90 crossing within ${plan.runway.horizonDays} d`
          : `runway recovered: p90 runway ${p90Days} d ≥ ${formatDays(resolveAtDays)} d (threshold × ${1 + policy.resolveMargin})`,
    };
  }
  const reported = previous.reported;
  const newDate = plan.runway.p90.date;
  if (reported.p90Date === undefined || newDate === undefined) {
    return { action: "update", reason: "the p90 crossing appeared since the last report" };
  }
  const shiftDays = Math.abs(Date.parse(newDate) - Date.parse(reported.p90Date)) / DAY_MS;
  const fractionDays = Math.max(1, policy.updateShiftFraction * (reported.p90Days ?? 0));
  const materialDays = Math.min(policy.updateShiftDays, fractionDays);
  if (shiftDays >= materialDays) {
    return {
      action: "update",
      reason: `p90 runway date moved ${shiftDays} d (${reported.p90Date} → ${newDate}; material from ${formatDays(materialDays)} d)`,
    };
  }
  return {
    action: "none",
    reason: `p90 runway date moved ${shiftDays} d (${reported.p90Date} → ${newDate}), under the ${formatDays(materialDays)} d that would be material`,
  };
}

function formatDays(days: number): string {
  return Number.isInteger(days) ? String(days) : days.toFixed(1);
}
