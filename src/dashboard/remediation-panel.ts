import type { GuardStateJson, IncidentEventJson, IncidentJson, RemediationStatsJson } from "./api-types.js";
import { createElement } from "./create-element.js";
import { DashboardApiError } from "./dashboard-api.js";
import { PanelFrame, type ClusterPanel, type ClusterPanelContext } from "./dashboard-panel.js";
import { formatDurationMs, formatPercent, formatTime } from "./format-value.js";

/** Incidents listed, newest first. */
const MAX_INCIDENTS = 50;
/** Stats fold the whole ledger on the server: asked again when the list changed, else this often. */
const STATS_MAX_AGE_MS = 60_000;
/** The code of the 404 a server without a `remediation:` section answers. */
const NOT_CONFIGURED = "PRESAGE_REMEDIATION_NOT_CONFIGURED";
/**
 * How long a server without remediation is not asked again (its config changes only with a restart;
 * each 404 is also a line in the browser's console).
 */
const NOT_CONFIGURED_RECHECK_MS = 5 * 60_000;
const COLUMNS = ["", "State", "Alert", "Subject", "Runbook", "Started", "Actions", "MTTR"] as const;
const eventTimeFormat = new Intl.DateTimeFormat(undefined, {
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});

/**
 * Self-healing across the cluster (not per target): outcome rates from the incident ledger, open
 * circuit breakers, and the newest incidents with state, runbook, start and MTTR; a click on an
 * incident unfolds its timeline (already in the list answer). A server without a `remediation:`
 * section says so in one line rather than as an error, and is asked again only every few minutes.
 */
export class RemediationPanel implements ClusterPanel {
  readonly clusterWide = true;
  private readonly frame = new PanelFrame("remediation", "Self-healing");
  private readonly summary = createElement("p", { class: "panel-summary remediation-stats" });
  private readonly breakers = createElement("ul", { class: "remediation-breakers", hidden: "" });
  private readonly table = createElement("table", { class: "data-table incidents", hidden: "" });
  private readonly expanded = new Set<string>();
  private incidents: readonly IncidentJson[] = [];
  private stats:
    { readonly value: RemediationStatsJson; readonly key: string; readonly atMs: number } | undefined;
  /** When the server last said it runs no remediation. */
  private notConfiguredAtMs: number | undefined;

  constructor() {
    this.frame.body.append(this.summary, this.breakers, this.table);
    this.table.addEventListener("click", (event) => {
      const row = event.target instanceof Element ? event.target.closest("tr.incident") : null;
      const id = row instanceof HTMLElement ? row.dataset.incidentId : undefined;
      if (id === undefined) return;
      if (!this.expanded.delete(id)) this.expanded.add(id);
      this.drawTable();
    });
  }

  get element(): HTMLElement {
    return this.frame.element;
  }

  async refresh({ api }: ClusterPanelContext): Promise<void> {
    const nowMs = Date.now();
    if (this.notConfiguredAtMs !== undefined && nowMs - this.notConfiguredAtMs < NOT_CONFIGURED_RECHECK_MS) {
      return;
    }
    let incidents: IncidentJson[];
    try {
      incidents = await api.incidents(MAX_INCIDENTS);
    } catch (error) {
      if (error instanceof DashboardApiError && error.code === NOT_CONFIGURED) {
        this.showNotConfigured(nowMs);
        return;
      }
      throw error;
    }
    this.notConfiguredAtMs = undefined;
    const guards = await api.remediationGuards();
    const key = listKey(incidents);
    if (this.stats === undefined || this.stats.key !== key || nowMs - this.stats.atMs >= STATS_MAX_AGE_MS) {
      this.stats = { value: await api.remediationStats(), key, atMs: nowMs };
    }
    const stats = this.stats.value;
    this.frame.setProblem(undefined);
    this.incidents = [...incidents].sort((a, b) => b.receivedAtMs - a.receivedAtMs);
    const shown = new Set(this.incidents.map((incident) => incident.id));
    for (const id of this.expanded) if (!shown.has(id)) this.expanded.delete(id);
    const inflight = Object.keys(guards.inflight).length;
    this.frame.setSubtitle(
      (stats.incidents > incidents.length
        ? `newest ${incidents.length} of ${stats.incidents} incidents`
        : `${incidents.length} incident${incidents.length === 1 ? "" : "s"}`) +
        (inflight > 0 ? ` · ${inflight} remediating now` : ""),
    );
    this.summary.textContent = statsLine(stats);
    const open = openBreakers(guards, nowMs);
    this.breakers.hidden = open.length === 0;
    this.breakers.replaceChildren(...open.map((line) => createElement("li", {}, line)));
    this.drawTable();
  }

