import type { DecisionJson } from "./api-types.js";
import { createElement } from "./create-element.js";
import { PanelFrame, type TargetPanel, type PanelContext } from "./dashboard-panel.js";
import { formatTime, formatValue } from "./format-value.js";
import { TimeSeriesChart, type ChartSpec } from "./time-series-chart.js";

/** Decisions fetched per refresh (newest first). */
const DECISION_LIMIT = 100;
/** Rows of the recent-decisions table. */
const TABLE_ROWS = 12;

/**
 * The HPA floor presage decided against the replicas the HPA ran, over time, with the reason of each
 * decision: under the cursor in the chart, and for the newest ones in a table.
 */
export class ReplicasPanel implements TargetPanel {
  private readonly frame = new PanelFrame("replicas", "Replicas: presage floor vs HPA");
  private readonly chartContainer = createElement("div", { class: "chart-container" });
  private readonly chart = new TimeSeriesChart(this.chartContainer);
  private readonly reasonLine = createElement("p", { class: "decision-reason", "aria-live": "polite" });
  private readonly table = createElement("table", { class: "data-table decisions" });
  private decisions: readonly DecisionJson[] = [];

  constructor() {
    this.frame.body.append(this.chartContainer, this.reasonLine, this.table);
  }

  get element(): HTMLElement {
    return this.frame.element;
  }

  async refresh({ api, target }: PanelContext): Promise<void> {
    const newestFirst = await api.decisions(target.name, DECISION_LIMIT);
    this.decisions = [...newestFirst].sort((a, b) => a.atMs - b.atMs);
    this.frame.setProblem(undefined);
    const scaler = target.scaler;
    this.frame.setSubtitle(
      scaler
        ? `${scaler.hpa} · ${scaler.mode} · ${formatValue(scaler.podCapacity)}${target.unit === undefined ? "" : ` ${target.unit}`} per pod · q${scaler.quantile}`
        : "not scaled",
    );
    const empty = this.decisions.length === 0;
    this.chartContainer.hidden = empty;
    if (empty) {
      this.reasonLine.textContent = scaler
        ? "No decisions yet: the scaler has not ticked for this target."
        : "No decisions: presage does not scale this target.";
      this.table.replaceChildren();
      return;
    }
    const { spec, data } = replicasChart(this.decisions, (index) => {
      this.showReason(index);
    });
    this.chart.draw(spec, data);
    this.drawTable(newestFirst.slice(0, TABLE_ROWS));
  }

  showProblem(message: string): void {
    this.frame.setProblem(message);
  }

  dispose(): void {
    this.chart.dispose();
  }

  private showReason(index: number): void {
    const decision = this.decisions[index];
    if (!decision) return;
    this.reasonLine.replaceChildren(
      `${formatTime(decision.atMs)}: floor ${decision.decision.floor} `,
      reasonBadge(decision.decision.reason),
      ` ${decision.decision.detail}`,
    );
  }

  private drawTable(newestFirst: readonly DecisionJson[]): void {
    const head = createElement(
      "thead",
      {},
      createElement(
        "tr",
        {},
        ...["Time", "Mode", "Floor", "HPA replicas", "Required", "Reason", "Detail"].map((title) =>
          createElement("th", { scope: "col" }, title),
        ),
      ),
    );
    const rows = newestFirst.map((decision) =>
      createElement(
        "tr",
        {},
        createElement("td", {}, formatTime(decision.atMs)),
        createElement("td", {}, decision.acting ? decision.mode : `${decision.mode} (not acting)`),
        createElement(
          "td",
          { class: "number" },
          decision.currentFloor === decision.decision.floor
            ? String(decision.decision.floor)
            : `${decision.currentFloor} → ${decision.decision.floor}`,
        ),
        createElement("td", { class: "number" }, String(decision.currentReplicas)),
        createElement("td", { class: "number" }, formatValue(decision.forecast?.requiredReplicas)),
        createElement("td", {}, reasonBadge(decision.decision.reason)),
        createElement(
          "td",
          { class: "detail" },
          [decision.decision.detail, decision.forecastError, decision.actionError]
            .filter((part) => part !== undefined && part !== "")
            .join(" · "),
        ),
      ),
    );
    this.table.replaceChildren(
      createElement("caption", {}, `Newest ${newestFirst.length} decisions`),
      head,
      createElement("tbody", {}, ...rows),
    );
  }
}

/** Floor, HPA replicas, forecast-required replicas and the declared bounds per decision, oldest first. */
export function replicasChart(
  decisions: readonly DecisionJson[],
  onLegendIndex: (index: number) => void,
): { spec: ChartSpec; data: uPlot.AlignedData } {
  const stepped = uPlot.paths.stepped?.({ align: 1 });
  const steppedPath = stepped === undefined ? {} : { paths: stepped };
  const spec: ChartSpec = {
    height: 220,
    yLabel: "replicas",
    yMin: 0,
    onLegendIndex,
    series: [
      { label: "Floor (presage)", stroke: "#dc2626", width: 2, ...steppedPath },
      { label: "HPA replicas", stroke: "#059669", width: 2, ...steppedPath },
      { label: "Forecast asks", stroke: "#9333ea", width: 1, dash: [4, 4], ...steppedPath },
      { label: "Baseline min", stroke: "#6b7280", width: 1, dash: [2, 3], ...steppedPath },
      { label: "Max", stroke: "#d1d5db", width: 1, ...steppedPath },
    ],
  };
  return {
    spec,
    data: [
      decisions.map((decision) => decision.atMs / 1000),
      decisions.map((decision) => decision.decision.floor),
      decisions.map((decision) => decision.currentReplicas),
      decisions.map((decision) => decision.forecast?.requiredReplicas ?? null),
      decisions.map((decision) => decision.baselineMinReplicas),
      decisions.map((decision) => decision.maxReplicas),
    ],
  };
}

function reasonBadge(reason: string): HTMLElement {
  return createElement("span", { class: `reason reason-${reason.replace(/[^a-z-]/g, "")}` }, reason);
}
