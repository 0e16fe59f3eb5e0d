import type { TargetJson } from "./api-types.js";
import { CapacityPanel } from "./capacity-panel.js";
import { createElement } from "./create-element.js";
import {
  DashboardApi,
  DashboardApiError,
  DashboardApiErrorKind,
  errorMessage,
  isPageWide,
} from "./dashboard-api.js";
import type { DashboardPanel, DashboardSettings } from "./dashboard-panel.js";
import { forgetDashboardToken, storeDashboardToken } from "./dashboard-token.js";
import { ForecastPanel } from "./forecast-panel.js";
import { formatValue } from "./format-value.js";
import { ModelsPanel } from "./models-panel.js";
import { RemediationPanel } from "./remediation-panel.js";
import { ReplicasPanel } from "./replicas-panel.js";

/**
 * The panels, top to bottom: the selected target's, then the cluster's capacity runway and
 * self-healing. A new view is one more `DashboardPanel` here.
 */
const PANELS: readonly (() => DashboardPanel)[] = [
  () => new ForecastPanel(),
  () => new ReplicasPanel(),
  () => new ModelsPanel(),
  () => new CapacityPanel(),
  () => new RemediationPanel(),
];

const HISTORY_RANGES = ["6h", "1d", "2d", "7d"] as const;
const HORIZONS = ["30m", "2h", "6h", "12h", "1d"] as const;
const DEFAULT_SETTINGS: DashboardSettings = { historyRange: "1d", horizon: "6h", levels: [80, 95] };

export interface DashboardAppOptions {
  /** Where the page goes. */
  readonly root: HTMLElement;
  /** The API token, when one is known (URL fragment or sessionStorage). */
  readonly token?: string;
  /** Seconds between refreshes. @defaultValue 10 */
  readonly refreshSeconds?: number;
}

/**
 * The dashboard page: a target picker, the panels of the chosen target, a banner for page-wide
 * problems (bad token, server unreachable) and a token form. Refreshes every `refreshSeconds` while
 * the tab is visible, never two refreshes at once. `document.body.dataset.state` says where it is
 * (`loading`, `ready`, `error`, `token`), for people and tests alike.
 */
export class DashboardApp {
  private api: DashboardApi | undefined;
  private targets: TargetJson[] = [];
  private selected: string | undefined;
  private settings: DashboardSettings = DEFAULT_SETTINGS;
  private readonly panels: DashboardPanel[];
  private refreshing: Promise<void> | undefined;
  private timer: number | undefined;
  private readonly refreshMs: number;

  private readonly picker = createElement("select", { id: "target-picker", "aria-label": "Target" });
  private readonly historyPicker = settingPicker(
    "history-range",
    "History",
    HISTORY_RANGES,
    DEFAULT_SETTINGS.historyRange,
  );
  private readonly horizonPicker = settingPicker("horizon", "Horizon", HORIZONS, DEFAULT_SETTINGS.horizon);
  private readonly autoRefresh = createElement("input", {
    type: "checkbox",
    id: "auto-refresh",
    checked: "",
  });
  private readonly updated = createElement("span", { class: "updated", "aria-live": "polite" });
  private readonly banner = createElement("div", { class: "banner", role: "alert", hidden: "" });
  private readonly tokenForm = createElement("form", { class: "token-form", hidden: "" });
  private readonly tokenInput = createElement("input", {
    type: "password",
    id: "token-input",
    autocomplete: "off",
    placeholder: "read token",
    "aria-label": "API token",
  });
  private readonly targetInfo = createElement("dl", { class: "target-info" });
  private readonly panelArea = createElement("main", { class: "panels" });

  constructor(private readonly options: DashboardAppOptions) {
    this.refreshMs = (options.refreshSeconds ?? 10) * 1000;
    this.panels = PANELS.map((create) => create());
  }

