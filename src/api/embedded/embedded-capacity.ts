import { join } from "node:path";
import { createCapacityForecaster } from "../../../training/capacity/capacity-forecaster.js";
import {
  capacitySchema,
  resolveCapacity,
  type ResolvedCapacityConfig,
} from "../../capacity/capacity-config.js";
import { fetchDailyUsage } from "../../capacity/capacity-history.js";
import {
  CapacityPlanner,
  readCapacityStatus,
  type CapacityRunReport,
} from "../../capacity/capacity-planner.js";
import { DAY_MS, isoDay, utcDayStart, type DailySeries } from "../../capacity/daily-series.js";
import { FileCapacityStateStore } from "../../capacity/file-capacity-state-store.js";
import { TicketOutbox } from "../../capacity/ticket-outbox.js";
import { ApiBackendError, ApiBackendErrorCode } from "../api-backend-error.js";
import { buildCapacityStatusView } from "../build-capacity-status-view.js";
import type { CapacityStatusView } from "../capacity-status-view.js";
import type { DependencyCheck } from "../presage-backend.js";
import { SyntheticCapacityQuery, SyntheticCapacitySource } from "./synthetic-capacity-source.js";

/** Options of {@link EmbeddedCapacity}. */
export interface EmbeddedCapacityOptions {
  /** Seed of the synthetic usage. */
  readonly seed: number;
  /** Simulated now (the scaler's clock); a new UTC day of it means a new plan. */
  readonly nowMs: () => number;
  /** Where the state file (tickets, outbox, ledger) goes: the run's temporary directory. */
  readonly directory: string;
  /** One line per ticket decision and per failed run. @defaultValue silent */
  readonly log?: (line: string) => void;
  /**
   * Days before the first plan at which the planner also runs once at start, so the accuracy ledger
   * has predictions whose days have passed and tickets have a history. @defaultValue [182, 91]
   */
  readonly pastRunsDaysAgo?: readonly number[];
  /**
   * After a failed re-plan, the last plan is served without trying again for this long (real time),
   * so a broken state file does not cost a planner run per request. @defaultValue 30000
   */
  readonly retryDelayMs?: number;
  /** Real clock of the retry delay. @defaultValue `performance.now` */
  readonly realNowMs?: () => number;
}

const UNITS: ReadonlyMap<string, string> = new Map([
  ["cluster.cpu/cpu", "cores"],
  ["cluster.memory/memory", "GiB"],
]);

/**
 * Capacity planning of the embedded service: two cluster-level capacity targets (`cluster.cpu`: CPU
 * requests against allocatable cores, `cluster.memory`: memory requests against allocatable GiB) on
 * synthetic daily history (78 weeks, generated in-process from the seed; no Prometheus), planned by
 * the real {@link CapacityPlanner} — capacity forecaster, runway, backtest, ticket decisions, accuracy
 * ledger — with its state in a file store in the run's directory. Tickets are recorded there and
 * logged, never sent: embedded mode configures no ticket sinks.
 *
 * Plans once at {@link start} (after a few runs as of earlier days, which seed the ledger), then again
 * whenever {@link status} is asked on a later simulated UTC day than the last plan.
 */
export class EmbeddedCapacity {
  readonly config: ResolvedCapacityConfig;
  private readonly source: SyntheticCapacitySource;
  private readonly store: FileCapacityStateStore;
  private readonly planner: CapacityPlanner;
  private readonly log: (line: string) => void;
  /** The instant the planner's clock reads: simulated now, or an earlier day while seeding. */
  private planAtMs: number;
  private view: CapacityStatusView | undefined;
  private viewDayMs = Number.NEGATIVE_INFINITY;
  private planning: Promise<CapacityStatusView> | undefined;
  private lastFailure: string | undefined;
  /** Real time before which a failed re-plan is not retried. */
  private retryAtRealMs = Number.NEGATIVE_INFINITY;
  private runs = 0;

  constructor(private readonly options: EmbeddedCapacityOptions) {
    this.log = options.log ?? (() => undefined);
    this.planAtMs = options.nowMs();
    this.source = new SyntheticCapacitySource({ seed: options.seed, anchorMs: this.planAtMs });
    const target = { step: "1h", history: "78w", headroom: 0.8, thresholdDays: 90, horizonDays: 180 };
    this.config = resolveCapacity(
      capacitySchema.parse({
        stateFile: "capacity-state.json",
        targets: [
          {
            ...target,
            name: "cluster.cpu",
            resource: "cpu",
            usage: SyntheticCapacityQuery.cpuRequests,
            capacity: SyntheticCapacityQuery.cpuAllocatable,
            labels: ["capacity", "cpu"],
          },
          {
            ...target,
            name: "cluster.memory",
            resource: "memory",
            usage: SyntheticCapacityQuery.memoryRequests,
            capacity: SyntheticCapacityQuery.memoryAllocatable,
            labels: ["capacity", "memory"],
          },
        ],
      }),
      (path) => join(options.directory, path),
    );
    this.store = new FileCapacityStateStore({ path: this.config.stateFile });
    const now = (): number => this.planAtMs;
    this.planner = new CapacityPlanner({
      config: this.config,
      source: this.source,
      store: this.store,
      // No sinks: decisions are recorded (ticket, ledger) and nothing is queued for delivery.
      outbox: new TicketOutbox({ store: this.store, sinks: new Map(), delivery: this.config.delivery, now }),
      createForecaster: (horizonDays) => createCapacityForecaster({ horizonDays }),
      now,
    });
  }

