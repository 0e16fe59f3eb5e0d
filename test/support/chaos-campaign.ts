import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { formatTable } from "../../src/cli/text-table.js";
import type { Incident } from "../../src/remediation/ledger/incident.js";
import type { ChaosEnvironment, ChaosTopology } from "./chaos-environment.js";
import { kubePaths, type RecordedRequest } from "./kube-api-stand-in.js";

/** The five recurring incidents of the shipped runbooks. */
export const FaultType = {
  memoryLeak: "memory-leak",
  crashLoop: "crash-loop",
  errorRate: "error-rate",
  saturation: "saturation",
  diskPressure: "disk-pressure",
} as const;
export type FaultType = (typeof FaultType)[keyof typeof FaultType];

const NAMESPACE = "shop";
const NORMAL_LOAD_RPS = 40;
const SATURATING_LOAD_RPS = 200;
const LEAK_BYTES_PER_SECOND = 60 * 1024 * 1024;
const BREAKER_DEPLOYMENTS = ["brk-a", "brk-b", "brk-c"] as const;

/** The cluster every campaign runs on: Deployments per lane, nodes for the disk lane. */
export const CHAOS_TOPOLOGY: ChaosTopology = {
  namespace: NAMESPACE,
  // Three memory Deployments: the memory runbook's cooldown (30 min → 45 s) must pass between two
  // faults on one Deployment, and a lane cycles faster than that over two.
  deployments: [
    "mem-a",
    "mem-b",
    "mem-c",
    "crash-a",
    "crash-b",
    "err-a",
    "err-b",
    "sat-a",
    "sat-b",
    ...BREAKER_DEPLOYMENTS,
  ],
  nodes: ["worker-1", "worker-2", "worker-3", "disk-1", "disk-2", "disk-3"],
};

/** One injected fault, measured from injection to the alert's resolved notification. */
export interface FaultResult {
  readonly index: number;
  readonly type: FaultType;
  /** How the fault was caused (`burst`, `bad-deploy`, ...). */
  readonly variant: string;
  /** The Deployment or node. */
  readonly target: string;
  readonly alertname: string;
  readonly incidentId?: string;
  readonly runbook?: string;
  /** The incident's final state (`healed`, `escalated`, ...), `no-alert` or `unresolved`. */
  readonly outcome: string;
  /** Healed by presage (verified) and the alert resolved. */
  readonly healed: boolean;
  readonly injectedAtMs: number;
  /** The alert's `startsAt` (Prometheus' active-since, before `for:`). */
  readonly alertStartsAtMs?: number;
  readonly webhookReceivedAtMs?: number;
  readonly approvedAtMs?: number;
  readonly firstActionAtMs?: number;
  readonly verifiedAtMs?: number;
  /** When presage received the resolved notification. */
  readonly resolvedAtMs?: number;
  /** Fault injected → webhook received. */
  readonly detectMs?: number;
  /** Fault injected → resolved notification received. */
  readonly mttrMs?: number;
  readonly actions: readonly string[];
  readonly reverted: boolean;
  /** Other incidents of the same alert and target during the fault (re-fires). */
  readonly extraIncidents: number;
  readonly detail?: string;
  /** The incident's timeline, seconds after the injection. */
  readonly timeline: readonly string[];
}

/** The unfixable fault: persistent errors on several Deployments open the breaker and page. */
export interface BreakerResult {
  readonly deployments: readonly string[];
  readonly injectedAtMs: number;
  readonly incidents: readonly {
    id: string;
    target: string;
    state: string;
    actions: number;
    reverted: boolean;
  }[];
  readonly breakerOpened: boolean;
  readonly breakerOpenedAtMs?: number;
  /** Pages (generic webhook) about these incidents: escalations and the breaker. */
  readonly pages: readonly { kind: string; summary: string; atMs: number }[];
  /** Slack messages about these incidents. */
  readonly slackMessages: number;
}

