import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { trainTarget } from "../../training/pipeline/train-target.js";
import { codeVersion } from "../code-version.js";
import { ScalerLoop, type DecisionRecord } from "../scaler/scaler-loop.js";
import { SimulatedCluster } from "../scaler/simulated-cluster.js";
import type { ScalerMode } from "../scaler/scaler-target.js";
import { SyntheticMetricSource } from "../sources/synthetic-metric-source.js";
import { FileModelRegistry } from "../storage/file-model-registry.js";
import { CliError } from "./cli-error.js";
import { parseCliArgs } from "./parse-cli-args.js";
import { hostname } from "node:os";
import { CONFIG_ENV, loadConfigFile } from "../config/presage-config.js";
import { InClusterScaler } from "../scaler/in-cluster-scaler.js";
import { loadKubeConfig } from "../kubernetes/load-kube-config.js";
import { ScalerMetrics } from "../scaler/scaler-metrics.js";
import { PrometheusMetricSource } from "../sources/prometheus-metric-source.js";
import { PrometheusStartupSamples } from "../scaler/startup/prometheus-startup-samples.js";
import { startMetricsServer } from "../telemetry/metrics-server.js";
import { openModelRegistry } from "../training-runtime/open-model-registry.js";

const STEP_SECONDS = 300;
const SIMULATED_TICK_MS = 5 * 60_000;
const HPA = { namespace: "shop", name: "web" } as const;
const POD_CAPACITY = 25;

/**
 * `presage scale` on embedded defaults: the scaler loop, unchanged, against a simulated cluster fed by
 * the synthetic workload. A model is trained on 14 days of history first; then each tick (one real
 * second = five simulated minutes) the loop advances the model with the newest points, forecasts,
 * decides the HPA floor and acts on the simulated HPA, whose replicas follow a reactive rule. Decisions
 * are printed live. The in-cluster composition (Kubernetes actuator, Lease election) is not wired yet.
 */