  /** Where tickets, outbox and ledger are kept. */
  get stateFile(): string {
    return this.config.stateFile;
  }

  /**
   * Runs the planner as of a few earlier days (seeding the ledger), then plans today. Never rejects:
   * a failure is logged and reported by {@link check} (and the routes answer 503 until a plan works).
   */
  async start(): Promise<CapacityStatusView | undefined> {
    const todayMs = utcDayStart(this.options.nowMs());
    try {
      for (const daysAgo of this.options.pastRunsDaysAgo ?? [182, 91]) {
        await this.run(todayMs - daysAgo * DAY_MS + 6 * 3_600_000);
      }
      return await this.status();
    } catch (error) {
      // plan() has logged its own failures; a failed earlier run is logged here.
      if (this.lastFailure === undefined) {
        this.lastFailure = `capacity planning failed: ${error instanceof Error ? error.message : String(error)}`;
        this.log(this.lastFailure);
      }
      return undefined;
    }
  }

  /** The view as last planned; plans first when simulated time has reached a later UTC day. */
  status(): Promise<CapacityStatusView> {
    const nowMs = this.options.nowMs();
    if (
      this.view !== undefined &&
      (utcDayStart(nowMs) <= this.viewDayMs || this.realNowMs() < this.retryAtRealMs)
    ) {
      return Promise.resolve(this.view);
    }
    this.planning ??= this.plan(nowMs).finally(() => {
      this.planning = undefined;
    });
    return this.planning;
  }

  /** One line per target for people: runway and ticket. */
  summary(): string[] {
    return (this.view?.targets ?? []).map((target) => {
      if (target.runway === null)
        return `${target.fingerprint}: not planned (${target.problem?.reason ?? "?"})`;
      const crossing = (label: string, value: { days: number | null; date: string | null }): string =>
        value.date === null
          ? `${label} beyond ${target.horizonDays} d`
          : `${label} ${value.date} (${value.days} d)`;
      return (
        `${target.fingerprint}: runway ${crossing("p50", target.runway.p50)}, ${crossing("p90", target.runway.p90)}; ` +
        `ticket ${target.ticket?.status ?? "none"}`
      );
    });
  }

  /**
   * Readiness: ready once a plan exists. A later failed re-plan keeps it ready (the last plan is still
   * served) and says so in the detail; capacity planning alone should not take the API out of service.
   */
  check(): DependencyCheck {
    return {
      name: "capacity planner",
      ok: this.view !== undefined,
      detail: this.lastFailure ?? `${this.runs} runs; state ${this.stateFile}`,
    };
  }

  private async plan(nowMs: number): Promise<CapacityStatusView> {
    try {
      const report = await this.run(nowMs);
      const status = await readCapacityStatus(this.store);
      const usage = new Map<string, DailySeries>();
      for (const target of this.config.targets) {
        usage.set(target.fingerprint, await fetchDailyUsage(this.source, target, report.atMs));
      }
      this.view = buildCapacityStatusView({
        config: this.config,
        run: report,
        status,
        usage,
        units: UNITS,
        notes: [
          `Embedded mode: synthetic cluster usage generated in-process (seed ${this.options.seed}), no Prometheus.`,
          `Tickets are recorded in ${this.stateFile} and logged, not sent: embedded mode has no ticket sinks.`,
          `Planned once per simulated day (the simulated clock runs ahead of real time); runs as of ` +
            `${(this.options.pastRunsDaysAgo ?? [182, 91]).map((days) => isoDay(utcDayStart(nowMs) - days * DAY_MS)).join(" and ")} seeded the accuracy ledger.`,
        ],
      });
      this.viewDayMs = utcDayStart(nowMs);
      this.lastFailure = undefined;
      return this.view;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.lastFailure = `capacity planning failed: ${message}`;
      this.retryAtRealMs = this.realNowMs() + (this.options.retryDelayMs ?? 30_000);
      this.log(this.lastFailure);
      // Serve the last plan rather than nothing; with none, the route answers 503.
      if (this.view !== undefined) return this.view;
      throw new ApiBackendError(ApiBackendErrorCode.unavailable, this.lastFailure, { cause: error });
    }
  }

  private async run(atMs: number): Promise<CapacityRunReport> {
    this.planAtMs = atMs;
    const report = await this.planner.runOnce();
    this.runs++;
    for (const target of report.targets) {
      if (target.decision.action === "none") continue;
      this.log(
        `capacity ${isoDay(atMs)} ${target.fingerprint}: ticket ${target.decision.action} — ${target.decision.reason} ` +
          "(embedded mode: recorded, not sent)",
      );
    }
    return report;
  }

  private realNowMs(): number {
    return (this.options.realNowMs ?? (() => performance.now()))();
  }
}
