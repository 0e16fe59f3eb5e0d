import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createFailurePredictor,
  type FailurePrediction,
} from "../../src/prediction/create-failure-predictor.js";
import { parsePredictionConfig } from "../../src/prediction/prediction-config.js";
import { RoutingActionRunner } from "../../src/remediation/execution/http-hook-runner.js";
import { RemediationEngine } from "../../src/remediation/execution/remediation-engine.js";
import { KubernetesActions } from "../../src/remediation/kubernetes/kubernetes-actions.js";
import type { Incident } from "../../src/remediation/ledger/incident.js";
import { RemediationMetrics } from "../../src/remediation/ledger/remediation-metrics.js";
import { DEFAULT_GUARD_LIMITS } from "../../src/remediation/planning/guard-limits.js";
import { loadRunbooks } from "../../src/remediation/runbooks/load-runbooks.js";
import { FileRemediationStore } from "../../src/remediation/storage/file-remediation-store.js";
import { freePort } from "../support/free-port.js";
import { startKubeApiStandIn, type KubeApiStandIn } from "../support/kube-api-stand-in.js";
import { deploymentObject, kubeConfigFor } from "../support/kube-fixtures.js";
import { LeakyPod } from "../support/prediction-leaky-pod.js";
import { scrapeTargets } from "../support/prediction-prometheus.js";
import { startPrometheus, type RealPrometheus } from "../support/real-prometheus.js";

/*
 * Acceptance of issue 9: a slowly leaking demo service (its working set grows 20 MB/s from 100 MB to
 * a 600 MB limit, where it is OOM-killed: 25 s) scraped by a real Prometheus every 500 ms. presage's
 * failure predictor reads it every second, forecasts the time to the limit, and at P ≥ 0.8 within
 * 12 s raises a preventive prediction; the shipped `predicted-oom` runbook restarts the Deployment on
 * the Kubernetes API stand-in, whose Deployment controller restarts the demo process (memory back to
 * the baseline). A control pod with the same leak, scraped by the same Prometheus but not watched by
 * presage, runs alongside for the same time.
 */

const MB = 1_000_000;
const LEAK = { baseBytes: 100 * MB, bytesPerSecond: 20 * MB, limitBytes: 600 * MB };
const NS = "shop";

let prometheus: RealPrometheus;
let standIn: KubeApiStandIn;
let treated: LeakyPod;
let control: LeakyPod;
let directory: string;
let store: FileRemediationStore;
let engine: RemediationEngine;
let remediationMetrics: RemediationMetrics;
let prediction: FailurePrediction;
const log: string[] = [];
/** Undone in reverse order after the test, each resource as soon as it exists. */
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  prometheus = await startPrometheus();
  cleanups.push(() => prometheus.stop());
  const say = (line: string): void => {
    log.push(`${new Date().toISOString()} ${line}`);
  };
  treated = new LeakyPod({ port: await freePort(), ...LEAK, log: say });
  control = new LeakyPod({ port: await freePort(), ...LEAK, log: say });
  cleanups.push(
    () => treated.stop(),
    () => control.stop(),
  );
  standIn = await startKubeApiStandIn({
    simulateDeployments: {
      onRollout: ({ name, revision }) => {
        // Revision 1 is the Deployment being created; later ones are rolling restarts.
        if (name !== "leaky" || revision <= 1) return;
        treated.restart().catch((error: unknown) => {
          say(`restart failed: ${String(error)}`);
        });
      },
    },
  });
  cleanups.push(() => standIn.close());
  standIn.seed(deploymentObject({ namespace: NS, name: "leaky", replicas: 1 }));
  directory = await mkdtemp(join(tmpdir(), "presage-preventive-oom-"));
  cleanups.push(() => rm(directory, { recursive: true, force: true }));
  store = await FileRemediationStore.open({ directory });
  cleanups.push(() => store.close());
  const kubernetes = new KubernetesActions({ kubeConfig: kubeConfigFor(standIn) });
  const runbooks = await loadRunbooks("deploy/runbooks");
  remediationMetrics = new RemediationMetrics();
  engine = new RemediationEngine({
    store,
    runbooks,
    actions: new RoutingActionRunner(kubernetes),
    rollout: kubernetes,
    limits: DEFAULT_GUARD_LIMITS,
    defaultMode: "dry-run",
    metrics: remediationMetrics,
    log: say,
  });
  const parsed = parsePredictionConfig({
    interval: "1s",
    step: "1s",
    lookback: "2m",
    grace: "2s",
    staleAfter: "10s",
    predictions: [
      {
        name: "memory-oom",
        alertname: "PredictedMemoryExhaustion",
        query: 'demo_memory_working_set_bytes{run="presage"}',
        limit: { query: 'demo_memory_limit_bytes{run="presage"}' },
        horizon: "12s",
        threshold: 0.8,
        runbook: "predicted-oom",
        failure: { query: 'demo_last_terminated_oomkilled{run="presage"}' },
        minPoints: 6,
      },
    ],
  });
  if (!parsed.ok) throw new Error(parsed.problems.join("; "));
  prediction = createFailurePredictor({
    config: parsed.config,
    prometheus: { url: prometheus.url },
    remediation: engine,
    runbooks,
    log: say,
  });
  cleanups.push(async () => {
    await prediction.predictor.stop();
    await engine.idle();
  });
}, 60_000);

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function until(condition: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return condition();
}