/** Every action presage took, checked against the stand-in's request log. */
export interface ActionAudit {
  /** `acted` + `reverted` events over all incidents. */
  readonly ledgerWrites: number;
  /** Successful writes with presage's field manager in the stand-in's request log. */
  readonly apiWrites: number;
  /** Incidents where one step acted more than once. */
  readonly duplicateSteps: readonly string[];
  /** Faults whose target was acted on by more than one incident. */
  readonly duplicateIncidents: readonly string[];
}

export interface TypeSummary {
  readonly faults: number;
  readonly healed: number;
  readonly successRate: number;
  readonly mttrMedianMs: number;
  readonly mttrP95Ms: number;
  readonly detectMedianMs: number;
}

export interface ChaosReport {
  readonly startedAt: string;
  readonly durationMs: number;
  readonly timeScale: { readonly factor: number; readonly minRangeMs: number };
  readonly faults: readonly FaultResult[];
  readonly summary: TypeSummary & { readonly byType: Readonly<Record<string, TypeSummary>> };
  readonly breaker?: BreakerResult;
  /** Incidents that belong to no injected fault (e.g. an alert without the labels a runbook needs). */
  readonly unattributed: readonly { alertname: string; labels: Record<string, string>; state: string }[];
  readonly audit: ActionAudit;
  readonly notifications: { readonly slack: number; readonly pager: number };
}

export interface ChaosCampaignOptions {
  /** Faults per incident type (5 types). */
  readonly faultsPerType: number;
  /** Run the unfixable-fault scenario after the error lane. @defaultValue true */
  readonly breakerScenario?: boolean;
  /** Give up on one fault after this long. @defaultValue 45 000 */
  readonly faultTimeoutMs?: number;
  readonly log?: (line: string) => void;
}

/** How one lane injects its faults and puts things back afterwards (as ops would). */
interface Lane {
  readonly type: FaultType;
  readonly alertname: string;
  readonly targetLabel: "deployment" | "node";
  readonly targets: readonly string[];
  inject(target: string, round: number): Promise<string>;
  /** After the incident: undo what the fault left (a human's fix when presage did not heal). */
  normalize(target: string, healed: boolean): Promise<void>;
}

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

const FINAL_STATES = new Set([
  "healed",
  "escalated",
  "skipped",
  "rejected",
  "unmatched",
  "dry-run",
  "closed",
]);