  /** Builds the page and starts refreshing (or asks for a token first). */
  start(): void {
    this.buildPage();
    const fragmentTarget = new URLSearchParams(location.hash.replace(/^#/, "")).get("target");
    if (fragmentTarget !== null && fragmentTarget !== "") this.selected = fragmentTarget;
    if (this.options.token === undefined) {
      this.askForToken("Enter an API token (read role) to see the dashboard. `presage serve` prints one.");
      return;
    }
    this.useToken(this.options.token);
  }

  private buildPage(): void {
    this.tokenForm.append(
      createElement("label", { for: "token-input" }, "API token"),
      this.tokenInput,
      createElement("button", { type: "submit" }, "Use token"),
    );
    this.tokenForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const token = this.tokenInput.value.trim();
      if (token === "") return;
      this.tokenInput.value = "";
      storeDashboardToken(token);
      this.useToken(token);
    });
    const refreshButton = createElement("button", { type: "button", id: "refresh-now" }, "Refresh");
    refreshButton.addEventListener("click", () => {
      this.refreshSoon();
    });
    this.picker.addEventListener("change", () => {
      this.select(this.picker.value);
    });
    for (const picker of [this.historyPicker.select, this.horizonPicker.select]) {
      picker.addEventListener("change", () => {
        this.settings = {
          ...this.settings,
          historyRange: this.historyPicker.select.value,
          horizon: this.horizonPicker.select.value,
        };
        this.refreshSoon();
      });
    }
    this.autoRefresh.addEventListener("change", () => {
      this.schedule();
    });
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden) this.refreshSoon();
    });
    const header = createElement(
      "header",
      { class: "top-bar" },
      createElement("h1", {}, "presage"),
      createElement("label", { class: "picker" }, "Target ", this.picker),
      this.historyPicker.label,
      this.horizonPicker.label,
      createElement("label", { class: "toggle" }, this.autoRefresh, " auto-refresh"),
      refreshButton,
      this.updated,
    );
    for (const panel of this.panels) this.panelArea.append(panel.element);
    this.options.root.replaceChildren(header, this.banner, this.tokenForm, this.targetInfo, this.panelArea);
    setState("loading");
  }

  private useToken(token: string): void {
    this.api = new DashboardApi({ token });
    this.tokenForm.hidden = true;
    this.refreshSoon();
  }

  private askForToken(message: string): void {
    this.showBanner(message, "auth");
    this.tokenForm.hidden = false;
    this.tokenInput.focus();
    setState("token");
  }

  private select(name: string): void {
    this.selected = name;
    const fragment = new URLSearchParams(location.hash.replace(/^#/, ""));
    fragment.set("target", name);
    history.replaceState(null, "", `${location.pathname}${location.search}#${fragment.toString()}`);
    this.refreshSoon();
  }

  /** Refreshes now, or right after the refresh in flight. */
  private refreshSoon(): void {
    const previous = this.refreshing;
    const run = async (): Promise<void> => {
      await previous;
      try {
        await this.refresh();
      } catch (error) {
        // A bug in a panel, not an API answer: say so rather than fail silently.
        this.showBanner(`The dashboard failed to draw: ${errorMessage(error)}`, "network");
        setState("error");
      }
    };
    const next = run().finally(() => {
      if (this.refreshing === next) this.refreshing = undefined;
      this.schedule();
    });
    this.refreshing = next;
  }

  private schedule(): void {
    if (this.timer !== undefined) window.clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.autoRefresh.checked || this.api === undefined) return;
    this.timer = window.setTimeout(() => {
      if (document.hidden) this.schedule();
      else this.refreshSoon();
    }, this.refreshMs);
  }

  private async refresh(): Promise<void> {
    const api = this.api;
    if (api === undefined) return;
    try {
      this.targets = await api.targets();
    } catch (error) {
      this.pageWideFailure(error);
      return;
    }
    this.drawPicker();
    const target = this.targets.find((candidate) => candidate.name === this.selected);
    if (target === undefined) this.targetInfo.replaceChildren();
    else this.drawTargetInfo(target);
    // Without a target only the cluster-wide panels (capacity, self-healing) have something to draw.
    const outcomes = await Promise.allSettled(
      this.panels.map((panel) =>
        panel.clusterWide === true
          ? panel.refresh({ api, settings: this.settings })
          : target === undefined
            ? Promise.resolve()
            : panel.refresh({ api, target, settings: this.settings }),
      ),
    );
    const pageWide = outcomes.find(
      (outcome): outcome is PromiseRejectedResult =>
        outcome.status === "rejected" && isPageWide(outcome.reason),
    );
    if (pageWide) {
      this.pageWideFailure(pageWide.reason);
      return;
    }
    outcomes.forEach((outcome, index) => {
      if (outcome.status === "rejected") this.panels[index]?.showProblem(errorMessage(outcome.reason));
    });
    this.hideBanner();
    this.updated.textContent =
      target === undefined ? "no targets yet" : `updated ${new Date().toLocaleTimeString()}`;
    setState("ready");
  }

  private pageWideFailure(error: unknown): void {
    if (error instanceof DashboardApiError && error.kind === DashboardApiErrorKind.unauthorized) {
      forgetDashboardToken();
      this.api = undefined;
      this.askForToken(`${capitalize(error.message)}. Enter a valid token.`);
      setState("error");
      return;
    }
    if (error instanceof DashboardApiError && error.kind === DashboardApiErrorKind.forbidden) {
      this.askForToken(`${capitalize(error.message)}. Enter a token with the read role.`);
      setState("error");
      return;
    }
    const retry = this.autoRefresh.checked
      ? ` Retrying every ${this.refreshMs / 1000} s; the last data stay shown.`
      : "";
    this.showBanner(`${capitalize(errorMessage(error))} (${location.origin}).${retry}`, "network");
    setState("error");
  }

  private drawPicker(): void {
    if (this.selected === undefined || !this.targets.some((target) => target.name === this.selected)) {
      this.selected = this.targets[0]?.name;
    }
    const options = this.targets.map((target) => {
      const model = target.model ? `${target.model.modelName} v${target.model.version}` : "no model";
      const mode = target.scaler ? target.scaler.mode : "not scaled";
      return createElement("option", { value: target.name }, `${target.name} — ${model} · ${mode}`);
    });
    this.picker.replaceChildren(...options);
    if (this.selected !== undefined) this.picker.value = this.selected;
    this.picker.disabled = this.targets.length === 0;
  }

  private drawTargetInfo(target: TargetJson): void {
    const entries: [string, string][] = [
      ["Target", target.name],
      ["Step", `${target.stepSeconds} s`],
    ];
    if (target.unit !== undefined) entries.push(["Unit", target.unit]);
    if (target.model) {
      entries.push(
        ["Model", `${target.model.modelName} v${target.model.version}`],
        ["Backtest MASE", formatValue(target.model.backtest.mase)],
      );
    } else {
      entries.push(["Model", "none trained yet"]);
    }
    if (target.scaler) {
      entries.push(["HPA", target.scaler.hpa], ["Mode", target.scaler.mode]);
      if (target.scaler.floor !== undefined) entries.push(["Floor", String(target.scaler.floor)]);
      if (target.scaler.currentReplicas !== undefined) {
        entries.push(["Replicas", String(target.scaler.currentReplicas)]);
      }
    }
    this.targetInfo.replaceChildren(
      ...entries.map(([term, value]) =>
        createElement("div", {}, createElement("dt", {}, term), createElement("dd", {}, value)),
      ),
    );
  }

  private showBanner(message: string, kind: "auth" | "network"): void {
    this.banner.textContent = message;
    this.banner.dataset.kind = kind;
    this.banner.hidden = false;
  }

  private hideBanner(): void {
    this.banner.hidden = true;
    this.banner.textContent = "";
  }
}

function settingPicker(
  id: string,
  title: string,
  choices: readonly string[],
  chosen: string,
): { label: HTMLLabelElement; select: HTMLSelectElement } {
  const select = createElement(
    "select",
    { id },
    ...choices.map((choice) =>
      createElement("option", { value: choice, ...(choice === chosen ? { selected: "" } : {}) }, choice),
    ),
  );
  return { label: createElement("label", { class: "picker" }, `${title} `, select), select };
}

function setState(state: "loading" | "ready" | "error" | "token"): void {
  document.body.dataset.state = state;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
