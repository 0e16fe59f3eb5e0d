import { createAnomalyDetector } from "../../models/anomaly/anomaly-detector-catalog.js";
import type { StreamingAnomalyDetector } from "../../models/anomaly/anomaly-detector.js";
import { ExhaustionForecaster } from "../../models/anomaly/exhaustion-forecaster.js";
import type { AlertReceipt } from "../remediation/execution/remediation-engine.js";
import type { PredictionMark, PredictionOutcome } from "../remediation/ledger/incident-event.js";
import type { Incident } from "../remediation/ledger/incident.js";
import { errorMessage } from "../remediation/remediation-error.js";
import type { ReceivedAlert } from "../remediation/alerting/alertmanager-payload.js";
import { decideAnomaly } from "./decide-anomaly.js";
import { decidePrediction } from "./decide-prediction.js";
import { judgePrediction } from "./judge-prediction.js";
import { labelsAgree, seriesKey, type LabelledSeries, type LabelledSeriesSource } from "./labelled-series.js";
import type { AnomalySpec, PredictionSpec, ResolvedPredictionConfig } from "./prediction-config.js";
import { anomalyAlert, PredictionLabel, predictionAlert, type PredictionAlert } from "./prediction-alert.js";
import type { PredictionMetrics } from "./prediction-metrics.js";

/**
 * Port: what the predictor needs of remediation (the `RemediationEngine` implements it): raise a
 * prediction through runbooks, guards and ledger; read incidents back; record a verdict once.
 */
export interface PredictionRemediation {
  receivePrediction(alert: ReceivedAlert, prediction: PredictionMark): Promise<AlertReceipt>;
  recordPredictionOutcome(incidentId: string, outcome: PredictionOutcome, detail: string): Promise<boolean>;
  incident(id: string): Promise<Incident | undefined>;
  incidents(limit?: number): Promise<Incident[]>;
}

/** Options of {@link FailurePredictor}. */
export interface FailurePredictorOptions {
  readonly config: ResolvedPredictionConfig;
  readonly source: LabelledSeriesSource;
  readonly remediation: PredictionRemediation;
  /** @defaultValue none */
  readonly metrics?: PredictionMetrics;
  /** @defaultValue Date.now */
  readonly now?: () => number;
  /** @defaultValue none */
  readonly log?: (line: string) => void;
}

/** One series' carried state: its streaming forecaster and the episode flags. */
interface SeriesState {
  readonly labels: Readonly<Record<string, string>>;
  limit: number;
  forecaster: ExhaustionForecaster;
  lastPointMs: number;
  lastValue: number;
  /** False once a prediction was raised, until the probability falls below half the threshold. */
  armed: boolean;
  /** Times points at or above the limit were seen (the newest few), for verdicts. */
  limitHitsMs: number[];
  seenAtMs: number;
}

/** One series' state of an anomaly prediction: its streaming detector. */
interface AnomalyState {
  readonly detector: StreamingAnomalyDetector;
  points: number;
  lastPointMs: number;
  armed: boolean;
  lastRaisedAtMs?: number;
  seenAtMs: number;
}

/** What judging needs of a prediction of either kind. */
type JudgedSpec = Pick<PredictionSpec, "name" | "horizonMs" | "failure" | "labels">;

/** A raised prediction waiting for its verdict. */
interface PendingPrediction {
  readonly incidentId: string;
  readonly spec: JudgedSpec;
  readonly seriesKey: string;
  readonly seriesLabels: Readonly<Record<string, string>>;
  readonly raisedAtMs: number;
}

/** What one tick did, for logs and tests. */
export interface PredictorTick {
  readonly series: number;
  readonly raised: number;
  readonly judged: number;
  readonly failures: number;
}

/** A series' current forecast, for status pages and tests. */
export interface SeriesForecast {
  readonly prediction: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly limit: number;
  readonly level: number;
  readonly timeToLimitMs: number;
  readonly probability: number;
  readonly points: number;
  readonly armed: boolean;
}

const LIMIT_HITS_KEPT = 8;

