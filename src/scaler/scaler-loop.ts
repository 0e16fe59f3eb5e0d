import { setImmediate as setImmediatePromise } from "node:timers/promises";
import type { FittedModel, ModelState } from "../../models/forecaster.js";
import type { ModelRegistry } from "../../training/registry/model-registry.js";
import { restoreModel as defaultRestoreModel } from "../../training/restore-model.js";
import type { MetricSource } from "../sources/metric-source.js";
import { decideFloor } from "./decide-floor.js";
import { FloorReason, type FloorDecision, type FloorInput } from "./floor-decision.js";
import { formatDuration } from "./format-duration.js";
import { FloorCalibration, type FloorCalibrationOptions } from "./floor-calibration.js";
import { forecastWindowSteps, requiredReplicas, type RequiredReplicas } from "./required-replicas.js";
import { formatHpaRef, type FloorChange, type HpaState, type ScalerActuator } from "./scaler-actuator.js";
import { errorCode, errorMessage, ScalerError, ScalerErrorCode } from "./scaler-error.js";
import type { ScalerMetrics } from "./scaler-metrics.js";
import type { StartupLeadTracker } from "./startup/startup-lead-tracker.js";
import { configuredLead, type StartupLead } from "./startup/startup-lead.js";
import {
  parseTargetAnnotations,
  resolveScalerTarget,
  ScalerMode,
  targetKey,
  type ScalerTarget,
  type ScalerTargetSpec,
} from "./scaler-target.js";

/** Timer functions, injectable so tests drive the loop with a fake clock. */
export interface LoopTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Options of {@link ScalerLoop}. */
export interface ScalerLoopOptions {
  readonly actuator: ScalerActuator;
  /**
   * Where trained models come from: `current` each tick; `listVersions` and `get`, when there, once
   * per target at start-up to warm its floor calibration on the previous version.
   */
  readonly registry: Pick<ModelRegistry, "current"> & Partial<Pick<ModelRegistry, "listVersions" | "get">>;
  /** Where the newest load points come from (the same source the models were trained on). */
  readonly source: MetricSource;
  /** Targets declared in config; annotated HPAs are added every tick. @defaultValue none */
  readonly targets?: readonly ScalerTargetSpec[];
  /**
   * How much history each target's floor calibration keeps and needs (the noise exponent is per
   * target). @defaultValue `FloorCalibration`'s defaults: a week kept, a day needed (1-minute steps)
   */
  readonly calibration?: Omit<FloorCalibrationOptions, "noiseExponent">;
  /** Also manage HPAs annotated `presage.io/enabled: "true"`. @defaultValue true */
  readonly discover?: boolean;
  /**
   * Whether this instance holds the leader lease now; asked every tick and again right before every
   * write, so a lost lease stops actions within one tick. @defaultValue `() => true` (single instance)
   */
  readonly isLeader?: () => boolean;
  /**
   * The error-rate/availability guard: true while the target's service is failing, which forbids
   * lowering its floor. A probe that throws is counted and logged and taken as no outage (a failure
   * to look is not evidence of an outage, and would otherwise pin floors whenever the probe breaks).
   * @defaultValue never an outage
   */
  readonly outage?: (target: ScalerTarget, hpa: HpaState) => boolean | Promise<boolean>;
  /**
   * Measures each target's lead (pod created → Ready) from kube-state-metrics, refreshed every few
   * minutes. @defaultValue none: every target uses its configured lead
   */
  readonly startupLead?: Pick<StartupLeadTracker, "lead" | "forget">;
  /** @defaultValue 60 000 */
  readonly tickMs?: number;
  /** @defaultValue `Date.now` */
  readonly now?: () => number;
  /** @defaultValue the global `setTimeout`/`clearTimeout` */
  readonly timers?: LoopTimers;
  /** Receives one `key=value` line per notable event (floor changes, failures). @defaultValue silent */
  readonly log?: (line: string) => void;
  /** @defaultValue none */
  readonly metrics?: ScalerMetrics;
  /** Decisions kept in memory for the API. @defaultValue 1000 */
  readonly decisionLogSize?: number;
  /** Targets processed at once within a tick. @defaultValue 4 */
  readonly concurrency?: number;
  /** Called with every decision (applied or not), e.g. to print them live. Must not throw. */
  readonly onDecision?: (record: DecisionRecord) => void;
  /** @defaultValue `restoreModel` from training/restore-model.ts */
  readonly restoreModel?: (state: ModelState) => FittedModel;
}

/** What the forecast said, as kept with a decision. */
export interface DecisionForecast {
  readonly requiredReplicas: number;
  /** Peak q-quantile of predicted load over the window. */
  readonly peakLoad: number;
  readonly quantile: number;
  readonly model: string;
  readonly modelVersion: number;
  /** Epoch ms of the newest observation the model has seen. */
  readonly dataEndMs: number;
  readonly fromStep: number;
  readonly toStep: number;
}