function lanes(env: ChaosEnvironment): Lane[] {
  const { controller } = env;
  const restartByHand = (target: string): void => {
    env.standIn.mutate(kubePaths.deployment(NAMESPACE, target), (deployment) => {
      const spec = deployment.spec as { template: { metadata?: { annotations?: Record<string, string> } } };
      spec.template.metadata = {
        ...spec.template.metadata,
        annotations: {
          ...spec.template.metadata?.annotations,
          "kubectl.kubernetes.io/restartedAt": new Date().toISOString(),
        },
      };
    });
  };
  return [
    {
      type: FaultType.memoryLeak,
      alertname: "PresageMemoryLeak",
      targetLabel: "deployment",
      targets: ["mem-a", "mem-b", "mem-c"],
      inject: async (target) => {
        await controller.leak(NAMESPACE, target, LEAK_BYTES_PER_SECOND);
        return "leak";
      },
      normalize: (target, healed) => {
        if (!healed) restartByHand(target);
        return Promise.resolve();
      },
    },
    {
      type: FaultType.crashLoop,
      alertname: "PresageCrashLoopAfterDeploy",
      targetLabel: "deployment",
      targets: ["crash-a", "crash-b"],
      inject: (target, round) => {
        const version = `2.${round % 3}-crash`;
        controller.deploy(NAMESPACE, target, version);
        return Promise.resolve(`bad-deploy ${version}`);
      },
      normalize: (target) => {
        if (controller.version(NAMESPACE, target) !== "1.0") controller.deploy(NAMESPACE, target, "1.0");
        return Promise.resolve();
      },
    },
    {
      type: FaultType.errorRate,
      alertname: "PresageHighErrorRate",
      targetLabel: "deployment",
      targets: ["err-a", "err-b"],
      // Odd rounds: a burst inside the running processes (a restart clears it). Even rounds (from the
      // second): a deploy of a version that fails 30% of requests (a restart does not help; the roll
      // back does).
      inject: async (target, round) => {
        if (round % 2 === 1) {
          controller.deploy(NAMESPACE, target, `1.${round}-errors`);
          return `bad-deploy 1.${round}-errors`;
        }
        await controller.errorBurst(NAMESPACE, target, 0.5);
        return "burst";
      },
      normalize: async (target) => {
        await controller.errorBurst(NAMESPACE, target, 0);
        if (controller.version(NAMESPACE, target) !== "1.0") controller.deploy(NAMESPACE, target, "1.0");
      },
    },
    {
      type: FaultType.saturation,
      alertname: "PresageSaturation",
      targetLabel: "deployment",
      targets: ["sat-a", "sat-b"],
      inject: (target) => {
        controller.setLoad(NAMESPACE, target, SATURATING_LOAD_RPS);
        return Promise.resolve(`load ${NORMAL_LOAD_RPS} → ${SATURATING_LOAD_RPS} rps`);
      },
      normalize: (target) => {
        // The peak passes; the HPA (a human here) scales back to the baseline.
        controller.setLoad(NAMESPACE, target, NORMAL_LOAD_RPS);
        controller.scale(NAMESPACE, target, 2);
        return Promise.resolve();
      },
    },
    {
      type: FaultType.diskPressure,
      alertname: "PresageNodeDiskPressure",
      targetLabel: "node",
      targets: ["disk-1", "disk-2", "disk-3"],
      inject: (target) => {
        controller.setDiskPressure(target, true);
        return Promise.resolve("logs fill the disk");
      },
      normalize: (target) => {
        // After the clean-up a human uncordons the node (presage never uncordons by itself).
        controller.setDiskPressure(target, false);
        controller.uncordon(target);
        return Promise.resolve();
      },
    },
  ];
}

async function incidentsNow(env: ChaosEnvironment): Promise<Incident[]> {
  const response = await env.presage.api("GET", "/remediation/incidents?limit=1000");
  if (response.status !== 200) throw new Error(`chaos: GET incidents answered ${response.status}`);
  return (response.body as { incidents: Incident[] }).incidents;
}

function eventAt(incident: Incident, type: string): number | undefined {
  return incident.timeline.find((event) => event.type === type)?.atMs;
}

/** Waits until Prometheus has no pending or firing alert `alertname` on the target. */
async function waitQuiet(
  env: ChaosEnvironment,
  lane: Lane,
  target: string,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const alerts = await env.prometheus
      .query(`ALERTS{alertname="${lane.alertname}", ${lane.targetLabel}="${target}"}`)
      .catch(() => [{}]);
    const settled = lane.targetLabel === "node" || env.controller.rolledOut(`${NAMESPACE}/${target}`);
    if (alerts.length === 0 && settled) return true;
    await sleep(250);
  }
  return false;
}