/**
 * The failure predictor loop. Every `interval` it reads each configured prediction's newest points
 * from Prometheus (one range query for the resource, one for the limit), advances a streaming
 * {@link ExhaustionForecaster} per series — O(1) per point, state kept per series — and, when
 * P(limit reached within the horizon) ≥ the threshold (`decidePrediction`), raises a synthetic alert
 * into the remediation engine, marked preventive: the same runbook matching, guards and ledger as an
 * Alertmanager alert. Raised predictions are then judged (`judgePrediction`): prevented when the
 * failure did not show within horizon + grace after the action, missed when it did (the resource at
 * its limit, a sample of the failure query, a failure alert in the ledger).
 *
 * A failed read or raise is counted, logged and retried next tick; the loop never stops on one.
 * Reads are aligned to whole steps, so replicas that cross the threshold at the same point raise the
 * same incident (fingerprint + startsAt: claimed once); otherwise the per-target cooldown refuses the
 * duplicate action. Prefer running it on one replica.
 */
export class FailurePredictor {
  private readonly now: () => number;
  private readonly log: (line: string) => void;
  private readonly series = new Map<string, Map<string, SeriesState>>();
  private readonly anomalySeries = new Map<string, Map<string, AnomalyState>>();
  /** Per prediction: the end of the last successful read. */
  private readonly readUntilMs = new Map<string, number>();
  private readonly pending = new Map<string, PendingPrediction>();
  private recovered = false;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = true;

  constructor(private readonly options: FailurePredictorOptions) {
    this.now = options.now ?? Date.now;
    this.log = options.log ?? (() => undefined);
    for (const spec of options.config.predictions) this.series.set(spec.name, new Map());
  }

  /** Ticks every `interval` until {@link stop} (the first tick at once). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops ticking and waits for a tick in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One pass over every prediction, then the verdicts; never throws. */
  async tick(): Promise<PredictorTick> {
    const nowMs = this.now();
    const metrics = this.options.metrics;
    let failures = 0;
    if (!this.recovered) {
      try {
        await this.recover();
        this.recovered = true;
      } catch (error) {
        failures++;
        metrics?.failures.inc({ prediction: "", phase: "recover" });
        this.log(`prediction: could not read pending predictions from the ledger: ${errorMessage(error)}`);
      }
    }
    let raised = 0;
    let seriesCount = 0;
    for (const spec of this.options.config.predictions) {
      const outcome = await this.tickPrediction(spec, nowMs).catch((error: unknown) =>
        this.unexpected(spec.name, error),
      );
      raised += outcome.raised;
      failures += outcome.failures;
      seriesCount += this.seriesOf(spec).size;
      metrics?.series.set({ prediction: spec.name }, this.seriesOf(spec).size);
    }
    for (const spec of this.options.config.anomalies) {
      const outcome = await this.tickAnomaly(spec, nowMs).catch((error: unknown) =>
        this.unexpected(spec.name, error),
      );
      raised += outcome.raised;
      failures += outcome.failures;
      const states = this.anomalySeries.get(spec.name)?.size ?? 0;
      seriesCount += states;
      metrics?.series.set({ prediction: spec.name }, states);
    }
    const judged = await this.judgePending(nowMs);
    failures += judged.failures;
    metrics?.pending.set(this.pending.size);
    return { series: seriesCount, raised, judged: judged.judged, failures };
  }

  /** A failure no step expected (a bug, bad data): counted and logged, the loop goes on. */
  private unexpected(prediction: string, error: unknown): { raised: number; failures: number } {
    this.options.metrics?.failures.inc({ prediction, phase: "tick" });
    this.log(`prediction ${prediction}: tick failed: ${errorMessage(error)}`);
    return { raised: 0, failures: 1 };
  }

  /** The current forecast of every series (for status pages and tests). */
  forecasts(): SeriesForecast[] {
    const out: SeriesForecast[] = [];
    for (const spec of this.options.config.predictions) {
      for (const state of this.seriesOf(spec).values()) {
        const estimate = state.forecaster.estimate();
        out.push({
          prediction: spec.name,
          labels: state.labels,
          limit: state.limit,
          level: estimate.level,
          timeToLimitMs: estimate.timeToLimitMs,
          probability: state.forecaster.probabilityWithin(spec.horizonMs),
          points: estimate.points,
          armed: state.armed,
        });
      }
    }
    return out;
  }