/** One decision of the loop, as kept in the decision log. */
export interface DecisionRecord {
  readonly atMs: number;
  /** Model-registry target name. */
  readonly target: string;
  /** `namespace/name` of the HPA. */
  readonly hpa: string;
  readonly mode: ScalerMode;
  readonly leader: boolean;
  /** Whether the decision was to be applied (active mode and leader). */
  readonly acting: boolean;
  /** The floor the decision started from: the HPA's when acting, else the last shadow decision. */
  readonly currentFloor: number;
  readonly baselineMinReplicas: number;
  readonly maxReplicas: number;
  readonly currentReplicas: number;
  readonly outage: boolean;
  /** The lead the forecast window started after: measured from pod start-ups, or configured. */
  readonly lead?: Pick<StartupLead, "leadMs" | "source" | "measuredMs" | "pods">;
  readonly decision: FloorDecision;
  readonly forecast?: DecisionForecast;
  readonly forecastError?: string;
  /** The write made, when one was. */
  readonly change?: FloorChange;
  /** Why the write failed, when it did. */
  readonly actionError?: string;
}

/** Summary of one tick. */
export interface TickReport {
  readonly atMs: number;
  readonly durationMs: number;
  readonly leader: boolean;
  readonly targets: number;
  readonly decided: number;
  /** Targets that failed before a decision, plus failed writes. */
  readonly failed: number;
  /** Floor writes that changed an HPA. */
  readonly changes: number;
}

interface CachedModel {
  readonly version: number;
  readonly model: FittedModel;
  /** Epoch ms of the newest observation the model has been advanced with. */
  readonly dataEndMs: number;
  readonly stepSeconds: number;
}

interface TargetState {
  target: ScalerTarget;
  cached?: CachedModel;
  /** Created on first use, and again when the target's noise exponent changes. */
  calibration?: FloorCalibration;
  /** Whether `warmCalibration` has run for this target. */
  calibrationWarmed?: boolean;
  lowSinceMs?: number;
  /** The floor of the last decision that was not applied (shadow mode, or not leader). */
  virtualFloor?: number;
  acting?: boolean;
  lastReason?: FloorReason;
  lastFloor?: number;
  lastError?: string;
}

interface ForecastOutcome {
  readonly input?: NonNullable<FloorInput["forecast"]>;
  readonly record?: DecisionForecast;
  readonly error?: string;
}

/** Most points fetched in one request while catching a model up (Prometheus allows 11 000). */
const MAX_FETCH_STEPS = 10_000;
/** Steps replayed beyond a calibration's `minPairsPerStep`, so the farthest horizon step gets its pairs too. */
const WARM_MARGIN_STEPS = 60;
/** A step-by-step catch-up yields to the event loop this often. */
const CATCH_UP_YIELD_STEPS = 250;

/** Records the forecast the loop would have made when its data ended at `dataEndMs`. */
type PastForecastRecorder = (model: FittedModel, dataEndMs: number) => void;

/** The forecast-age limit when a target sets none: three steps of its model, at least this. */
const MIN_DEFAULT_FORECAST_AGE_MS = 300_000;
const LOOP_TARGET = "-";

/**
 * The in-cluster scaler: every tick, for each target, advance its current model with the newest load
 * points (no refit), forecast, size the floor (`requiredReplicas`), decide (`decideFloor`, pure) and
 * act — patch the HPA floor only in `active` mode and only while this instance is the leader;
 * otherwise the decision is only recorded (shadow). A failed target is counted and logged and the
 * others go on; a failed tick is counted and the next one runs on schedule. `stop()` restores the
 * declared baselines when this instance is the leader.
 */
export class ScalerLoop {
  private readonly options: ScalerLoopOptions;
  private readonly configTargets: readonly ScalerTarget[];
  private readonly states = new Map<string, TargetState>();
  private readonly decisionLog: DecisionRecord[] = [];
  private readonly decisionLogSize: number;
  private readonly tickMs: number;
  private readonly now: () => number;
  private readonly timers: LoopTimers;
  private readonly isLeader: () => boolean;
  private readonly restore: (state: ModelState) => FittedModel;
  private readonly log: (line: string) => void;
  /** Annotated targets of the last successful listing, kept when a listing fails. */
  private discovered: readonly ScalerTarget[] = [];
  private readonly invalidAnnotations = new Map<string, string>();
  private timer: unknown;
  private running: Promise<TickReport> | undefined;
  private started = false;
  private stopped = false;

