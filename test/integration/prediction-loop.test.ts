import { afterEach, describe, expect, it } from "vitest";
import { FailurePredictor } from "../../src/prediction/failure-predictor.js";
import {
  parsePredictionConfig,
  type ResolvedPredictionConfig,
} from "../../src/prediction/prediction-config.js";
import { PredictionMetrics } from "../../src/prediction/prediction-metrics.js";
import { loadRunbooks } from "../../src/remediation/runbooks/load-runbooks.js";
import { RemediationHarness, type RemediationReplica } from "../support/remediation-harness.js";
import { LeakingMemory, ScriptedLabelledSeries } from "../support/prediction-series.js";

const START = Date.parse("2026-11-28T09:00:00Z");
const STEP_MS = 15_000;
const MB = 1024 * 1024;
const QUERY = "max by (namespace, deployment) (container_memory_working_set_bytes)";
const LABELS = { namespace: "shop", deployment: "api-server" };

function predictionConfig(): ResolvedPredictionConfig {
  const parsed = parsePredictionConfig({
    interval: "15s",
    step: "15s",
    lookback: "30m",
    grace: "2m",
    predictions: [
      {
        name: "memory-oom",
        alertname: "PredictedMemoryExhaustion",
        query: QUERY,
        limit: { value: 512 * MB },
        horizon: "20m",
        threshold: 0.8,
        runbook: "predicted-oom",
      },
    ],
  });
  if (!parsed.ok) throw new Error(parsed.problems.join("; "));
  return parsed.config;
}

interface Run {
  readonly harness: RemediationHarness;
  readonly replica: RemediationReplica;
  readonly predictor: FailurePredictor;
  readonly source: ScriptedLabelledSeries;
  readonly memory: LeakingMemory;
  readonly metrics: PredictionMetrics;
  readonly clock: { nowMs: number };
  readonly log: string[];
}

let harness: RemediationHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** A Deployment leaking 0.2 MB/s from 100 MB towards a 512 MB limit (OOM after ~34 min); presage watching. */
async function start(options: { restartHelps: boolean }): Promise<Run> {
  const clock = { nowMs: START };
  const memory = new LeakingMemory(LABELS, {
    startMs: START - 60_000,
    baseBytes: 100 * MB,
    bytesPerSecond: 0.2 * MB,
    limitBytes: 512 * MB,
  });
  harness = await RemediationHarness.start({
    runbooks: await loadRunbooks("deploy/runbooks"),
    deployments: {
      onRollout: ({ name, revision }) => {
        // Revision 1 is the Deployment being created. The restarted pods start from the baseline —
        // unless the leak is in a cache that survives the restart.
        if (name === "api-server" && revision > 1 && options.restartHelps) memory.restart(clock.nowMs);
      },
    },
    engine: { now: () => clock.nowMs },
  });
  harness.seedDeployments(["api-server"], 4);
  const replica = await harness.addReplica();
  const source = new ScriptedLabelledSeries({ [QUERY]: [memory] });
  const metrics = new PredictionMetrics();
  const log: string[] = [];
  const predictor = new FailurePredictor({
    config: predictionConfig(),
    source,
    remediation: replica.engine,
    metrics,
    now: () => clock.nowMs,
    log: (line) => log.push(line),
  });
  return { harness, replica, predictor, source, memory, metrics, clock, log };
}

/** Advances the fake clock tick by tick, letting remediation finish after each. */
async function runFor(run: Run, ms: number): Promise<void> {
  const end = run.clock.nowMs + ms;
  while (run.clock.nowMs < end) {
    run.clock.nowMs += STEP_MS;
    await run.predictor.tick();
    await run.replica.engine.idle();
  }
}

