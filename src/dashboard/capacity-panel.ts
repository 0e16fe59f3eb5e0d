import type {
  CapacityListJson,
  CapacityTargetJson,
  CapacityTargetSummaryJson,
  RunwayCrossingJson,
} from "./api-types.js";
import { createElement } from "./create-element.js";
import { DashboardApiError } from "./dashboard-api.js";
import { PanelFrame, type ClusterPanel, type ClusterPanelContext } from "./dashboard-panel.js";
import { formatDay, formatPercent, formatTime, formatValue } from "./format-value.js";
import { TimeSeriesChart, type ChartSpec } from "./time-series-chart.js";

/** Days of daily usage drawn before the forecast. */
const HISTORY_DAYS = 365;
const USAGE = "#1f2937";
const FORECAST = "#7c3aed";
const BAND = "rgba(124, 58, 237, 0.16)";
const LIMIT = "#dc2626";
const CAPACITY = "#6b7280";
const P50_MARKER = "#7c3aed";
const P90_MARKER = "#b91c1c";

interface DrawnTarget {
  readonly figure: HTMLElement;
  readonly caption: HTMLElement;
  readonly chart: TimeSeriesChart;
}

/**
 * Capacity runway of the cluster (not of the selected target: capacity targets are cluster-wide):
 * per capacity target a chart of daily usage, the forecast with its 80% band, capacity and the
 * capacity × headroom line, with the p50/p90 crossing dates marked; and a table of days left, ticket
 * state, backtest error and ledger scores. The series are fetched again only when the server planned
 * anew, so the 10-second refresh costs one small request.
 */
export class CapacityPanel implements ClusterPanel {
  readonly clusterWide = true;
  private readonly frame = new PanelFrame("capacity", "Capacity runway");
  private readonly empty = createElement("p", { class: "panel-summary", hidden: "" });
  private readonly table = createElement("table", { class: "data-table capacity" });
  private readonly charts = createElement("div", { class: "capacity-charts" });
  private readonly notes = createElement("ul", { class: "panel-notes" });
  private readonly drawn = new Map<string, DrawnTarget>();
  /** `plannedAtMs` of the plans the charts show. */
  private chartsPlannedAtMs: number | undefined;

  constructor() {
    this.frame.body.append(this.empty, this.table, this.charts, this.notes);
  }

  get element(): HTMLElement {
    return this.frame.element;
  }

  async refresh({ api }: ClusterPanelContext): Promise<void> {
    let list: CapacityListJson;
    try {
      list = await api.capacity();
    } catch (error) {
      if (error instanceof DashboardApiError && error.code === "PRESAGE_API_CAPACITY_DISABLED") {
        this.showDisabled();
        return;
      }
      throw error;
    }
    this.frame.setProblem(undefined);
    this.empty.hidden = list.targets.length > 0;
    this.empty.textContent = list.targets.length > 0 ? "" : "No capacity targets are configured.";
    this.frame.setSubtitle(
      `planned ${formatTime(list.plannedAtMs)} · ${list.targets.length} target${list.targets.length === 1 ? "" : "s"}` +
        (list.pendingDeliveries > 0 ? ` · ${list.pendingDeliveries} ticket deliveries pending` : ""),
    );
    this.drawTable(list.targets);
    this.notes.replaceChildren(...list.notes.map((note) => createElement("li", {}, note)));
    if (this.chartsPlannedAtMs !== list.plannedAtMs) {
      const names = [...new Set(list.targets.map((target) => target.name))];
      const responses = await Promise.all(names.map((name) => api.capacityTarget(name, HISTORY_DAYS)));
      this.drawCharts(responses.flatMap((response) => response.resources));
      this.chartsPlannedAtMs = list.plannedAtMs;
    }
  }

  showProblem(message: string): void {
    this.frame.setProblem(message);
  }

  dispose(): void {
    for (const drawn of this.drawn.values()) drawn.chart.dispose();
    this.drawn.clear();
  }

  private showDisabled(): void {
    this.frame.setProblem(undefined);
    this.frame.setSubtitle("not configured");
    this.empty.hidden = false;
    this.empty.textContent = "This server does no capacity planning (its config has no capacity section).";
    this.table.hidden = true;
    this.dispose();
    this.charts.replaceChildren();
    this.notes.replaceChildren();
    this.chartsPlannedAtMs = undefined;
  }