  showProblem(message: string): void {
    this.frame.setProblem(message);
  }

  dispose(): void {
    // Nothing outside the DOM to release.
  }

  private showNotConfigured(nowMs: number): void {
    this.notConfiguredAtMs = nowMs;
    this.frame.setProblem(undefined);
    this.frame.setSubtitle("not configured");
    this.summary.textContent =
      "Self-healing is not configured on this server: add a remediation: section (runbooks, " +
      "Alertmanager webhook tokens) to the config file and start presage serve with --config <file>.";
    this.breakers.hidden = true;
    this.breakers.replaceChildren();
    this.incidents = [];
    this.stats = undefined;
    this.drawTable();
  }

  private drawTable(): void {
    this.table.hidden = this.incidents.length === 0;
    this.table.replaceChildren(
      createElement(
        "caption",
        {},
        "Click an incident for its timeline. MTTR: alert start until healed (detect + act + verify).",
      ),
      createElement(
        "thead",
        {},
        createElement("tr", {}, ...COLUMNS.map((title) => createElement("th", { scope: "col" }, title))),
      ),
      createElement(
        "tbody",
        {},
        ...this.incidents.flatMap((incident) => incidentRows(incident, this.expanded.has(incident.id))),
      ),
    );
  }
}

/** What changes when the ledger does: ids, states and timeline lengths of the listed incidents. */
function listKey(incidents: readonly IncidentJson[]): string {
  return incidents
    .map((incident) => `${incident.id}:${incident.state}:${incident.timeline.length}`)
    .join(",");
}

function statsLine(stats: RemediationStatsJson): string {
  if (stats.incidents === 0) {
    return "No incidents yet: one is recorded for every alert Alertmanager sends to the presage webhook.";
  }
  const parts = [
    `${plural(stats.incidents, "incident")}, ${stats.covered} with a runbook (${formatPercent(stats.coverage)})`,
    stats.acted === 0
      ? "none acted on yet"
      : `${stats.acted} acted on, ${stats.healed} healed: ${formatPercent(stats.successRate)} self-healing success`,
    `${stats.escalated} escalated`,
    `${stats.manual} needed a person (${formatPercent(stats.manualInterventionRate)} of covered)`,
    `${plural(stats.falsePositives, "false positive")} (${formatPercent(stats.falsePositiveRate)} of acted)`,
  ];
  if (stats.mttrMedianMs !== null) {
    parts.push(
      `MTTR median ${formatDurationMs(stats.mttrMedianMs)}` +
        (stats.mttrP95Ms === null ? "" : `, p95 ${formatDurationMs(stats.mttrP95Ms)}`),
    );
  }
  if (stats.preventive > 0) {
    parts.push(
      `${stats.preventive} preventive: ${stats.prevented} prevented, ${stats.missed} missed` +
        (stats.prevented + stats.missed > 0 ? ` (${formatPercent(stats.preventionRate)})` : ""),
    );
  }
  return parts.join(" · ");
}

function openBreakers(guards: GuardStateJson, nowMs: number): string[] {
  return Object.entries(guards.breakers).flatMap(([runbook, breaker]) =>
    breaker.openUntilMs !== undefined && breaker.openUntilMs > nowMs
      ? [
          `Circuit breaker open: runbook ${runbook} failed ${plural(breaker.failures, "time")} in a row; its alerts ` +
            `are not remediated automatically until ${formatTime(breaker.openUntilMs)} ` +
            `(an admin can close it: POST /api/v1/remediation/breakers/${runbook}/reset).`,
        ]
      : [],
  );
}