  /**
   * @throws ScalerError (`invalidTarget`) when a configured target is invalid; RangeError for
   *   calibration options outside their rules.
   */
  constructor(options: ScalerLoopOptions) {
    this.options = options;
    // Checked now rather than at the first tick of every target.
    new FloorCalibration(options.calibration ?? {}).status();
    this.configTargets = (options.targets ?? []).map((spec) =>
      resolveScalerTarget({ ...spec, origin: "config" }),
    );
    this.decisionLogSize = options.decisionLogSize ?? 1000;
    this.tickMs = options.tickMs ?? 60_000;
    this.now = options.now ?? Date.now;
    this.timers = options.timers ?? {
      setTimeout: (callback, ms) => setTimeout(callback, ms),
      clearTimeout: (handle) => {
        clearTimeout(handle as ReturnType<typeof setTimeout>);
      },
    };
    this.isLeader = options.isLeader ?? (() => true);
    this.restore = options.restoreModel ?? defaultRestoreModel;
    this.log = options.log ?? (() => undefined);
    if (!(this.tickMs > 0)) throw new RangeError(`\`tickMs\` (${this.tickMs}) must be > 0`);
    if (!Number.isSafeInteger(this.decisionLogSize) || this.decisionLogSize < 1) {
      throw new RangeError(`\`decisionLogSize\` (${this.decisionLogSize}) must be an integer ≥ 1`);
    }
  }

