import type { TargetJson } from "./api-types.js";
import { createElement } from "./create-element.js";
import type { DashboardApi } from "./dashboard-api.js";

/** What the viewer chose that every panel follows. */
export interface DashboardSettings {
  /** How far ahead to forecast, as the API takes it (e.g. "6h"). */
  readonly horizon: string;
  /** How much history to show (e.g. "1d"). */
  readonly historyRange: string;
  /** Interval levels in percent. */
  readonly levels: readonly number[];
}

/** What a cluster-wide panel needs (it draws no one target). */
export interface ClusterPanelContext {
  readonly api: DashboardApi;
  readonly settings: DashboardSettings;
}

/** Everything a panel needs to draw one target. */
export interface PanelContext extends ClusterPanelContext {
  readonly target: TargetJson;
}

/**
 * One section of the per-target page. The dashboard refreshes every panel on each tick and on each
 * change of target or settings; a panel fetches what it shows and draws it. A rejected refresh
 * with a page-wide cause (bad token, server unreachable) goes to the page banner; any other is shown
 * in the panel by `showProblem`, so one failing route (say, no model trained yet) leaves the other
 * panels working. The cluster-wide panels (capacity runway, self-healing)
 * are `ClusterPanel`s: they take no target and are refreshed even while the server has none. Every
 * panel is listed in dashboard-app.ts.
 */
export type DashboardPanel = TargetPanel | ClusterPanel;

interface PanelBase {
  readonly element: HTMLElement;
  showProblem(message: string): void;
  dispose(): void;
}

/** A panel of the selected target. */
export interface TargetPanel extends PanelBase {
  readonly clusterWide?: false;
  refresh(context: PanelContext): Promise<void>;
}

/** A panel of the whole cluster: refreshed even while the server has no target. */
export interface ClusterPanel extends PanelBase {
  readonly clusterWide: true;
  refresh(context: ClusterPanelContext): Promise<void>;
}

/** The common frame of a panel: a titled section with a note line and a body. */
export class PanelFrame {
  readonly element: HTMLElement;
  readonly body: HTMLElement;
  private readonly subtitle: HTMLElement;
  private readonly note: HTMLElement;

  constructor(id: string, title: string) {
    this.subtitle = createElement("span", { class: "panel-subtitle" });
    this.note = createElement("p", { class: "panel-note", role: "status", hidden: "" });
    this.body = createElement("div", { class: "panel-body" });
    this.element = createElement(
      "section",
      { class: "panel", "data-panel": id, "aria-labelledby": `${id}-title` },
      createElement("h2", { id: `${id}-title` }, title, " ", this.subtitle),
      this.note,
      this.body,
    );
  }

  setSubtitle(text: string): void {
    this.subtitle.textContent = text;
  }

  /** Shows a problem (or clears it with undefined); the body stays as last drawn but dimmed. */
  setProblem(message: string | undefined): void {
    this.note.hidden = message === undefined;
    this.note.textContent = message ?? "";
    this.element.classList.toggle("panel-stale", message !== undefined);
  }
}