  /** Incident ids of raised predictions still waiting for their verdict. */
  pendingIncidents(): string[] {
    return [...this.pending.keys()];
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const run = this.tick()
        .catch((error: unknown) => {
          this.log(`prediction: tick failed: ${errorMessage(error)}`);
        })
        .finally(() => {
          this.running = undefined;
          this.schedule(this.options.config.intervalMs);
        });
      this.running = run;
    }, delayMs);
    this.timer.unref();
  }

  private seriesOf(spec: PredictionSpec): Map<string, SeriesState> {
    let map = this.series.get(spec.name);
    if (map === undefined) {
      map = new Map();
      this.series.set(spec.name, map);
    }
    return map;
  }

  private async tickPrediction(
    spec: PredictionSpec,
    nowMs: number,
  ): Promise<{ raised: number; failures: number }> {
    const config = this.options.config;
    const metrics = this.options.metrics;
    const fail = (phase: string, error: unknown): { raised: number; failures: number } => {
      metrics?.failures.inc({ prediction: spec.name, phase });
      this.log(`prediction ${spec.name}: ${phase} failed: ${errorMessage(error)}`);
      return { raised: 0, failures: 1 };
    };
    const previousEnd = this.readUntilMs.get(spec.name);
    const { startMs, endMs } = readWindow(nowMs, previousEnd, config.lookbackMs, config.stepMs);
    let readings: LabelledSeries[];
    try {
      readings = await this.options.source.fetchSeries({
        query: spec.query,
        startMs,
        endMs,
        stepMs: config.stepMs,
      });
    } catch (error) {
      return fail("read", error);
    }
    let limits: LabelledSeries[] = [];
    if (spec.limit.query !== undefined) {
      try {
        limits = await this.options.source.fetchSeries({
          query: spec.limit.query,
          startMs: nowMs - Math.max(config.staleAfterMs, 2 * config.stepMs),
          endMs: nowMs,
          stepMs: config.stepMs,
        });
      } catch (error) {
        return fail("limit", error);
      }
    }
    this.readUntilMs.set(spec.name, endMs);
    const states = this.seriesOf(spec);
    const pendingSeries = new Set(
      [...this.pending.values()].filter((entry) => entry.spec === spec).map((entry) => entry.seriesKey),
    );
    let raised = 0;
    let failures = 0;
    for (const reading of readings) {
      const key = seriesKey(reading.labels);
      const limit = spec.limit.value ?? tightestLimit(reading.labels, limits, spec.limit.on);
      if (limit === undefined) {
        metrics?.skipped.inc({ prediction: spec.name, reason: "no-limit" });
        continue;
      }
      let state = states.get(key);
      if (state === undefined) {
        if (states.size >= config.maxSeries) {
          metrics?.skipped.inc({ prediction: spec.name, reason: "max-series" });
          continue;
        }
        state = {
          labels: reading.labels,
          limit,
          forecaster: this.forecaster(spec, limit),
          lastPointMs: Number.NEGATIVE_INFINITY,
          lastValue: Number.NaN,
          armed: true,
          limitHitsMs: [],
          seenAtMs: nowMs,
        };
        states.set(key, state);
      }
      state.seenAtMs = nowMs;
      if (state.limit !== limit) {
        // A new limit (the container was resized): the fit is kept as points, not as sums, so start over.
        state.limit = limit;
        state.forecaster = this.forecaster(spec, limit);
      }
      this.advance(spec, state, reading);
      const estimate = state.forecaster.estimate();
      const probability = state.forecaster.probabilityWithin(spec.horizonMs);
      const decision = decidePrediction({
        nowMs,
        newestPointMs: state.lastPointMs,
        estimate,
        probability,
        threshold: spec.threshold,
        minPoints: spec.minPoints,
        staleAfterMs: config.staleAfterMs,
        armed: state.armed,
      });
      if (decision.kind === "hold") {
        state.armed = decision.armed;
        continue;
      }
      const raisedAlert = predictionAlert({
        spec,
        graceMs: config.graceMs,
        seriesLabels: reading.labels,
        limit,
        estimate,
        probability,
        atMs: state.lastPointMs,
      });
      if (await this.raise(spec, key, reading.labels, raisedAlert, nowMs)) {
        state.armed = false;
        raised++;
        pendingSeries.add(key);
      } else {
        // Still armed: the next tick raises it again.
        failures++;
      }
    }
    for (const [key, state] of states) {
      if (nowMs - state.seenAtMs > config.lookbackMs && !pendingSeries.has(key)) states.delete(key);
    }
    return { raised, failures };
  }

  /** Raises one prediction into remediation and tracks it for its verdict; false when that failed. */
  private async raise(
    spec: JudgedSpec,
    key: string,
    seriesLabels: Readonly<Record<string, string>>,
    raised: PredictionAlert,
    nowMs: number,
  ): Promise<boolean> {
    const metrics = this.options.metrics;
    try {
      const receipt = await this.options.remediation.receivePrediction(raised.alert, raised.mark);
      metrics?.raised.inc({ prediction: spec.name, outcome: receipt.outcome });
      this.log(
        `prediction ${spec.name} raised for ${key}: ${raised.alert.annotations.summary ?? ""} → ${receipt.outcome}${receipt.runbook === undefined ? "" : ` (${receipt.runbook})`}${receipt.detail === undefined ? "" : `: ${receipt.detail}`}`,
      );
      this.pending.set(receipt.incidentId, {
        incidentId: receipt.incidentId,
        spec,
        seriesKey: key,
        seriesLabels,
        raisedAtMs: nowMs,
      });
      return true;
    } catch (error) {
      metrics?.failures.inc({ prediction: spec.name, phase: "raise" });
      this.log(`prediction ${spec.name}: raise failed: ${errorMessage(error)}`);
      return false;
    }
  }

  /** One anomaly prediction: new points through each series' detector, raise on a high score. */
  private async tickAnomaly(spec: AnomalySpec, nowMs: number): Promise<{ raised: number; failures: number }> {
    const config = this.options.config;
    const metrics = this.options.metrics;
    const previousEnd = this.readUntilMs.get(spec.name);
    let readings: LabelledSeries[];
    try {
      readings = await this.options.source.fetchSeries({
        query: spec.query,
        ...readWindow(nowMs, previousEnd, config.lookbackMs, config.stepMs),
        stepMs: config.stepMs,
      });
    } catch (error) {
      metrics?.failures.inc({ prediction: spec.name, phase: "read" });
      this.log(`prediction ${spec.name}: read failed: ${errorMessage(error)}`);
      return { raised: 0, failures: 1 };
    }
    this.readUntilMs.set(spec.name, alignDown(nowMs, config.stepMs));
    let states = this.anomalySeries.get(spec.name);
    if (states === undefined) {
      states = new Map();
      this.anomalySeries.set(spec.name, states);
    }
    let raised = 0;
    let failures = 0;
    for (const reading of readings) {
      const key = seriesKey(reading.labels);
      let state = states.get(key);
      if (state === undefined) {
        if (states.size >= config.maxSeries) {
          metrics?.skipped.inc({ prediction: spec.name, reason: "max-series" });
          continue;
        }
        state = {
          detector: createAnomalyDetector(spec.detector, { warmupPoints: spec.warmupPoints }),
          points: 0,
          lastPointMs: Number.NEGATIVE_INFINITY,
          armed: true,
          seenAtMs: nowMs,
        };
        states.set(key, state);
      }
      state.seenAtMs = nowMs;
      let score = 0;
      let value = Number.NaN;
      let atMs = state.lastPointMs;
      for (let index = 0; index < reading.timestampsMs.length; index++) {
        const pointMs = reading.timestampsMs[index]!;
        const pointValue = reading.values[index]!;
        if (!(pointMs > state.lastPointMs)) continue;
        const pointScore = state.detector.update(pointMs, pointValue);
        state.points++;
        state.lastPointMs = pointMs;
        // Scores during the warm-up are the detector learning, and old points (the backlog read at
        // start) are history: neither is a finding to act on now.
        const fresh = pointMs >= nowMs - config.staleAfterMs;
        if (fresh && state.points > spec.warmupPoints && pointScore >= score) {
          score = pointScore;
          value = pointValue;
          atMs = pointMs;
        }
      }
      const decision = decideAnomaly({
        nowMs,
        newestPointMs: state.lastPointMs,
        points: state.points,
        warmupPoints: spec.warmupPoints,
        score,
        threshold: spec.threshold,
        staleAfterMs: config.staleAfterMs,
        armed: state.armed,
        ...(state.lastRaisedAtMs === undefined ? {} : { lastRaisedAtMs: state.lastRaisedAtMs }),
        rearmAfterMs: spec.horizonMs,
      });
      if (decision.kind === "hold") {
        state.armed = decision.armed;
        continue;
      }
      const alert = anomalyAlert({
        spec,
        graceMs: config.graceMs,
        seriesLabels: reading.labels,
        score,
        value,
        atMs,
      });
      if (await this.raise(spec, key, reading.labels, alert, nowMs)) {
        state.armed = false;
        state.lastRaisedAtMs = nowMs;
        raised++;
      } else {
        failures++;
      }
    }
    for (const [key, state] of states) {
      if (nowMs - state.seenAtMs > config.lookbackMs) states.delete(key);
    }
    return { raised, failures };
  }

  private forecaster(spec: PredictionSpec, limit: number): ExhaustionForecaster {
    return new ExhaustionForecaster(limit, { memoryPoints: spec.memoryPoints, minPoints: spec.minPoints });
  }

  /** Feeds a reading's new points; a steep fall (a restart) starts the fit over. */
  private advance(spec: PredictionSpec, state: SeriesState, reading: LabelledSeries): void {
    const resetDrop = this.options.config.resetDropFraction * state.limit;
    const { timestampsMs, values } = reading;
    for (let index = 0; index < timestampsMs.length; index++) {
      const atMs = timestampsMs[index]!;
      const value = values[index]!;
      if (!(atMs > state.lastPointMs) || !Number.isFinite(value)) continue;
      // The robust fit would clip a restart's fall as an outlier and keep forecasting the old level.
      if (Number.isFinite(state.lastValue) && state.lastValue - value > resetDrop) {
        state.forecaster = this.forecaster(spec, state.limit);
      }
      state.forecaster.update(atMs, value);
      state.lastPointMs = atMs;
      state.lastValue = value;
      if (value >= state.limit) {
        state.limitHitsMs.push(atMs);
        if (state.limitHitsMs.length > LIMIT_HITS_KEPT) state.limitHitsMs.shift();
      }
    }
  }

  /** Judges every raised prediction that can be; records verdicts in the ledger. */
  private async judgePending(nowMs: number): Promise<{ judged: number; failures: number }> {
    if (this.pending.size === 0) return { judged: 0, failures: 0 };
    const metrics = this.options.metrics;
    let judged = 0;
    let failures = 0;
    const failureSeries = new Map<string, LabelledSeries[] | undefined>();
    let alertIncidents: Incident[] | undefined;
    for (const entry of [...this.pending.values()]) {
      const spec = entry.spec;
      try {
        const incident = await this.options.remediation.incident(entry.incidentId);
        if (incident?.predictionOutcome !== undefined) {
          this.pending.delete(entry.incidentId);
          continue;
        }
        const actedAtMs = incident?.timeline.find((event) => event.type === "acted")?.atMs;
        const failures: { atMs: number; detail: string }[] = [];
        const hit = this.series
          .get(spec.name)
          ?.get(entry.seriesKey)
          ?.limitHitsMs.find((atMs) => atMs >= entry.raisedAtMs);
        if (hit !== undefined) failures.push({ atMs: hit, detail: `the resource reached its limit` });
        if (actedAtMs !== undefined && spec.failure.query !== undefined) {
          if (!failureSeries.has(spec.name)) {
            const earliest = Math.min(
              ...[...this.pending.values()]
                .filter((other) => other.spec === spec)
                .map((other) => other.raisedAtMs),
            );
            failureSeries.set(
              spec.name,
              await this.options.source.fetchSeries({
                query: spec.failure.query,
                startMs: Math.max(earliest, nowMs - this.options.config.lookbackMs * 4),
                endMs: nowMs,
                stepMs: this.options.config.stepMs,
              }),
            );
          }
          const found = firstFailureSample(
            failureSeries.get(spec.name) ?? [],
            entry.seriesLabels,
            spec.failure.on,
            entry.raisedAtMs,
          );
          if (found !== undefined) failures.push(found);
        }
        if (actedAtMs !== undefined && spec.failure.alerts.length > 0) {
          alertIncidents ??= await this.options.remediation.incidents(500);
          const found = firstFailureAlert(alertIncidents, spec, entry);
          if (found !== undefined) failures.push(found);
        }
        failures.sort((a, b) => a.atMs - b.atMs);
        const verdict = judgePrediction({
          nowMs,
          raisedAtMs: incident?.receivedAtMs ?? entry.raisedAtMs,
          ...(actedAtMs === undefined ? {} : { actedAtMs }),
          state: incident?.state ?? "open",
          horizonMs: spec.horizonMs,
          graceMs: this.options.config.graceMs,
          ...(failures[0] === undefined ? {} : { failure: failures[0] }),
        });
        if (verdict.kind === "pending") continue;
        this.pending.delete(entry.incidentId);
        judged++;
        metrics?.judged.inc({ prediction: spec.name, verdict: verdict.kind });
        if (verdict.kind === "dropped") {
          this.log(`prediction ${spec.name} incident ${entry.incidentId}: not judged: ${verdict.detail}`);
          continue;
        }
        await this.options.remediation.recordPredictionOutcome(
          entry.incidentId,
          verdict.kind,
          verdict.detail,
        );
        this.log(`prediction ${spec.name} incident ${entry.incidentId}: ${verdict.kind}: ${verdict.detail}`);
      } catch (error) {
        failures++;
        metrics?.failures.inc({ prediction: spec.name, phase: "judge" });
        this.log(
          `prediction ${spec.name} incident ${entry.incidentId}: judging failed: ${errorMessage(error)}`,
        );
      }
    }
    return { judged, failures };
  }

  /** Raised predictions of a previous run still without a verdict, from the ledger. */
  private async recover(): Promise<void> {
    const specs = new Map<string, JudgedSpec>(
      [...this.options.config.predictions, ...this.options.config.anomalies].map((spec) => [spec.name, spec]),
    );
    for (const incident of await this.options.remediation.incidents(1000)) {
      const spec = incident.prediction === undefined ? undefined : specs.get(incident.prediction.name);
      if (spec === undefined || incident.predictionOutcome !== undefined) continue;
      const seriesLabels = Object.fromEntries(
        Object.entries(incident.labels).filter(
          ([name]) =>
            name !== "alertname" &&
            name !== "severity" &&
            name !== PredictionLabel.prediction &&
            name !== PredictionLabel.preventive &&
            spec.labels[name] === undefined,
        ),
      );
      this.pending.set(incident.id, {
        incidentId: incident.id,
        spec,
        seriesKey: seriesKey(seriesLabels),
        seriesLabels,
        raisedAtMs: incident.receivedAtMs,
      });
    }
  }
}