/** The incident's row, and its timeline row when unfolded. */
function incidentRows(incident: IncidentJson, expanded: boolean): HTMLTableRowElement[] {
  const timelineId = `timeline-${incident.id}`;
  const mttr = incident.mttr;
  const row = createElement(
    "tr",
    { class: "incident", "data-incident-id": incident.id, "data-state": incident.state },
    createElement(
      "td",
      {},
      createElement(
        "button",
        {
          type: "button",
          class: "expand",
          "aria-expanded": String(expanded),
          "aria-controls": expanded ? timelineId : undefined,
          "aria-label": `${expanded ? "Hide" : "Show"} the timeline of ${incident.alertname}`,
        },
        expanded ? "▾" : "▸",
      ),
    ),
    createElement(
      "td",
      {},
      createElement("span", { class: `status incident-${incident.state}` }, incident.state),
    ),
    createElement(
      "td",
      { class: "detail" },
      incident.alertname || "(no alertname)",
      incident.preventive && " (preventive)",
    ),
    createElement("td", { class: "detail" }, subject(incident.labels)),
    createElement("td", { class: "runbook" }, incident.runbook ?? "—"),
    createElement(
      "td",
      { title: new Date(incident.startsAtMs).toISOString() },
      `${formatTime(incident.startsAtMs)} (${ago(incident.startsAtMs)})`,
    ),
    createElement("td", { class: "number" }, `${incident.actions}${incident.reverted ? " · reverted" : ""}`),
    createElement(
      "td",
      {
        class: "number mttr",
        title:
          mttr === undefined
            ? undefined
            : `detect ${formatDurationMs(mttr.detectMs)}, act ${formatDurationMs(mttr.actMs)}, verify ${formatDurationMs(mttr.verifyMs)}`,
      },
      mttr === undefined ? "—" : formatDurationMs(mttr.totalMs),
    ),
  );
  if (!expanded) return [row];
  const events = incident.timeline.map((event) =>
    createElement(
      "li",
      { "data-event-type": event.type },
      createElement(
        "time",
        { datetime: new Date(event.atMs).toISOString() },
        eventTimeFormat.format(event.atMs),
      ),
      " ",
      createElement("span", { class: "event-type" }, event.type),
      " ",
      createElement("span", { class: "event-detail" }, eventDetail(event)),
    ),
  );
  return [
    row,
    createElement(
      "tr",
      { class: "incident-timeline", id: timelineId },
      createElement(
        "td",
        { colspan: String(COLUMNS.length) },
        createElement("ol", { class: "timeline" }, ...events),
      ),
    ),
  ];
}

/** `namespace/deployment`, else the most specific target label there is. */
function subject(labels: Readonly<Record<string, string>>): string {
  const target = labels.deployment ?? labels.pod ?? labels.node ?? labels.instance ?? labels.job;
  if (target === undefined) return labels.namespace ?? "—";
  return labels.namespace === undefined || labels.node === target ? target : `${labels.namespace}/${target}`;
}

/** One line about an event, from whichever fields its type carries. */
function eventDetail(event: IncidentEventJson): string {
  const parts: string[] = [];
  if (event.alert !== undefined) {
    parts.push(`alert ${event.alert.status} since ${formatTime(event.alert.startsAtMs)}`);
  }
  if (event.status !== undefined) parts.push(`${event.status} notification`);
  if (event.step !== undefined) parts.push(`step ${event.step + 1}`);
  if (event.runbook !== undefined) parts.push(`runbook ${event.runbook}`);
  if (event.mode !== undefined) parts.push(`mode ${event.mode}`);
  if (event.by !== undefined) parts.push(`by ${event.by}`);
  if (event.prediction !== undefined) {
    parts.push(`${event.prediction.name} (${formatPercent(event.prediction.probability)})`);
  }
  if (event.outcome !== undefined) parts.push(event.outcome);
  for (const text of [event.description, event.reason, event.detail]) {
    if (text !== undefined && text !== "") parts.push(text);
  }
  if (event.steps !== undefined && event.steps.length > 0) {
    parts.push(event.steps.map((step) => `${step.index + 1}. ${step.description}`).join("; "));
  }
  if (event.endsAtMs !== undefined) parts.push(`ended ${formatTime(event.endsAtMs)}`);
  return parts.join(" — ");
}

function ago(epochMs: number): string {
  const minutes = Math.round((Date.now() - epochMs) / 60_000);
  if (!Number.isFinite(minutes)) return "—";
  if (minutes < 1) return "just now";
  if (minutes < 90) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} h ago` : `${Math.round(hours / 24)} d ago`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}
