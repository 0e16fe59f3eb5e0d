import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ChaosClusterController,
  chaosDeploymentSimulation,
  prepareDemoEntry,
  type ChaosControllerRef,
} from "./chaos-cluster-controller.js";
import { startScrapingPrometheus, type ScrapingPrometheus } from "./chaos-prometheus.js";
import {
  CHAOS_WEBHOOK_TOKEN,
  startChaosPresage,
  startNotificationReceiver,
  type ChaosPresage,
  type NotificationReceiver,
} from "./chaos-presage.js";
import {
  CHAOS_TIME_SCALE,
  scaleAlertRules,
  scaleDuration,
  scaleRunbooks,
  type TimeScale,
} from "./chaos-time-scale.js";
import { freePort } from "./free-port.js";
import { startKubeApiStandIn, type KubeApiStandIn } from "./kube-api-stand-in.js";
import { startRealAlertmanager, type RealAlertmanager } from "./real-alertmanager.js";

/** The checkout's root (where `deploy/` is), from this module's place (source or `dist/`). */
export async function repositoryRoot(): Promise<string> {
  let directory = new URL(".", import.meta.url).pathname;
  for (let depth = 0; depth < 6; depth++) {
    const found = await readFile(
      join(directory, "deploy", "prometheus", "presage-alert-rules.yaml"),
      "utf8",
    ).then(
      () => true,
      () => false,
    );
    if (found) return directory;
    directory = join(directory, "..");
  }
  throw new Error("chaos: cannot find deploy/prometheus/presage-alert-rules.yaml above " + import.meta.url);
}

/** The Kubernetes objects of the simulated cluster. */
export interface ChaosTopology {
  readonly namespace: string;
  /** Deployments (2 replicas each, version 1.0). */
  readonly deployments: readonly string[];
  readonly nodes: readonly string[];
}

/** Everything of one chaos run, started and wired. */
export interface ChaosEnvironment {
  readonly scale: TimeScale;
  readonly topology: ChaosTopology;
  readonly standIn: KubeApiStandIn;
  readonly controller: ChaosClusterController;
  readonly prometheus: ScrapingPrometheus;
  readonly alertmanager: RealAlertmanager;
  readonly presage: ChaosPresage;
  readonly receiver: NotificationReceiver;
  /** The time-scaled rules and runbooks as loaded. */
  readonly rulesText: string;
  readonly runbooksDir: string;
  close(): Promise<void>;
}

export interface ChaosEnvironmentOptions {
  readonly topology: ChaosTopology;
  /** @defaultValue {@link CHAOS_TIME_SCALE} */
  readonly scale?: TimeScale;
  /**
   * A candidate rule file instead of the shipped `deploy/prometheus/presage-alert-rules.yaml` (same
   * time-scaling), e.g. to try a rule fix with the bench. @defaultValue the shipped file
   */
  readonly rulesFile?: string;
  readonly log?: (line: string) => void;
}

/**
 * Starts the chaos run's world: the Kubernetes API stand-in with the chaos controller running demo
 * processes, a real Prometheus scraping them and evaluating the shipped rules (time-scaled), a real
 * Alertmanager routing to presage's webhook, presage (the API app with remediation) acting on the
 * stand-in, and a local Slack/pager receiver. Resolves once every pod is Ready and Prometheus has
 * recorded every Deployment.
 */