/** `t` rounded down to a whole step (epoch-aligned, as every replica computes it). */
function alignDown(timeMs: number, stepMs: number): number {
  return Math.floor(timeMs / stepMs) * stepMs;
}

/**
 * The range to read this tick, on the epoch-aligned step grid: from one step before the last read
 * (so a sample that arrived late at the edge is not lost), at most `lookbackMs` back, to now.
 */
function readWindow(
  nowMs: number,
  previousEndMs: number | undefined,
  lookbackMs: number,
  stepMs: number,
): { startMs: number; endMs: number } {
  const endMs = alignDown(nowMs, stepMs);
  const startMs = alignDown(Math.max(nowMs - lookbackMs, (previousEndMs ?? -Infinity) - stepMs), stepMs);
  return { startMs, endMs };
}

/** The smallest newest value of the limit series that pair with `labels`; undefined when none does. */
function tightestLimit(
  labels: Readonly<Record<string, string>>,
  limits: readonly LabelledSeries[],
  on: readonly string[] | undefined,
): number | undefined {
  let tightest: number | undefined;
  for (const limit of limits) {
    if (!labelsAgree(labels, limit.labels, on)) continue;
    const value = limit.values[limit.values.length - 1];
    if (value === undefined || !(value > 0)) continue;
    tightest = tightest === undefined ? value : Math.min(tightest, value);
  }
  return tightest;
}