  /** Runs a tick now and then every `tickMs` until {@link stop}. A second call does nothing. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.schedule(0);
  }

  /**
   * Stops ticking, waits for a running tick, and — when `restore` and this instance is the leader —
   * puts every known target's declared baseline back (graceful shutdown). Never throws; failures are
   * counted and logged.
   */
  async stop(options: { readonly restore?: boolean } = {}): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.running !== undefined) await this.running;
    if (!(options.restore ?? true) || !this.isLeader()) return;
    for (const state of this.states.values()) {
      await this.restoreTarget(state.target, "shutdown");
    }
  }

  /** Runs one tick over all targets (what the timer calls). Never rejects. */
  tick(): Promise<TickReport> {
    if (this.running !== undefined) return this.running;
    const running = this.runTick().finally(() => {
      this.running = undefined;
    });
    this.running = running;
    return running;
  }

  /** The newest decisions, oldest first; at most `limit`, optionally of one target (registry name or HPA). */
  decisions(filter: { readonly target?: string; readonly limit?: number } = {}): DecisionRecord[] {
    const matching =
      filter.target === undefined
        ? this.decisionLog
        : this.decisionLog.filter(
            (record) => record.target === filter.target || record.hpa === filter.target,
          );
    return matching.slice(-(filter.limit ?? this.decisionLogSize));
  }

  /** The targets managed after the last tick (configured and discovered). */
  targets(): ScalerTarget[] {
    return [...this.states.values()].map((state) => state.target);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      const startedAt = this.now();
      const next = (): void => {
        this.schedule(Math.max(0, startedAt + this.tickMs - this.now()));
      };
      // A tick never rejects; scheduling on both paths keeps the loop alive even if one did.
      void this.tick().then(next, next);
    }, delayMs);
  }

  private async runTick(): Promise<TickReport> {
    const atMs = this.now();
    const started = performance.now();
    const leader = this.isLeader();
    this.options.metrics?.leaderState(leader);
    let decided = 0;
    let failed = 0;
    let changes = 0;
    let targets: readonly ScalerTarget[] = [];
    try {
      targets = await this.currentTargets(leader);
      await mapLimited(targets, this.options.concurrency ?? 4, async (target) => {
        try {
          const outcome = await this.processTarget(target, atMs);
          if (outcome.decided) decided++;
          if (outcome.failed) failed++;
          if (outcome.changed) changes++;
        } catch (error) {
          // processTarget handles the failures it expects; this is a bug, kept to this target.
          failed++;
          this.failure(target.name, "process target", error, targetKey(target));
        }
      });
    } catch (error) {
      // Only the target bookkeeping can get here (targets are isolated above).
      failed++;
      this.failure(LOOP_TARGET, "tick", error);
    }
    const durationMs = performance.now() - started;
    this.options.metrics?.tick(durationMs / 1000);
    return { atMs, durationMs, leader, targets: targets.length, decided, failed, changes };
  }

  /** Configured targets plus annotated HPAs; forgets (and, as leader, restores) targets that left. */
  private async currentTargets(leader: boolean): Promise<ScalerTarget[]> {
    if (this.options.discover ?? true) {
      try {
        const listed = await this.options.actuator.listTargets();
        const parsed: ScalerTarget[] = [];
        const seenInvalid = new Set<string>();
        for (const hpa of listed) {
          const key = formatHpaRef(hpa.ref);
          try {
            parsed.push(parseTargetAnnotations(hpa));
            this.invalidAnnotations.delete(key);
          } catch (error) {
            seenInvalid.add(key);
            this.options.metrics?.error(key, errorCode(error));
            // Logged when it first appears or changes, not every tick.
            if (this.invalidAnnotations.get(key) !== errorMessage(error)) {
              this.invalidAnnotations.set(key, errorMessage(error));
              this.failure(key, "annotations", error);
            }
          }
        }
        for (const key of this.invalidAnnotations.keys())
          if (!seenInvalid.has(key)) this.invalidAnnotations.delete(key);
        this.discovered = parsed;
      } catch (error) {
        this.failure(LOOP_TARGET, "list targets", error);
      }
    }
    const byKey = new Map<string, ScalerTarget>();
    for (const target of this.discovered) byKey.set(targetKey(target), target);
    // A target declared in config wins over annotations on the same HPA.
    for (const target of this.configTargets) byKey.set(targetKey(target), target);

    for (const [key, state] of this.states) {
      if (byKey.has(key)) continue;
      this.states.delete(key);
      this.options.metrics?.forget(state.target.name);
      this.options.startupLead?.forget(state.target);
      this.log(`scaler target removed target=${state.target.name} hpa=${key}`);
      if (leader) await this.restoreTarget(state.target, "target removed");
    }
    for (const [key, target] of byKey) {
      const state = this.states.get(key);
      if (state === undefined) this.states.set(key, { target });
      else state.target = target;
    }
    const targets = [...byKey.values()];
    this.options.metrics?.targetCounts({
      [ScalerMode.shadow]: targets.filter((target) => target.mode === ScalerMode.shadow).length,
      [ScalerMode.active]: targets.filter((target) => target.mode === ScalerMode.active).length,
    });
    return targets;
  }

  private async processTarget(
    target: ScalerTarget,
    nowMs: number,
  ): Promise<{ decided: boolean; failed: boolean; changed: boolean }> {
    const key = targetKey(target);
    const state = this.states.get(key) ?? { target };
    const metrics = this.options.metrics;
    let hpa: HpaState;
    try {
      hpa = await this.options.actuator.readHpa(target.hpa);
    } catch (error) {
      state.lastError = errorMessage(error);
      this.failure(target.name, "read HPA", error, key);
      return { decided: false, failed: true, changed: false };
    }

    const lead = await this.lead(target, hpa, nowMs);
    metrics?.lead(target.name, lead);
    const forecast = await this.forecast(state, nowMs, lead);
    if (forecast.record === undefined) metrics?.noForecast(target.name);
    else metrics?.forecast(target.name, forecast.record.peakLoad, forecast.record.requiredReplicas);
    const outage = await this.probeOutage(target, hpa);
    const leader = this.isLeader();
    const acting = target.mode === ScalerMode.active && leader;
    if (state.acting !== acting) {
      // The timer and shadow floor were about another floor than the one in force now.
      delete state.lowSinceMs;
      delete state.virtualFloor;
      state.acting = acting;
    }
    const currentFloor = acting ? hpa.minReplicas : (state.virtualFloor ?? hpa.minReplicas);

    let decision: FloorDecision;
    try {
      decision = decideFloor({
        nowMs,
        policy: {
          baselineMinReplicas: hpa.baselineMinReplicas,
          maxReplicas: hpa.maxReplicas,
          maxStepUp: target.maxStepUp,
          maxStepDown: target.maxStepDown,
          scaleDownCooldownMs: target.scaleDownCooldownMs,
          maxForecastAgeMs: this.maxForecastAgeMs(target, state.cached),
        },
        currentFloor,
        ...(forecast.input === undefined ? {} : { forecast: forecast.input }),
        ...(forecast.error === undefined ? {} : { forecastError: forecast.error }),
        outage,
        ...(state.lowSinceMs === undefined ? {} : { lowSinceMs: state.lowSinceMs }),
      });
    } catch (error) {
      const wrapped = new ScalerError(
        ScalerErrorCode.invalidTarget,
        `HPA ${key} cannot be decided on: ${errorMessage(error)}`,
        { cause: error },
      );
      state.lastError = wrapped.message;
      this.failure(target.name, "decide", wrapped, key);
      return { decided: false, failed: true, changed: false };
    }
    if (decision.lowSinceMs === undefined) delete state.lowSinceMs;
    else state.lowSinceMs = decision.lowSinceMs;
    if (acting) delete state.virtualFloor;
    else state.virtualFloor = decision.floor;

    let change: FloorChange | undefined;
    let actionError: string | undefined;
    if (acting) {
      ({ change, actionError } = await this.apply(target, hpa, decision));
    } else if (leader && target.mode === ScalerMode.shadow && hpa.baselineRecorded) {
      // A floor left raised from active mode: shadow mode hands the HPA back to its owner's setting.
      const restored = await this.restoreTarget(target, "now in shadow mode");
      change = restored.change;
      actionError = restored.actionError;
    }

    const record: DecisionRecord = {
      atMs: nowMs,
      target: target.name,
      hpa: key,
      mode: target.mode,
      leader,
      acting,
      currentFloor,
      baselineMinReplicas: hpa.baselineMinReplicas,
      maxReplicas: hpa.maxReplicas,
      currentReplicas: hpa.currentReplicas,
      outage,
      lead: {
        leadMs: lead.leadMs,
        source: lead.source,
        ...(lead.measuredMs === undefined ? {} : { measuredMs: lead.measuredMs }),
        pods: lead.pods,
      },
      decision,
      ...(forecast.record === undefined ? {} : { forecast: forecast.record }),
      ...(forecast.error === undefined ? {} : { forecastError: forecast.error }),
      ...(change === undefined ? {} : { change }),
      ...(actionError === undefined ? {} : { actionError }),
    };
    this.remember(record);
    metrics?.decision(target.name, decision.reason, target.mode, decision.floor, hpa.baselineMinReplicas);
    if (
      decision.reason !== state.lastReason ||
      decision.floor !== state.lastFloor ||
      change?.changed === true
    ) {
      this.log(
        `scaler decision target=${target.name} hpa=${key} mode=${target.mode} acting=${acting} ` +
          `floor=${currentFloor}->${decision.floor} reason=${decision.reason} applied=${change?.changed === true} ` +
          `detail=${JSON.stringify(decision.detail)}`,
      );
    }
    state.lastReason = decision.reason;
    state.lastFloor = decision.floor;
    if (actionError === undefined) delete state.lastError;
    else state.lastError = actionError;
    return { decided: true, failed: actionError !== undefined, changed: change?.changed === true };
  }

  /** Writes the decided floor; lowering back to the baseline restores it (removing the annotation). */
  private async apply(
    target: ScalerTarget,
    hpa: HpaState,
    decision: FloorDecision,
  ): Promise<{ change?: FloorChange; actionError?: string }> {
    const key = targetKey(target);
    const restoring = decision.floor === hpa.baselineMinReplicas && hpa.baselineRecorded;
    if (!restoring && decision.floor === hpa.minReplicas) return {};
    if (!this.isLeader()) {
      this.log(
        `scaler leadership lost target=${target.name} hpa=${key}: floor ${decision.floor} not applied`,
      );
      return {};
    }
    if (restoring) return this.restoreTarget(target, decision.detail);
    try {
      const change = await this.options.actuator.setFloor(target.hpa, decision.floor, decision);
      if (change.changed) {
        const action = change.minReplicas > change.previousMinReplicas ? "raise" : "lower";
        this.options.metrics?.action(target.name, action);
        await this.event(target, {
          type: "Normal",
          reason: action === "raise" ? "PresageFloorRaised" : "PresageFloorLowered",
          message: `minReplicas ${change.previousMinReplicas} → ${change.minReplicas}: ${decision.detail}`,
        });
      }
      return { change };
    } catch (error) {
      this.failure(target.name, "set floor", error, key);
      return { actionError: errorMessage(error) };
    }
  }

  private async restoreTarget(
    target: ScalerTarget,
    why: string,
  ): Promise<{ change?: FloorChange; actionError?: string }> {
    const key = targetKey(target);
    try {
      const change = await this.options.actuator.restoreBaseline(target.hpa);
      if (change.changed) {
        this.options.metrics?.action(target.name, "restore");
        this.log(
          `scaler baseline restored target=${target.name} hpa=${key} minReplicas=${change.previousMinReplicas}->${change.minReplicas} why=${JSON.stringify(why)}`,
        );
        await this.event(target, {
          type: "Normal",
          reason: "PresageBaselineRestored",
          message: `minReplicas ${change.previousMinReplicas} → ${change.minReplicas} (declared baseline): ${why}`,
        });
      }
      return { change };
    } catch (error) {
      if (errorCode(error) === ScalerErrorCode.hpaNotFound && why === "target removed") return {};
      this.failure(target.name, "restore baseline", error, key);
      return { actionError: errorMessage(error) };
    }
  }

  private async event(
    target: ScalerTarget,
    event: Parameters<ScalerActuator["emitEvent"]>[1],
  ): Promise<void> {
    try {
      await this.options.actuator.emitEvent(target.hpa, event);
    } catch (error) {
      // The floor is already written; a lost event is reported, not retried.
      this.failure(target.name, "emit event", error, targetKey(target));
    }
  }

  /** The target's lead this tick: measured when a tracker is configured and has data, else configured. */
  private async lead(target: ScalerTarget, hpa: HpaState, nowMs: number): Promise<StartupLead> {
    const tracker = this.options.startupLead;
    if (tracker === undefined) return configuredLead(target);
    const tracked = await tracker.lead(target, hpa, nowMs);
    if (tracked.error !== undefined) {
      this.failure(
        target.name,
        "measure lead",
        new ScalerError(
          ScalerErrorCode.startupLeadFailed,
          `pod start-up times could not be read (${tracked.lead.detail}): ${errorMessage(tracked.error)}`,
          { cause: tracked.error },
        ),
        targetKey(target),
      );
    }
    return tracked.lead;
  }

  private async probeOutage(target: ScalerTarget, hpa: HpaState): Promise<boolean> {
    const probe = this.options.outage;
    if (probe === undefined) return false;
    try {
      return await probe(target, hpa);
    } catch (error) {
      this.failure(
        target.name,
        "outage probe",
        new ScalerError(ScalerErrorCode.outageProbeFailed, `outage probe failed: ${errorMessage(error)}`, {
          cause: error,
        }),
        targetKey(target),
      );
      return false;
    }
  }

  /**
   * The target's current model advanced to the newest points, and what it asks for. Never throws:
   * a missing model or a failed forecast becomes `error` (and the decision goes back to the baseline).
   */
  private async forecast(state: TargetState, nowMs: number, lead: StartupLead): Promise<ForecastOutcome> {
    const target = state.target;
    const key = targetKey(target);
    let cached: CachedModel;
    try {
      cached = await this.currentModel(state);
    } catch (error) {
      this.failure(target.name, "load model", error, key);
      return { error: errorMessage(error) };
    }
    const { stepSeconds } = cached;
    // Past instants are sized as live ticks are: as far into a step as this tick is.
    const phaseMs = nowMs % (stepSeconds * 1000);
    const recordPast: PastForecastRecorder = (model, dataEndMs) => {
      this.recordPastForecast(state, model, { dataEndMs, stepSeconds, nowMs: dataEndMs + phaseMs }, lead);
    };
    if (state.calibrationWarmed !== true) await this.warmCalibration(state, cached, recordPast);
    cached = await this.advance(state, cached, nowMs, recordPast);
    const ageMs = nowMs - cached.dataEndMs;
    const limitMs = this.maxForecastAgeMs(target, cached);
    if (ageMs > limitMs) {
      return {
        error: `the forecast is stale: the newest load point is ${formatDuration(ageMs)} old, limit ${formatDuration(limitMs)} (model v${cached.version})`,
      };
    }
    try {
      const required = this.sizeFloor(
        state,
        cached.model,
        { dataEndMs: cached.dataEndMs, stepSeconds: cached.stepSeconds, nowMs },
        lead,
        target.calibrate,
      );
      return {
        input: {
          requiredReplicas: required.replicas,
          createdAtMs: cached.dataEndMs,
          detail: `${required.detail}, ${lead.detail}, ${required.model} v${cached.version}`,
        },
        record: {
          requiredReplicas: required.replicas,
          peakLoad: required.peakLoad,
          quantile: required.quantile,
          model: required.model,
          modelVersion: cached.version,
          dataEndMs: cached.dataEndMs,
          fromStep: required.fromStep,
          toStep: required.toStep,
        },
      };
    } catch (error) {
      const wrapped =
        error instanceof ScalerError
          ? error
          : new ScalerError(ScalerErrorCode.forecastFailed, errorMessage(error), { cause: error });
      this.failure(target.name, "forecast", wrapped, key);
      return { error: `forecast failed: ${wrapped.message}` };
    }
  }

  /** The registry's current model, restored once per version and cached. */
  private async currentModel(state: TargetState): Promise<CachedModel> {
    const name = state.target.name;
    const artifact = await this.options.registry.current(name);
    if (artifact === undefined) {
      delete state.cached;
      throw new ScalerError(
        ScalerErrorCode.noModel,
        `no current model for target "${name}" in the registry (train it first)`,
      );
    }
    if (state.cached?.version === artifact.version) return state.cached;
    let model: FittedModel;
    try {
      model = this.restore(artifact.state);
    } catch (error) {
      throw new ScalerError(
        ScalerErrorCode.forecastFailed,
        `model v${artifact.version} of "${name}" cannot be restored: ${errorMessage(error)}`,
        { cause: error },
      );
    }
    const cached = {
      version: artifact.version,
      model,
      dataEndMs: artifact.dataRange.endMs,
      stepSeconds: artifact.dataRange.stepSeconds,
    };
    state.cached = cached;
    this.log(
      `scaler model loaded target=${name} version=${artifact.version} model=${JSON.stringify(artifact.modelName)} dataEnd=${new Date(artifact.dataRange.endMs).toISOString()}`,
    );
    return cached;
  }

  /**
   * Feeds the model the points observed since its data end (no refit). Gaps inside the fetched range
   * are interpolated so the model's seasonal phase stays aligned with the clock; trailing gaps are left
   * for the next tick. A failed fetch is counted and logged; the model stays where it was (and turns
   * stale if fetches keep failing).
   *
   * Catching up on more than one step (after a start, a new model version or an outage), the model is
   * advanced a step at a time and `recordPast` is called at each past instant, so the floor calibration
   * learns from the forecasts the loop would have made then (all out of sample: the model's data ended
   * before). Without this a restarted loop sized floors on the model's own intervals for a day.
   */
  private async advance(
    state: TargetState,
    cached: CachedModel,
    nowMs: number,
    recordPast: PastForecastRecorder,
  ): Promise<CachedModel> {
    const stepMs = cached.stepSeconds * 1000;
    const latestMs = Math.floor(nowMs / stepMs) * stepMs;
    const current = await this.feed(state, cached, latestMs, recordPast);
    state.cached = current;
    return current;
  }

  /**
   * `advance` up to `latestMs` (a step boundary) without touching the target's cached model; with
   * `recordPast`, a backlog of more than one step is walked a step at a time (see `advance`).
   */
  private async feed(
    state: TargetState,
    cached: CachedModel,
    latestMs: number,
    recordPast?: PastForecastRecorder,
  ): Promise<CachedModel> {
    const stepMs = cached.stepSeconds * 1000;
    const catchingUp = recordPast !== undefined && latestMs - cached.dataEndMs > stepMs;
    let current = cached;
    while (latestMs - current.dataEndMs >= stepMs) {
      const startMs = current.dataEndMs + stepMs;
      const endMs = Math.min(latestMs, startMs + (MAX_FETCH_STEPS - 1) * stepMs);
      let values: number[];
      try {
        const series = await this.options.source.fetchRange({
          query: state.target.loadQuery,
          startMs,
          endMs,
          stepSeconds: cached.stepSeconds,
        });
        const seriesStart = series.startMs ?? startMs;
        const skip = Math.max(0, Math.round((current.dataEndMs + stepMs - seriesStart) / stepMs));
        values = series.values.slice(skip);
      } catch (error) {
        this.failure(state.target.name, "fetch load", error, targetKey(state.target));
        break;
      }
      const filled = fillGaps(values);
      if (filled.length === 0) break;
      // Measured values only (interpolated ones are not what happened), and only those consumed now:
      // a trailing gap is fetched again next tick.
      const calibration = this.calibrationOf(state);
      try {
        if (catchingUp) {
          let { model, dataEndMs } = current;
          for (const [index, value] of filled.entries()) {
            // A week of steps is seconds of work: let lease renewals and HTTP in between.
            if (index > 0 && index % CATCH_UP_YIELD_STEPS === 0) await setImmediatePromise();
            dataEndMs += stepMs;
            calibration.observe(dataEndMs, values[index] ?? Number.NaN);
            model = model.update([value]);
            // The newest instant is this tick's own forecast.
            if (dataEndMs < latestMs) recordPast(model, dataEndMs);
          }
          current = { ...current, model, dataEndMs };
        } else {
          values.slice(0, filled.length).forEach((value, index) => {
            calibration.observe(current.dataEndMs + (index + 1) * stepMs, value);
          });
          current = {
            ...current,
            model: current.model.update(filled),
            dataEndMs: current.dataEndMs + filled.length * stepMs,
          };
        }
      } catch (error) {
        this.failure(
          state.target.name,
          "update model",
          new ScalerError(ScalerErrorCode.forecastFailed, `model update failed: ${errorMessage(error)}`, {
            cause: error,
          }),
          targetKey(state.target),
        );
        break;
      }
      // A range ending in a gap is picked up again next tick.
      if (filled.length < values.length) break;
    }
    return current;
  }

  /**
   * Once per target, when its calibration has nothing yet (the loop just started): the newest older
   * model version in the registry is replayed over the data between its end and the current model's
   * (the last `minPairsPerStep` + {@link WARM_MARGIN_STEPS} steps of it), recording the forecasts it
   * would have made — out of sample for that version. With daily retraining this gives the calibration
   * its day of pairs at start-up; the current model's own catch-up (`advance`) adds the rest.
   * Best effort: anything missing or failing leaves the calibration to learn live.
   */
  private async warmCalibration(
    state: TargetState,
    cached: CachedModel,
    recordPast: PastForecastRecorder,
  ): Promise<void> {
    state.calibrationWarmed = true;
    const calibration = this.calibrationOf(state);
    if (calibration.status().minPairs > 0) return;
    const registry = this.options.registry;
    if (registry.listVersions === undefined || registry.get === undefined) return;
    const name = state.target.name;
    const stepMs = cached.stepSeconds * 1000;
    try {
      const older = (await registry.listVersions(name))
        .filter(
          (summary) =>
            summary.dataRange.stepSeconds === cached.stepSeconds &&
            summary.dataRange.endMs < cached.dataEndMs,
        )
        .sort((a, b) => b.dataRange.endMs - a.dataRange.endMs)[0];
      if (older === undefined) return;
      const artifact = await registry.get(name, older.version);
      if (artifact === undefined) return;
      let prior: CachedModel = {
        version: artifact.version,
        model: this.restore(artifact.state),
        dataEndMs: artifact.dataRange.endMs,
        stepSeconds: artifact.dataRange.stepSeconds,
      };
      const replayFromMs = cached.dataEndMs - (calibration.minPairsPerStep + WARM_MARGIN_STEPS) * stepMs;
      if (prior.dataEndMs < replayFromMs) prior = await this.feed(state, prior, replayFromMs);
      prior = await this.feed(state, prior, cached.dataEndMs, recordPast);
      const status = calibration.status();
      this.log(
        `scaler calibration warmed target=${name} from=v${artifact.version} until=${new Date(prior.dataEndMs).toISOString()} pairs=${status.minPairs} calibratedSteps=${status.calibratedSteps}`,
      );
    } catch (error) {
      this.log(`scaler calibration not warmed target=${name}: ${errorMessage(error)}`);
    }
  }

  /**
   * What the forecast at `at` asks for over `[now + lead, now + lead + window]`, on calibrated
   * quantiles when `calibrated` (and the calibration has enough pairs); its point forecast is recorded
   * for the calibration either way. Throws what `requiredReplicas` throws.
   */
  private sizeFloor(
    state: TargetState,
    model: FittedModel,
    at: { readonly dataEndMs: number; readonly stepSeconds: number; readonly nowMs: number },
    lead: StartupLead,
    calibrated: boolean,
  ): RequiredReplicas {
    const { target } = state;
    const calibration = this.calibrationOf(state);
    const window = forecastWindowSteps({ ...at, leadMs: lead.leadMs, windowMs: target.windowMs });
    const required = requiredReplicas(model, {
      ...window,
      podCapacity: target.podCapacity,
      quantile: target.quantile,
      ...(calibrated ? { calibration } : {}),
    });
    calibration.recordForecast(
      at.dataEndMs,
      at.stepSeconds * 1000,
      required.pointForecast,
      required.fromStep,
      required.toStep,
    );
    return required;
  }

  /**
   * The forecast the loop would have sized a floor from at a past instant (`at.nowMs`, as far after
   * the data end as live ticks run), recorded for the calibration only. One that fails is not recorded.
   */
  private recordPastForecast(
    state: TargetState,
    model: FittedModel,
    at: { readonly dataEndMs: number; readonly stepSeconds: number; readonly nowMs: number },
    lead: StartupLead,
  ): void {
    try {
      // Only the point forecast is recorded: no replicas, no intervals.
      const { fromStep, toStep } = forecastWindowSteps({
        ...at,
        leadMs: lead.leadMs,
        windowMs: state.target.windowMs,
      });
      const { mean } = model.predict(toStep, { levels: [] });
      this.calibrationOf(state).recordForecast(at.dataEndMs, at.stepSeconds * 1000, mean, fromStep, toStep);
    } catch {
      // Only the calibration loses a pair; the live forecast reports its own failures.
    }
  }

  /**
   * The target's calibration. It learns even while unused (`calibrate: false`), so switching it on
   * needs no new warm-up; a changed noise exponent starts it over (its scores would not compare).
   */
  private calibrationOf(state: TargetState): FloorCalibration {
    if (state.calibration?.noiseExponent !== state.target.noiseExponent) {
      state.calibration = new FloorCalibration({
        ...this.options.calibration,
        noiseExponent: state.target.noiseExponent,
      });
    }
    return state.calibration;
  }

  private maxForecastAgeMs(target: ScalerTarget, cached: CachedModel | undefined): number {
    if (target.maxForecastAgeMs !== undefined) return target.maxForecastAgeMs;
    const stepMs = (cached?.stepSeconds ?? 60) * 1000;
    return Math.max(MIN_DEFAULT_FORECAST_AGE_MS, 3 * stepMs);
  }

  private remember(record: DecisionRecord): void {
    this.decisionLog.push(record);
    if (this.decisionLog.length > this.decisionLogSize) {
      this.decisionLog.splice(0, this.decisionLog.length - this.decisionLogSize);
    }
    try {
      this.options.onDecision?.(record);
    } catch (error) {
      this.failure(record.target, "onDecision callback", error, record.hpa);
    }
  }

  private failure(target: string, during: string, error: unknown, hpa?: string): void {
    const code = errorCode(error);
    this.options.metrics?.error(target, code);
    this.log(
      `scaler error target=${target}${hpa === undefined ? "" : ` hpa=${hpa}`} during=${JSON.stringify(during)} code=${code} ` +
        `message=${JSON.stringify(errorMessage(error))}`,
    );
  }
}

/**
 * Values up to the last finite one, with gaps inside linearly interpolated (leading gaps take the
 * first finite value); empty when nothing is finite.
 */
export function fillGaps(values: readonly number[]): number[] {
  let last = values.length - 1;
  while (last >= 0 && !Number.isFinite(values[last])) last--;
  if (last < 0) return [];
  const out = values.slice(0, last + 1);
  let previous = -1;
  for (let index = 0; index <= last; index++) {
    const value = out[index] ?? Number.NaN;
    if (!Number.isFinite(value)) continue;
    if (index - previous > 1) {
      const from = previous < 0 ? value : (out[previous] ?? value);
      for (let gap = previous + 1; gap < index; gap++) {
        out[gap] = previous < 0 ? value : from + ((value - from) * (gap - previous)) / (index - previous);
      }
    }
    previous = index;
  }
  return out;
}

async function mapLimited<T>(
  items: readonly T[],
  limit: number,
  body: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await body(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}