  private drawTable(targets: readonly CapacityTargetSummaryJson[]): void {
    this.table.hidden = targets.length === 0;
    const head = createElement(
      "thead",
      {},
      createElement(
        "tr",
        {},
        ...[
          "Target",
          "Usage (last day)",
          "Limit (capacity × headroom)",
          "p50 runway",
          "p90 runway",
          "Ticket",
          "Backtest error",
          "Ledger",
        ].map((title) => createElement("th", { scope: "col" }, title)),
      ),
    );
    this.table.replaceChildren(
      createElement(
        "caption",
        {},
        "Runway: days from the last observed day until the median (p50) or the pessimistic (p90) " +
          "forecast reaches capacity × headroom, if nothing is added. Backtest error: mean absolute " +
          "percentage error of the 7-day mean at the runway horizon on this target's own history. " +
          "Ledger: how past forecasts scored once their day came.",
      ),
      head,
      createElement("tbody", {}, ...targets.map(targetRow)),
    );
  }

  private drawCharts(views: readonly CapacityTargetJson[]): void {
    const seen = new Set<string>();
    for (const view of views) {
      seen.add(view.fingerprint);
      let drawn = this.drawn.get(view.fingerprint);
      if (drawn === undefined) {
        const caption = createElement("figcaption", {});
        const container = createElement("div", {
          class: "chart-container",
          "data-fingerprint": view.fingerprint,
        });
        const figure = createElement("figure", { class: "capacity-chart" }, caption, container);
        this.charts.append(figure);
        drawn = { figure, caption, chart: new TimeSeriesChart(container) };
        this.drawn.set(view.fingerprint, drawn);
      }
      drawn.caption.textContent = chartCaption(view);
      const { spec, data } = runwayChart(view);
      drawn.chart.draw(spec, data);
    }
    for (const [fingerprint, drawn] of this.drawn) {
      if (seen.has(fingerprint)) continue;
      drawn.chart.dispose();
      drawn.figure.remove();
      this.drawn.delete(fingerprint);
    }
  }
}

/**
 * One target's runway chart: daily usage, then the forecast (joined to the last observed day) with
 * its 80% band, the capacity × headroom limit and capacity as flat lines, markers at the crossings.
 */
export function runwayChart(view: CapacityTargetJson): { spec: ChartSpec; data: uPlot.AlignedData } {
  const usageTimes = view.usage.timesMs;
  const lastUsageMs = usageTimes.length > 0 ? (usageTimes[usageTimes.length - 1] ?? -Infinity) : -Infinity;
  const forecast = view.forecast;
  const futureIndexes = (forecast?.timesMs ?? []).flatMap((time, index) =>
    time > lastUsageMs ? [index] : [],
  );
  const times = [...usageTimes, ...futureIndexes.map((index) => forecast?.timesMs[index] ?? Number.NaN)];
  const historyLength = usageTimes.length;
  const join = historyLength > 0 ? (view.usage.values[historyLength - 1] ?? null) : null;
  const future = (values: readonly number[] | undefined): (number | null)[] =>
    times.map((_, index) => {
      if (index < historyLength - 1) return null;
      if (index === historyLength - 1) return join;
      const value = values?.[futureIndexes[index - historyLength] ?? -1];
      return value !== undefined && Number.isFinite(value) ? value : null;
    });
  const flat = (value: number | null): (number | null)[] => times.map(() => value);
  const headroomPercent = Math.round(view.headroom * 100);
  const markers = [
    ...crossingMarker("p50", view.runway?.p50, P50_MARKER),
    ...crossingMarker("p90", view.runway?.p90, P90_MARKER),
  ];
  const spec: ChartSpec = {
    height: 280,
    ...(view.unit === undefined ? {} : { yLabel: view.unit }),
    yMin: 0,
    formatX: formatDay,
    markers,
    series: [
      { label: "Usage", stroke: USAGE, width: 1.25 },
      { label: "Forecast p50", stroke: FORECAST, width: 2 },
      { label: "80% low", stroke: "rgba(124, 58, 237, 0.35)", width: 0.5 },
      { label: "80% high (p90)", stroke: "rgba(124, 58, 237, 0.35)", width: 0.5 },
      { label: `Limit (${headroomPercent}%)`, stroke: LIMIT, width: 1.5, dash: [6, 4] },
      { label: "Capacity", stroke: CAPACITY, width: 1 },
    ],
    bands: [{ series: [4, 3], fill: BAND }],
  };
  return {
    spec,
    data: [
      times.map((time) => time / 1000),
      times.map((_, index) => (index < historyLength ? (view.usage.values[index] ?? null) : null)),
      future(forecast?.p50),
      future(forecast?.lower80),
      future(forecast?.upper80),
      flat(view.limit),
      flat(view.capacity),
    ] as uPlot.AlignedData,
  };
}