function firstFailureSample(
  series: readonly LabelledSeries[],
  labels: Readonly<Record<string, string>>,
  on: readonly string[] | undefined,
  fromMs: number,
): { atMs: number; detail: string } | undefined {
  let first: { atMs: number; detail: string } | undefined;
  for (const one of series) {
    if (!labelsAgree(labels, one.labels, on)) continue;
    for (let index = 0; index < one.timestampsMs.length; index++) {
      const atMs = one.timestampsMs[index]!;
      const value = one.values[index]!;
      if (atMs < fromMs || !(value > 0)) continue;
      if (first === undefined || atMs < first.atMs) {
        first = { atMs, detail: `the failure query reported ${value} for ${seriesKey(one.labels)}` };
      }
      break;
    }
  }
  return first;
}

function firstFailureAlert(
  incidents: readonly Incident[],
  spec: JudgedSpec,
  entry: PendingPrediction,
): { atMs: number; detail: string } | undefined {
  let first: { atMs: number; detail: string } | undefined;
  for (const incident of incidents) {
    if (incident.preventive || !spec.failure.alerts.includes(incident.alertname)) continue;
    if (incident.startsAtMs < entry.raisedAtMs) continue;
    const labels = Object.fromEntries(
      Object.entries(incident.labels).filter(([name]) => name !== "alertname" && name !== "severity"),
    );
    if (!labelsAgree(entry.seriesLabels, labels, spec.failure.on)) continue;
    if (first === undefined || incident.startsAtMs < first.atMs) {
      first = {
        atMs: incident.startsAtMs,
        detail: `alert ${incident.alertname} fired (incident ${incident.id})`,
      };
    }
  }
  return first;
}