async function runFault(
  env: ChaosEnvironment,
  lane: Lane,
  target: string,
  round: number,
  timeoutMs: number,
  log: (line: string) => void,
): Promise<FaultResult> {
  const injectedAtMs = Date.now();
  const variant = await lane.inject(target, round);
  log(`chaos: ${lane.type} #${round + 1} on ${target} (${variant})`);
  const deadline = injectedAtMs + timeoutMs;
  let incident: Incident | undefined;
  let extraIncidents = 0;
  let approvedAtMs: number | undefined;
  let humanFixed = false;
  let strayOutcome: string | undefined;
  while (Date.now() < deadline) {
    await sleep(400);
    let incidents: Incident[];
    try {
      incidents = await incidentsNow(env);
    } catch (error) {
      log(`chaos: ${String(error)}`);
      continue;
    }
    const mine = incidents
      .filter(
        (candidate) =>
          candidate.alertname === lane.alertname &&
          candidate.labels[lane.targetLabel] === target &&
          candidate.startsAtMs >= injectedAtMs - 1500,
      )
      .sort((a, b) => a.startsAtMs - b.startsAtMs);
    incident = mine[0];
    extraIncidents = Math.max(0, mine.length - 1);
    if (incident === undefined) {
      // The alert fired, but without the label naming the target: no runbook can act on it.
      const stray = incidents.find(
        (candidate) =>
          candidate.alertname === lane.alertname &&
          candidate.labels[lane.targetLabel] === undefined &&
          candidate.startsAtMs >= injectedAtMs - 1500,
      );
      if (stray !== undefined && Date.now() - stray.receivedAtMs > 5000) {
        strayOutcome = `alert without a ${lane.targetLabel} label (${stray.state})`;
        break;
      }
      continue;
    }
    if (incident.state === "awaiting-approval" && approvedAtMs === undefined) {
      // The on-call admin approves what the runbook asks for (the node runbook ships in approval mode).
      const approved = await env.presage.api(
        "POST",
        `/remediation/incidents/${incident.id}/approve`,
        "admin",
      );
      approvedAtMs = Date.now();
      log(`chaos: approved ${incident.id} (${approved.status})`);
    }
    if (incident.state === "escalated" && !humanFixed) {
      humanFixed = true;
      await lane.normalize(target, false);
    }
    const resolved = eventAt(incident, "resolved") !== undefined;
    if (resolved && FINAL_STATES.has(incident.state)) break;
  }
  await lane.normalize(target, incident?.state === "healed");
  const quiet = await waitQuiet(env, lane, target, 60_000);
  if (!quiet) log(`chaos: ${lane.alertname} on ${target} did not settle within 60 s`);
  const resolvedAtMs = incident === undefined ? undefined : eventAt(incident, "resolved");
  const acted = incident?.timeline.filter((event) => event.type === "acted") ?? [];
  const escalated = incident?.timeline.find((event) => event.type === "escalated");
  const outcome =
    strayOutcome !== undefined
      ? strayOutcome
      : incident === undefined
        ? "no-alert"
        : resolvedAtMs === undefined
          ? `unresolved (${incident.state})`
          : incident.state;
  const healed = incident?.state === "healed" && resolvedAtMs !== undefined;
  const result: FaultResult = {
    index: 0,
    type: lane.type,
    variant,
    target,
    alertname: lane.alertname,
    ...(incident === undefined
      ? {}
      : {
          incidentId: incident.id,
          ...(incident.runbook === undefined ? {} : { runbook: incident.runbook }),
          alertStartsAtMs: incident.startsAtMs,
          webhookReceivedAtMs: incident.receivedAtMs,
          detectMs: incident.receivedAtMs - injectedAtMs,
        }),
    outcome,
    healed,
    injectedAtMs,
    ...(approvedAtMs === undefined ? {} : { approvedAtMs }),
    ...(acted[0] === undefined ? {} : { firstActionAtMs: acted[0].atMs }),
    ...(incident === undefined || eventAt(incident, "healed") === undefined
      ? {}
      : { verifiedAtMs: eventAt(incident, "healed") }),
    ...(resolvedAtMs === undefined ? {} : { resolvedAtMs, mttrMs: resolvedAtMs - injectedAtMs }),
    actions: acted.flatMap((event) => ("description" in event ? [event.description] : [])),
    reverted: incident?.reverted ?? false,
    extraIncidents,
    ...(escalated?.type === "escalated" ? { detail: escalated.reason } : {}),
    timeline: (incident?.timeline ?? []).map((event) => {
      const at = `+${((event.atMs - injectedAtMs) / 1000).toFixed(1)}s ${event.type}`;
      const step = "step" in event ? ` step ${event.step + 1}` : "";
      const detail = "detail" in event ? `: ${event.detail}` : "reason" in event ? `: ${event.reason}` : "";
      return `${at}${step}${detail}`;
    }),
  };
  log(
    `chaos: ${lane.type} #${round + 1} on ${target}: ${outcome}${result.mttrMs === undefined ? "" : ` in ${(result.mttrMs / 1000).toFixed(1)} s`} (${result.actions.join(", ") || "no action"})`,
  );
  return result;
}