function crossingMarker(
  label: string,
  crossing: RunwayCrossingJson | undefined,
  color: string,
): { atMs: number; label: string; color: string }[] {
  if (crossing?.date === undefined || crossing.date === null) return [];
  const atMs = Date.parse(crossing.date);
  return Number.isFinite(atMs) ? [{ atMs, label: `${label} ${crossing.date}`, color }] : [];
}

function chartCaption(view: CapacityTargetJson): string {
  const unit = view.unit === undefined ? "" : ` ${view.unit}`;
  if (view.status === "unplanned") {
    return `${view.fingerprint}: not planned — ${view.problem?.reason ?? "no reason given"}`;
  }
  return (
    `${view.fingerprint}: capacity ${formatValue(view.capacity)}${unit}, limit ${formatValue(view.limit)}${unit} ` +
    `(${Math.round(view.headroom * 100)}%); model ${view.model ?? "—"}`
  );
}

function runwayText(crossing: RunwayCrossingJson | undefined, horizonDays: number): string {
  if (crossing === undefined) return "—";
  if (crossing.date === null || crossing.days === null) return `beyond ${horizonDays} d`;
  return `${crossing.days} d (${crossing.date})`;
}

function targetRow(target: CapacityTargetSummaryJson): HTMLTableRowElement {
  const unit = target.unit === undefined ? "" : ` ${target.unit}`;
  if (target.status === "unplanned") {
    return createElement(
      "tr",
      { "data-fingerprint": target.fingerprint, class: "unplanned" },
      createElement("td", {}, target.fingerprint),
      createElement("td", { class: "detail", colspan: "7" }, `Not planned: ${target.problem?.reason ?? "?"}`),
    );
  }
  const p90Days = target.runway?.p90.days ?? null;
  const urgent = p90Days !== null && p90Days < target.thresholdDays;
  const ticket = target.ticket;
  const ticketText =
    ticket === null
      ? "none"
      : `${ticket.status} #${ticket.generation}` +
        (ticket.pendingDeliveries > 0 ? ` · ${ticket.pendingDeliveries} pending` : "") +
        (target.sinks.length === 0 ? " · not sent (no sinks)" : "");
  const ledger90 =
    target.ledger?.horizons.find((horizon) => horizon.horizonDays === 90) ?? target.ledger?.horizons[0];
  const ledgerText =
    ledger90 === undefined || ledger90.scored === 0
      ? `${ledger90?.pending ?? 0} pending`
      : `${ledger90.horizonDays} d: ${formatPercent(ledger90.mape)} error, ${formatPercent(ledger90.within15)} within ±15% (${ledger90.scored} scored)`;
  return createElement(
    "tr",
    { "data-fingerprint": target.fingerprint, class: urgent ? "urgent" : undefined },
    createElement("td", {}, target.fingerprint),
    createElement("td", { class: "number" }, `${formatValue(target.lastObserved)}${unit}`),
    createElement("td", { class: "number" }, `${formatValue(target.limit)}${unit}`),
    createElement("td", { class: "number runway-p50" }, runwayText(target.runway?.p50, target.horizonDays)),
    createElement("td", { class: "number runway-p90" }, runwayText(target.runway?.p90, target.horizonDays)),
    createElement(
      "td",
      { title: target.decision?.reason ?? "" },
      createElement("span", { class: `status ticket-${ticket?.status ?? "none"}` }, ticketText),
    ),
    createElement(
      "td",
      { class: "number backtest" },
      target.backtest === null
        ? "—"
        : `${formatPercent(target.backtest.mape)} at ${target.backtest.horizonDays} d`,
    ),
    createElement("td", { class: "detail" }, ledgerText),
  );
}