describe("the failure predictor loop", () => {
  it("restarts a leaking Deployment preventively before its limit and records a prevented failure", async () => {
    const run = await start({ restartHelps: true });
    await runFor(run, 40 * 60_000);
    expect(run.memory.oomKillsMs).toEqual([]);
    expect(run.memory.restartsMs.length).toBeGreaterThanOrEqual(1);
    const incidents = await run.replica.engine.incidents();
    const preventive = incidents.filter((incident) => incident.preventive);
    expect(preventive.length).toBeGreaterThanOrEqual(1);
    const first = preventive.sort((a, b) => a.receivedAtMs - b.receivedAtMs)[0]!;
    expect(first).toMatchObject({
      alertname: "PredictedMemoryExhaustion",
      runbook: "predicted-oom",
      state: "healed",
      predictionOutcome: "prevented",
      labels: { ...LABELS, presage_prediction: "memory-oom", presage_preventive: "true" },
    });
    expect(first.prediction?.probability).toBeGreaterThanOrEqual(0.8);
    expect(first.prediction?.timeToLimitMs).toBeLessThanOrEqual(20 * 60_000);
    // Restarted while memory was still below the limit.
    const restartedAt = run.memory.restartsMs[0]!;
    expect(100 * MB + (restartedAt - (START - 60_000)) * ((0.2 * MB) / 1000)).toBeLessThan(512 * MB);
    const stats = await run.replica.engine.stats();
    expect(stats).toMatchObject({ missed: 0 });
    expect(stats.prevented).toBeGreaterThanOrEqual(1);
    expect(stats.preventive).toBe(preventive.length);
    expect(await run.replica.metrics.metrics()).toMatch(
      /presage_prediction_prevented_total\{prediction="memory-oom"\} [1-9]/,
    );
    expect(await run.metrics.metrics()).toMatch(
      /presage_prediction_raised_total\{prediction="memory-oom",outcome="acting"\} [1-9]/,
    );
  });

  it("counts a missed failure when the preventive restart does not stop the leak", async () => {
    const run = await start({ restartHelps: false });
    await runFor(run, 40 * 60_000);
    expect(run.memory.oomKillsMs.length).toBeGreaterThanOrEqual(1);
    const preventive = (await run.replica.engine.incidents()).filter((incident) => incident.preventive);
    expect(preventive).toHaveLength(1);
    expect(preventive[0]).toMatchObject({ state: "healed", predictionOutcome: "missed" });
    const judged = preventive[0]!.timeline.find((event) => event.type === "prediction-judged");
    expect(judged?.type === "prediction-judged" && judged.detail).toMatch(/reached its limit/);
    expect(await run.replica.engine.stats()).toMatchObject({ prevented: 0, missed: 1, preventionRate: 0 });
    expect(await run.replica.metrics.metrics()).toMatch(
      /presage_prediction_missed_total\{prediction="memory-oom"\} 1/,
    );
  });

  it("survives an unavailable Prometheus and raises once it answers again", async () => {
    const run = await start({ restartHelps: true });
    run.source.failNext = 4;
    await runFor(run, 60_000);
    expect(run.log.some((line) => /read failed: prometheus unavailable/.test(line))).toBe(true);
    await runFor(run, 20 * 60_000);
    expect((await run.replica.engine.incidents()).filter((incident) => incident.preventive)).toHaveLength(1);
    expect(await run.metrics.metrics()).toMatch(
      /presage_prediction_failures_total\{prediction="memory-oom",phase="read"\} [1-9]/,
    );
  });

  it("makes one incident when two replicas raise the same prediction", async () => {
    const run = await start({ restartHelps: true });
    const second = await run.harness.addReplica();
    const twinMetrics = new PredictionMetrics();
    const twin = new FailurePredictor({
      config: predictionConfig(),
      source: run.source,
      remediation: second.engine,
      metrics: twinMetrics,
      now: () => run.clock.nowMs,
    });
    for (let i = 0; i < 80; i++) {
      run.clock.nowMs += STEP_MS;
      // Both replicas tick at the same moment, reading the same points.
      await Promise.all([run.predictor.tick(), twin.tick()]);
      await run.harness.idle();
    }
    const preventive = (await run.replica.engine.incidents()).filter((incident) => incident.preventive);
    expect(preventive).toHaveLength(1);
    // The other replica's raise was the same delivery (fingerprint + aligned startsAt), claimed once.
    // Which of the two ticks claims first is a race, so count duplicates across both.
    const duplicate = /presage_prediction_raised_total\{prediction="memory-oom",outcome="duplicate"\} 1/;
    const texts = [await run.metrics.metrics(), await twinMetrics.metrics()];
    expect(texts.filter((text) => duplicate.test(text))).toHaveLength(1);
    expect(run.memory.restartsMs).toHaveLength(1);
  });

  it("picks pending predictions up from the ledger after a restart of presage", async () => {
    const run = await start({ restartHelps: true });
    await runFor(run, 16 * 60_000);
    const raised = (await run.replica.engine.incidents()).filter((incident) => incident.preventive);
    expect(raised).toHaveLength(1);
    expect(raised[0]?.predictionOutcome).toBeUndefined();
    const again = new FailurePredictor({
      config: predictionConfig(),
      source: run.source,
      remediation: run.replica.engine,
      now: () => run.clock.nowMs,
    });
    run.clock.nowMs += STEP_MS;
    await again.tick();
    expect(again.pendingIncidents()).toEqual([raised[0]!.id]);
    for (let i = 0; i < 120 && again.pendingIncidents().length > 0; i++) {
      run.clock.nowMs += STEP_MS;
      await again.tick();
    }
    expect((await run.replica.engine.incident(raised[0]!.id))?.predictionOutcome).toBe("prevented");
  });
});
