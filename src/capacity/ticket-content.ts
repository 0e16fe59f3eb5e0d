import { createHash } from "node:crypto";
import type { CapacityPlan } from "./capacity-plan.js";
import { isoDay } from "./daily-series.js";
import type { TicketAction } from "./decide-ticket.js";

/** What a sink says about a ticket: everything needed to write an issue, a message or a JSON event. */
export interface TicketContent {
  readonly fingerprint: string;
  readonly target: string;
  readonly resource: string;
  /** The kind of event this content announces. */
  readonly event: Exclude<TicketAction, "none">;
  readonly title: string;
  /** One line, for chat and comments. */
  readonly summary: string;
  /** Markdown body of the issue (GitHub renders it; Jira v2 shows it as text). */
  readonly body: string;
  readonly labels: readonly string[];
  readonly originDay: string;
  readonly thresholdDays: number;
  readonly runway: {
    readonly limit: number;
    readonly capacity: number;
    readonly headroom: number;
    readonly horizonDays: number;
    readonly p50Date: string | null;
    readonly p50Days: number | null;
    readonly p90Date: string | null;
    readonly p90Days: number | null;
  };
  readonly backtest: { readonly horizonDays: number; readonly mape: number | null; readonly origins: number };
  readonly model: string;
  /** The runway chart (SVG text); webhooks carry it, issue trackers link to the numbers instead. */
  readonly chartSvg?: string;
}

/** Hidden marker in issue bodies so people (and future tooling) can find presage's ticket for a fingerprint. */
export function fingerprintMarker(fingerprint: string): string {
  return `<!-- presage-capacity-fingerprint: ${fingerprint} -->`;
}

/**
 * Marker of the issue presage opens for one ticket generation (`<fingerprint>#<generation>`), written
 * into every issue it creates and searched before creating one, so a redelivered open (the issue was
 * created but its ref was lost) finds that issue instead of opening a second.
 */
export function ticketMarker(fingerprint: string, generation: number): string {
  return `<!-- presage-ticket: ${fingerprint}#${generation} -->`;
}

/**
 * The {@link ticketMarker} as a label (issue trackers' labels take no spaces or quotes, fingerprints
 * may): `presage-ticket-` and 16 hex digits of the SHA-256 of `<fingerprint>#<generation>`.
 */
export function ticketMarkerLabel(fingerprint: string, generation: number): string {
  const digest = createHash("sha256").update(`${fingerprint}#${generation}`).digest("hex");
  return `presage-ticket-${digest.slice(0, 16)}`;
}

/** Builds the content of an open/update/resolve event from today's plan. */
export function ticketContent(
  plan: CapacityPlan,
  event: Exclude<TicketAction, "none">,
  reason: string,
  labels: readonly string[],
): TicketContent {
  const { runway } = plan;
  const originDay = isoDay(plan.lastObservedDayMs);
  const p90 =
    runway.p90.date === undefined
      ? `not within ${runway.horizonDays} days`
      : `${runway.p90.date} (${runway.p90.days} days)`;
  const p50 =
    runway.p50.date === undefined
      ? `not within ${runway.horizonDays} days`
      : `${runway.p50.date} (${runway.p50.days} days)`;
  const mape = Number.isFinite(plan.backtest.mape) ? plan.backtest.mape : null;
  const title = `Capacity: ${plan.target} (${plan.resource}) reaches ${pct(runway.headroom)} of capacity by ${runway.p90.date ?? "—"} (p90)`;
  const summary =
    event === "resolve"
      ? `Resolved: ${plan.target} (${plan.resource}) runway recovered — p90 crossing ${p90}. ${reason}.`
      : `${event === "open" ? "Opened" : "Updated"}: ${plan.target} (${plan.resource}) reaches ${fmt(runway.limit)} (${pct(runway.headroom)} of ${fmt(runway.capacity)}) — p90 ${p90}, p50 ${p50}.`;
  const body = [
    fingerprintMarker(plan.fingerprint),
    `**${plan.target}** (${plan.resource}) is forecast to reach **${fmt(runway.limit)}** (${pct(runway.headroom)} of capacity ${fmt(runway.capacity)}, ${plan.capacitySource === "constant" ? "configured" : "latest observed"}).`,
    "",
    `| forecast | crossing |`,
    `| --- | --- |`,
    `| p90 (pessimistic) | ${p90} |`,
    `| p50 (median) | ${p50} |`,
    "",
    `- Forecast from ${originDay} (last complete day; ${plan.observedDays} observed days), model \`${plan.forecast.model}\`, horizon ${runway.horizonDays} days.`,
    `- Backtest at ${plan.backtest.horizonDays} days ahead on this target's history: ${mape === null ? "not enough history" : `MAPE ${(mape * 100).toFixed(1)}% of the 7-day mean over ${plan.backtest.folds.length} origin(s)`}.`,
    `- Ticket threshold: p90 runway under ${plan.thresholdDays} days. ${reason}.`,
    "",
    "_Raised by presage capacity planning; it updates this ticket when the forecast moves materially and closes it when the runway recovers._",
  ].join("\n");
  return {
    fingerprint: plan.fingerprint,
    target: plan.target,
    resource: plan.resource,
    event,
    title,
    summary,
    body,
    labels,
    originDay,
    thresholdDays: plan.thresholdDays,
    runway: {
      limit: runway.limit,
      capacity: runway.capacity,
      headroom: runway.headroom,
      horizonDays: runway.horizonDays,
      p50Date: runway.p50.date ?? null,
      p50Days: runway.p50.days ?? null,
      p90Date: runway.p90.date ?? null,
      p90Days: runway.p90.days ?? null,
    },
    backtest: { horizonDays: plan.backtest.horizonDays, mape, origins: plan.backtest.folds.length },
    model: plan.forecast.model,
    chartSvg: plan.chartSvg,
  };
}

function pct(fraction: number): string {
  return `${Math.round(fraction * 100)}%`;
}

function fmt(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
}