async function runLane(
  env: ChaosEnvironment,
  lane: Lane,
  count: number,
  timeoutMs: number,
  log: (line: string) => void,
): Promise<FaultResult[]> {
  const results: FaultResult[] = [];
  for (let round = 0; round < count; round++) {
    const target = lane.targets[round % lane.targets.length]!;
    results.push(await runFault(env, lane, target, round, timeoutMs, log));
    await sleep(500);
  }
  return results;
}

/** K = breakerThreshold Deployments lose a dependency at once: restart, roll back, undo, page; breaker opens. */
async function runBreakerScenario(
  env: ChaosEnvironment,
  log: (line: string) => void,
): Promise<BreakerResult> {
  // A release history first (1.0 → 1.0.1), so the runbook has a real revision to roll back to.
  for (const target of BREAKER_DEPLOYMENTS) env.controller.deploy(NAMESPACE, target, "1.0.1");
  const rolledOut = Date.now() + 60_000;
  while (
    Date.now() < rolledOut &&
    !BREAKER_DEPLOYMENTS.every((target) => env.controller.rolledOut(`${NAMESPACE}/${target}`))
  ) {
    await sleep(200);
  }
  await sleep(2000);
  const injectedAtMs = Date.now();
  log(`chaos: unfixable fault (persistent 50% errors) on ${BREAKER_DEPLOYMENTS.join(", ")}`);
  for (const target of BREAKER_DEPLOYMENTS) env.controller.setPersistentErrors(NAMESPACE, target, 0.5);
  const deadline = injectedAtMs + 150_000;
  let mine: Incident[] = [];
  const pagesAbout = (ids: ReadonlySet<string>) =>
    env.receiver.captured.filter((entry) => {
      const incident = entry.body.incident as { id?: string } | undefined;
      return (
        entry.sink === "pager" &&
        ((incident?.id !== undefined && ids.has(incident.id)) ||
          JSON.stringify(entry.body).includes("high-error-rate"))
      );
    });
  let breakerOpenedAtMs: number | undefined;
  while (Date.now() < deadline) {
    await sleep(500);
    const incidents = await incidentsNow(env).catch(() => []);
    mine = incidents.filter(
      (incident) =>
        incident.alertname === "PresageHighErrorRate" &&
        BREAKER_DEPLOYMENTS.includes(incident.labels.deployment as (typeof BREAKER_DEPLOYMENTS)[number]) &&
        incident.startsAtMs >= injectedAtMs - 1500,
    );
    const opened = mine
      .flatMap((incident) => incident.timeline)
      .find((event) => event.type === "breaker-opened");
    breakerOpenedAtMs = opened?.atMs;
    const ids = new Set(mine.map((incident) => incident.id));
    const breakerPaged = pagesAbout(ids).some((entry) => entry.body.kind === "breaker-opened");
    const allEscalated =
      mine.length >= BREAKER_DEPLOYMENTS.length && mine.every((incident) => incident.state === "escalated");
    if (allEscalated && breakerPaged) break;
  }
  const ids = new Set(mine.map((incident) => incident.id));
  const pages = pagesAbout(ids).map((entry) => ({
    kind: typeof entry.body.kind === "string" ? entry.body.kind : "",
    summary: typeof entry.body.summary === "string" ? entry.body.summary : "",
    atMs: entry.atMs,
  }));
  const slackMessages = env.receiver.captured.filter(
    (entry) =>
      entry.sink === "slack" && BREAKER_DEPLOYMENTS.some((name) => JSON.stringify(entry.body).includes(name)),
  ).length;
  const guards = await env.presage.api("GET", "/remediation/guards");
  const breakers = (guards.body as { breakers?: Record<string, { openUntilMs?: number }> }).breakers;
  const breakerOpened =
    breakerOpenedAtMs !== undefined || (breakers?.["high-error-rate"]?.openUntilMs ?? 0) > Date.now();
  // The dependency comes back; the on-call closes the breaker after looking.
  for (const target of BREAKER_DEPLOYMENTS) env.controller.setPersistentErrors(NAMESPACE, target, 0);
  await env.presage.api("POST", "/remediation/breakers/high-error-rate/reset", "admin");
  log(
    `chaos: unfixable fault: ${mine.map((incident) => `${incident.labels.deployment ?? "?"} ${incident.state}`).join(", ")}; breaker ${breakerOpened ? "opened" : "NOT opened"}; ${pages.length} pages`,
  );
  return {
    deployments: BREAKER_DEPLOYMENTS,
    injectedAtMs,
    incidents: mine.map((incident) => ({
      id: incident.id,
      target: incident.labels.deployment ?? "",
      state: incident.state,
      actions: incident.actions,
      reverted: incident.reverted,
    })),
    breakerOpened,
    ...(breakerOpenedAtMs === undefined ? {} : { breakerOpenedAtMs }),
    pages,
    slackMessages,
  };
}