export async function startChaosEnvironment(options: ChaosEnvironmentOptions): Promise<ChaosEnvironment> {
  const scale = options.scale ?? CHAOS_TIME_SCALE;
  const log = options.log ?? (() => undefined);
  const { topology } = options;
  const root = await repositoryRoot();
  const dir = await mkdtemp(join(tmpdir(), "presage-chaos-"));
  const closers: (() => Promise<void>)[] = [() => rm(dir, { recursive: true, force: true })];
  const close = async (): Promise<void> => {
    for (const closer of closers.reverse()) {
      await closer().catch((error: unknown) => {
        log(`chaos: close failed: ${String(error)}`);
      });
    }
  };
  try {
    const ref: ChaosControllerRef = {};
    const standIn = await startKubeApiStandIn({
      simulateKeda: false,
      simulateDeployments: chaosDeploymentSimulation(ref),
    });
    closers.push(() => standIn.close());
    const controller = new ChaosClusterController({
      standIn,
      demoEntry: await prepareDemoEntry(join(dir, "demo")),
      targetsFile: join(dir, "targets", "pods.json"),
      log,
    });
    ref.current = controller;
    await controller.start();
    closers.push(() => controller.close());
    for (const node of topology.nodes) controller.addNode(node);
    for (const name of topology.deployments) {
      controller.addDeployment(topology.namespace, name, { replicas: 2, version: "1.0" });
    }

    const rulesText = scaleAlertRules(
      await readFile(
        options.rulesFile ?? join(root, "deploy", "prometheus", "presage-alert-rules.yaml"),
        "utf8",
      ),
      scale,
    );
    const runbooksDir = join(dir, "runbooks");
    await mkdir(runbooksDir);
    const shipped = join(root, "deploy", "runbooks");
    for (const name of (await readdir(shipped)).filter((file) => /\.ya?ml$/.test(file))) {
      await writeFile(
        join(runbooksDir, name),
        scaleRunbooks(await readFile(join(shipped, name), "utf8"), scale),
      );
    }

    const receiver = await startNotificationReceiver();
    closers.push(() => receiver.close());
    const alertmanagerPort = await freePort();
    const prometheus = await startScrapingPrometheus({
      targetsFile: join(dir, "targets", "pods.json"),
      kubeStateMetricsTarget: controller.ksmTarget,
      rules: rulesText,
      alertmanagerTarget: `127.0.0.1:${alertmanagerPort}`,
    });
    closers.push(() => prometheus.stop());
    const presage = await startChaosPresage({
      standIn,
      prometheusUrl: prometheus.url,
      alertmanagerUrl: `http://127.0.0.1:${alertmanagerPort}`,
      runbooksDir,
      directory: join(dir, "presage"),
      receiverUrl: receiver.url,
      // The config's guards, time-scaled like the runbooks. The hourly caps count over a real hour
      // (not scalable), so they are raised to cover the whole run; the breaker keeps its default 3.
      guards: {
        cooldown: scaleDuration("10m", scale),
        breakerOpen: scaleDuration("1h", scale),
        lease: scaleDuration("30m", scale),
        maxActionsPerHour: 10_000,
        maxActionsPerHourPerRunbook: 10_000,
        maxConcurrent: 16,
        breakerThreshold: 3,
      },
      log,
    });
    closers.push(() => presage.close());
    const alertmanager = await startRealAlertmanager({
      port: alertmanagerPort,
      webhookUrl: presage.webhookUrl,
      webhookToken: CHAOS_WEBHOOK_TOKEN,
    });
    closers.push(() => alertmanager.stop());

    await controller.waitUntilSettled(60_000);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const recorded = await prometheus
        .query(`count(presage:deployment_error_ratio:rate2m{namespace="${topology.namespace}"})`)
        .then(
          (result) => Number(result[0]?.value[1] ?? 0),
          () => 0,
        );
      const memory = await prometheus
        // Every Deployment's containers scraped (the raw series, not a rule: a broken rule must show
        // as failed faults, not as a harness that never starts).
        .query(
          `count(count by (deployment) (container_memory_working_set_bytes{namespace="${topology.namespace}"}))`,
        )
        .then(
          (result) => Number(result[0]?.value[1] ?? 0),
          () => 0,
        );
      if (recorded >= topology.deployments.length && memory >= topology.deployments.length) break;
      if (Date.now() > deadline) {
        for (const query of [
          "presage:deployment_memory_limit_ratio",
          "container_memory_working_set_bytes",
          'kube_pod_container_resource_limits{resource="memory"}',
          "up",
        ]) {
          log(`chaos: ${query} = ${JSON.stringify(await prometheus.query(query).catch(String))}`);
        }
        throw new Error(
          `chaos: Prometheus recorded ${recorded} error ratios and scraped the containers of ${memory} of ${topology.deployments.length} deployments within 60 s`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    return {
      scale,
      topology,
      standIn,
      controller,
      prometheus,
      alertmanager,
      presage,
      receiver,
      rulesText,
      runbooksDir,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