export async function runScaleCommand(argv: readonly string[]): Promise<number> {
  const values = parseCliArgs(argv, {
    ticks: { type: "string", default: "0" },
    "tick-ms": { type: "string", default: "1000" },
    seed: { type: "string", default: "42" },
    mode: { type: "string", default: "active" },
    verbose: { type: "boolean", default: false },
    kubernetes: { type: "boolean", default: false },
    config: { type: "string" },
    kubeconfig: { type: "string" },
    "lease-namespace": { type: "string" },
    "metrics-port": { type: "string", default: "9465" },
  });
  if (values.kubernetes) {
    return runInCluster({
      configPath: values.config ?? process.env[CONFIG_ENV],
      kubeconfigPath: values.kubeconfig,
      leaseNamespace: values["lease-namespace"],
      metricsPort: Number(values["metrics-port"]),
    });
  }
  const ticks = Number(values.ticks);
  const tickMs = Number(values["tick-ms"]);
  const seed = Number(values.seed);
  const mode: ScalerMode | undefined =
    values.mode === "active" || values.mode === "shadow" ? values.mode : undefined;
  const problems: string[] = [];
  if (!Number.isInteger(ticks) || ticks < 0)
    problems.push(`--ticks (${values.ticks}) must be an integer ≥ 0 (0: until Ctrl-C)`);
  if (!Number.isInteger(tickMs) || tickMs < 0)
    problems.push(`--tick-ms (${values["tick-ms"]}) must be an integer ≥ 0`);
  if (!Number.isInteger(seed)) problems.push(`--seed (${values.seed}) must be an integer`);
  if (mode === undefined) problems.push(`--mode (${values.mode}) must be active or shadow`);
  if (problems.length > 0 || mode === undefined) throw new CliError(problems.join("\n"));

  const out = process.stdout;
  const dir = await mkdtemp(join(tmpdir(), "presage-scale-"));
  const registry = new FileModelRegistry({ directory: dir });
  const source = new SyntheticMetricSource({ seed });
  let simulatedNowMs = Math.floor(Date.now() / (STEP_SECONDS * 1000)) * STEP_SECONDS * 1000;
  try {
    out.write(
      `presage scale: embedded defaults — simulated cluster, synthetic workload (seed ${seed}), mode ${mode}\n`,
    );
    const history = await source.fetchRange({
      query: "rps",
      startMs: simulatedNowMs - 14 * 86_400_000,
      endMs: simulatedNowMs,
      stepSeconds: STEP_SECONDS,
    });
    const trained = await trainTarget({
      target: {
        name: "shop.web",
        stepSeconds: STEP_SECONDS,
        horizonSteps: 4,
        seasonalitySeconds: [86_400, 604_800],
        models: ["auto"],
      },
      history,
      registry,
      codeVersion: codeVersion(),
    });
    out.write(
      `model v${trained.artifact.version}: ${trained.artifact.modelName} (backtest MASE ${trained.artifact.backtest.mase.toFixed(3)})\n`,
    );
    const cluster = new SimulatedCluster([
      { ...HPA, minReplicas: 2, maxReplicas: 40, podCapacity: POD_CAPACITY, targetUtilization: 0.7 },
    ]);
    const loop = new ScalerLoop({
      actuator: cluster,
      registry,
      source,
      discover: false,
      targets: [
        {
          name: "shop.web",
          hpa: HPA,
          loadQuery: "rps",
          podCapacity: POD_CAPACITY,
          mode,
          leadMs: 180_000,
          windowMs: 900_000,
        },
      ],
      now: () => simulatedNowMs,
      log: (line) => {
        if (values.verbose) process.stderr.write(`${line}\n`);
      },
    });
    out.write("time (UTC)         load  forecast  needs  floor  replicas  reason\n");
    const signal = { stopped: false };
    const stop = (): void => {
      signal.stopped = true;
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    for (let tick = 0; (ticks === 0 || tick < ticks) && !signal.stopped; tick++) {
      await loop.tick();
      const record = loop.decisions({ limit: 1 })[0];
      const load = source.valueAt(simulatedNowMs);
      const hpa = cluster.reconcile(HPA, load);
      if (record) out.write(`${formatDecision(record, load, hpa.currentReplicas)}\n`);
      simulatedNowMs += SIMULATED_TICK_MS;
      if (tickMs > 0) await new Promise((resolve) => setTimeout(resolve, tickMs));
    }
    await loop.stop({ restore: true });
    out.write(`stopped; baseline minReplicas restored (${cluster.hpa(HPA)?.minReplicas ?? "?"})\n`);
    return 0;
  } finally {
    await registry.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * `presage scale --kubernetes --config <file>`: in a pod (or against a kubeconfig), manage the HPAs of
 * the config's `scaler.targets` plus annotated ones (unless `scaler.discovery` is false), forecast
 * from the configured Prometheus and registry, measure leads from kube-state-metrics, and act while
 * holding the Lease. Runs until SIGTERM/SIGINT, then restores its floors and releases the Lease.
 */
async function runInCluster(options: {
  readonly configPath: string | undefined;
  readonly kubeconfigPath: string | undefined;
  /** `--lease-namespace`; wins over `scaler.lease.namespace`, then `POD_NAMESPACE`, then `presage`. */
  readonly leaseNamespace: string | undefined;
  readonly metricsPort: number;
}): Promise<number> {
  if (options.configPath === undefined)
    throw new CliError(`--config <file> (or ${CONFIG_ENV}) is required with --kubernetes`);
  if (!Number.isInteger(options.metricsPort) || options.metricsPort < 0) {
    throw new CliError(`--metrics-port must be an integer ≥ 0`);
  }
  const config = await loadConfigFile(options.configPath);
  if (config.prometheus === undefined)
    throw new CliError(`${options.configPath}: a prometheus section is required with --kubernetes`);
  const scalerConfig = config.scaler;
  const leaseNamespace =
    options.leaseNamespace ?? scalerConfig?.lease.namespace ?? process.env.POD_NAMESPACE ?? "presage";
  const leaseName = scalerConfig?.lease.name ?? "presage-scaler";
  const startup = scalerConfig?.startupLead;
  const kubeConfig = loadKubeConfig(
    options.kubeconfigPath === undefined ? {} : { kubeconfigPath: options.kubeconfigPath },
  );
  const registry = openModelRegistry(config);
  const metrics = new ScalerMetrics();
  const scaler = new InClusterScaler({
    kubeConfig,
    registry,
    source: new PrometheusMetricSource(config.prometheus),
    leaseNamespace,
    leaseName,
    identity: process.env.POD_NAME ?? hostname(),
    ...(scalerConfig === undefined
      ? {}
      : { tickMs: scalerConfig.tickMs, targets: scalerConfig.targets, discover: scalerConfig.discovery }),
    ...(startup?.enabled === false
      ? {}
      : {
          startupLead: {
            sampler: new PrometheusStartupSamples(config.prometheus),
            ...(startup === undefined
              ? {}
              : {
                  quantile: startup.quantile,
                  lookbackMs: startup.lookbackMs,
                  refreshMs: startup.refreshMs,
                  minPods: startup.minPods,
                  maxStartupMs: startup.maxStartupMs,
                }),
          },
        }),
    metrics,
    log: (line) => process.stdout.write(`${line}\n`),
  });
  const server = await startMetricsServer(metrics.registry, options.metricsPort);
  await scaler.start();
  const targets = scalerConfig?.targets.length ?? 0;
  process.stdout.write(
    `presage scale: in-cluster, lease ${leaseNamespace}/${leaseName}, ${targets} configured target${targets === 1 ? "" : "s"}` +
      `, discovery ${scalerConfig?.discovery === false ? "off" : "on"}, metrics on :${server.port}\n`,
  );
  await new Promise<void>((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  });
  await scaler.stop();
  await server.close();
  await registry.close();
  process.stdout.write("presage scale: stopped; floors restored, lease released\n");
  return 0;
}

function formatDecision(record: DecisionRecord, load: number, replicas: number): string {
  const time = new Date(record.atMs).toISOString().slice(0, 16).replace("T", " ");
  const peak = record.forecast ? record.forecast.peakLoad.toFixed(0) : "—";
  const needs = record.forecast ? String(record.forecast.requiredReplicas) : "—";
  return [
    time,
    load.toFixed(0).padStart(5),
    peak.padStart(8),
    needs.padStart(5),
    String(record.decision.floor).padStart(5),
    String(replicas).padStart(8),
    ` ${record.decision.reason}`,
  ].join("  ");
}