/** Nearest-rank quantile of the finite values (NaN when there are none). */
export function quantile(values: readonly number[], q: number): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

function summarize(results: readonly FaultResult[]): TypeSummary {
  const healed = results.filter((result) => result.healed);
  const mttr = healed.map((result) => result.mttrMs ?? Number.NaN);
  return {
    faults: results.length,
    healed: healed.length,
    successRate: results.length === 0 ? Number.NaN : healed.length / results.length,
    mttrMedianMs: quantile(mttr, 0.5),
    mttrP95Ms: quantile(mttr, 0.95),
    detectMedianMs: quantile(
      results.map((result) => result.detectMs ?? Number.NaN),
      0.5,
    ),
  };
}

/** Actions in the ledger against presage's writes in the stand-in's request log. */
export function auditActions(
  incidents: readonly Incident[],
  requests: readonly RecordedRequest[],
  faults: readonly FaultResult[],
): ActionAudit {
  let ledgerWrites = 0;
  const duplicateSteps: string[] = [];
  for (const incident of incidents) {
    const steps = new Map<number, number>();
    for (const event of incident.timeline) {
      if (event.type === "acted") steps.set(event.step, (steps.get(event.step) ?? 0) + 1);
      if (event.type === "acted" || event.type === "reverted") ledgerWrites += 1;
    }
    if ([...steps.values()].some((count) => count > 1)) duplicateSteps.push(incident.id);
  }
  const apiWrites = requests.filter(
    (request) =>
      request.method !== "GET" &&
      request.status < 300 &&
      request.query.fieldManager === "presage-remediation",
  ).length;
  const duplicateIncidents: string[] = [];
  for (const fault of faults) {
    const end = fault.resolvedAtMs ?? fault.injectedAtMs + 45_000;
    const acting = incidents.filter(
      (incident) =>
        incident.alertname === fault.alertname &&
        incident.actions > 0 &&
        Object.values(incident.labels).includes(fault.target) &&
        incident.startsAtMs >= fault.injectedAtMs - 1500 &&
        incident.startsAtMs <= end,
    );
    if (acting.length > 1)
      duplicateIncidents.push(
        `${fault.type} on ${fault.target} at ${new Date(fault.injectedAtMs).toISOString()}`,
      );
  }
  return { ledgerWrites, apiWrites, duplicateSteps, duplicateIncidents };
}

/**
 * Runs the chaos campaign on a started environment: five lanes (one per incident type) inject their
 * faults one after another, concurrently with each other; then (after the error lane) the unfixable
 * fault. Measures each fault from injection to the resolved notification.
 */