describe("preventive OOM restart, end to end (real Prometheus, Kubernetes API stand-in)", () => {
  it("restarts the leaking service before its limit and records a prevented failure; without presage the same leak is OOM-killed", async () => {
    await Promise.all([treated.start(), control.start()]);
    await scrapeTargets(prometheus, [
      {
        address: `127.0.0.1:${treated.options.port}`,
        labels: { namespace: NS, deployment: "leaky", run: "presage" },
      },
      {
        address: `127.0.0.1:${control.options.port}`,
        labels: { namespace: NS, deployment: "leaky-control", run: "control" },
      },
    ]);
    prediction.predictor.start();

    let judged: Incident | undefined;
    const done = await until(async () => {
      judged = (await engine.incidents()).find((incident) => incident.predictionOutcome !== undefined);
      return judged !== undefined && control.oomKills.length > 0;
    }, 50_000);
    const context = `\n${log.join("\n")}`;
    expect(
      done,
      `judged ${judged?.id ?? "none"}, control OOM kills ${control.oomKills.length}${context}`,
    ).toBe(true);

    // presage restarted the treated pod before the limit, and it was never OOM-killed.
    expect(treated.oomKills, context).toEqual([]);
    expect(treated.restarts.length, context).toBeGreaterThanOrEqual(1);
    expect(treated.restarts[0]!.memoryBytes).toBeLessThan(LEAK.limitBytes);
    // The ledger: a preventive incident, acted through the shipped runbook, judged prevented.
    expect(judged, context).toMatchObject({
      alertname: "PredictedMemoryExhaustion",
      runbook: "predicted-oom",
      preventive: true,
      state: "healed",
      predictionOutcome: "prevented",
      labels: { namespace: NS, deployment: "leaky", presage_preventive: "true" },
    });
    expect(judged!.prediction!.probability).toBeGreaterThanOrEqual(0.8);
    const stats = await engine.stats();
    expect(stats.prevented).toBeGreaterThanOrEqual(1);
    expect(stats.missed).toBe(0);
    expect(await remediationMetrics.metrics()).toMatch(
      /presage_prediction_prevented_total\{prediction="memory-oom"\} [1-9]/,
    );
    // The control run — same leak, same time, no presage — ended in an OOM kill.
    expect(control.oomKills.length).toBeGreaterThanOrEqual(1);
    expect(control.restarts).toEqual([]);
    expect(control.oomKills[0]!.atMs).toBeLessThanOrEqual(Date.now());
  }, 90_000);
});
