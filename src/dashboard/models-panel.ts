import type { ModelVersionJson } from "./api-types.js";
import { createElement } from "./create-element.js";
import { PanelFrame, type TargetPanel, type PanelContext } from "./dashboard-panel.js";
import { formatPercent, formatValue } from "./format-value.js";

/** Rows shown, newest versions first. */
const MAX_ROWS = 20;

/** Every stored model version of the target with its rolling-origin backtest scores. */
export class ModelsPanel implements TargetPanel {
  private readonly frame = new PanelFrame("models", "Models: backtest scores");
  private readonly table = createElement("table", { class: "data-table models" });
  private readonly empty = createElement("p", { class: "panel-summary", hidden: "" });

  constructor() {
    this.frame.body.append(this.empty, this.table);
  }

  get element(): HTMLElement {
    return this.frame.element;
  }

  async refresh({ api, target }: PanelContext): Promise<void> {
    const models = await api.models(target.name);
    this.frame.setProblem(undefined);
    const newestFirst = [...models].sort((a, b) => b.version - a.version).slice(0, MAX_ROWS);
    this.frame.setSubtitle(`${models.length} version${models.length === 1 ? "" : "s"}`);
    this.empty.hidden = models.length > 0;
    this.empty.textContent = models.length > 0 ? "" : "No model trained for this target yet.";
    this.table.hidden = models.length === 0;
    this.table.replaceChildren(
      createElement(
        "caption",
        {},
        "MASE: error relative to the seasonal naive forecast in-sample (below 1 beats it). " +
          "Coverage: share of held-out points inside the 80% / 95% intervals.",
      ),
      createElement(
        "thead",
        {},
        createElement(
          "tr",
          {},
          ...["Version", "Model", "Trained", "MASE", "sMAPE", "Cov. 80%", "Cov. 95%", "Status"].map((title) =>
            createElement("th", { scope: "col" }, title),
          ),
        ),
      ),
      createElement("tbody", {}, ...newestFirst.map(modelRow)),
    );
  }

  showProblem(message: string): void {
    this.frame.setProblem(message);
  }

  dispose(): void {
    // Nothing outside the DOM to release.
  }
}

function modelRow(model: ModelVersionJson): HTMLTableRowElement {
  const status = model.current ? "current" : model.decision.promoted ? "was promoted" : "not promoted";
  return createElement(
    "tr",
    { class: model.current ? "current" : undefined, title: model.decision.reason },
    createElement("td", { class: "number" }, `v${model.version}`),
    createElement("td", { class: "model-name" }, model.modelName),
    createElement("td", {}, new Date(model.createdAt).toLocaleString()),
    createElement("td", { class: "number" }, formatValue(model.backtest.mase)),
    createElement("td", { class: "number" }, formatValue(model.backtest.smape)),
    createElement("td", { class: "number" }, formatPercent(model.backtest.coverage80)),
    createElement("td", { class: "number" }, formatPercent(model.backtest.coverage95)),
    createElement(
      "td",
      {},
      createElement("span", { class: `status status-${status.replace(/ /g, "-")}` }, status),
    ),
  );
}