export async function runChaosCampaign(
  env: ChaosEnvironment,
  options: ChaosCampaignOptions,
): Promise<ChaosReport> {
  const log = options.log ?? (() => undefined);
  const timeoutMs = options.faultTimeoutMs ?? 45_000;
  const startedAtMs = Date.now();
  let breaker: BreakerResult | undefined;
  const laneRuns = lanes(env).map((lane) =>
    runLane(env, lane, options.faultsPerType, timeoutMs, log).then(async (results) => {
      // The breaker counts consecutive failures per runbook: the unfixable fault follows the error lane.
      if (lane.type === FaultType.errorRate && options.breakerScenario !== false) {
        breaker = await runBreakerScenario(env, log);
      }
      return results;
    }),
  );
  const faults = (await Promise.all(laneRuns))
    .flat()
    .sort((a, b) => a.injectedAtMs - b.injectedAtMs)
    .map((fault, index) => ({ ...fault, index: index + 1 }));
  await env.presage.remediation.engine.idle();
  const incidents = await incidentsNow(env);
  const byType: Record<string, TypeSummary> = {};
  for (const type of Object.values(FaultType)) {
    byType[type] = summarize(faults.filter((fault) => fault.type === type));
  }
  return {
    startedAt: new Date(startedAtMs).toISOString(),
    durationMs: Date.now() - startedAtMs,
    timeScale: { factor: env.scale.factor, minRangeMs: env.scale.minRangeMs },
    faults,
    summary: { ...summarize(faults), byType },
    ...(breaker === undefined ? {} : { breaker }),
    unattributed: incidents
      .filter(
        (incident) =>
          !faults.some((fault) => fault.incidentId === incident.id) &&
          !(breaker?.incidents.some((entry) => entry.id === incident.id) ?? false),
      )
      .map((incident) => ({
        alertname: incident.alertname,
        labels: { ...incident.labels },
        state: incident.state,
      })),
    audit: auditActions(incidents, env.standIn.requests, faults),
    notifications: {
      slack: env.receiver.captured.filter((entry) => entry.sink === "slack").length,
      pager: env.receiver.captured.filter((entry) => entry.sink === "pager").length,
    },
  };
}

const seconds = (ms: number): number => ms / 1000;

/** The per-type table (seconds) the test and the bench print. */
export function formatChaosTable(report: ChaosReport): string {
  const row = (name: string, summary: TypeSummary): (string | number)[] => [
    name,
    String(summary.faults),
    String(summary.healed),
    `${(summary.successRate * 100).toFixed(0)}%`,
    seconds(summary.mttrMedianMs),
    seconds(summary.mttrP95Ms),
    seconds(summary.detectMedianMs),
  ];
  const lines = [
    formatTable(
      ["incident type", "faults", "healed", "success", "MTTR p50 s", "MTTR p95 s", "detect p50 s"],
      [
        ...Object.entries(report.summary.byType).map(([type, summary]) => row(type, summary)),
        row("all", report.summary),
      ],
    ),
  ];
  const breaker = report.breaker;
  if (breaker !== undefined) {
    lines.push(
      `unfixable fault on ${breaker.deployments.join(", ")}: ${breaker.incidents.map((incident) => incident.state).join(", ")}; circuit breaker ${breaker.breakerOpened ? "opened" : "did NOT open"}; ${breaker.pages.length} pages (${[...new Set(breaker.pages.map((page) => page.kind))].join(", ")})`,
    );
  }
  if (report.unattributed.length > 0) {
    const kinds = new Map<string, number>();
    for (const incident of report.unattributed) {
      const key = `${incident.alertname}{${Object.entries(incident.labels)
        .filter(([name]) => ["namespace", "deployment", "node"].includes(name))
        .map(([name, value]) => `${name}=${value}`)
        .join(",")}} ${incident.state}`;
      kinds.set(key, (kinds.get(key) ?? 0) + 1);
    }
    lines.push(
      `incidents of no injected fault: ${[...kinds].map(([key, count]) => `${count}× ${key}`).join("; ")}`,
    );
  }
  lines.push(
    `actions: ${report.audit.ledgerWrites} in the ledger, ${report.audit.apiWrites} writes in the API log; duplicate steps ${report.audit.duplicateSteps.length}, faults acted on twice ${report.audit.duplicateIncidents.length}`,
    `notifications: ${report.notifications.slack} Slack, ${report.notifications.pager} pages; campaign ${seconds(report.durationMs).toFixed(0)} s at time scale 1/${report.timeScale.factor}`,
  );
  return lines.join("\n");
}

export async function writeChaosReport(path: string, report: ChaosReport): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(report, null, 2)}\n`);
}
