import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { trainTarget } from "../../training/pipeline/train-target.js";
import { PresageAnnotation } from "../../src/scaler/scaler-actuator.js";
import { alignDownMs } from "../../src/sources/aligned-range.js";
import { PrometheusMetricSource } from "../../src/sources/prometheus-metric-source.js";
import { FileModelRegistry } from "../../src/storage/file-model-registry.js";
import { kubePaths, startKubeApiStandIn, type KubeApiStandIn } from "../support/kube-api-stand-in.js";
import { hpaObject, kubeconfigYamlFor } from "../support/kube-fixtures.js";
import { startPrometheus, type RealPrometheus } from "../support/real-prometheus.js";
import { signalAndWait } from "../support/signal-child.js";

// `presage scale --kubernetes --config <file> --kubeconfig <file>` as a user runs it: the compiled CLI
// (build first) against the Kubernetes API stand-in over real HTTP and a real Prometheus holding the
// load history, with a model trained from that history in the config's registry directory.

const repoRoot = resolve(import.meta.dirname, "../..");
const cli = join(repoRoot, "bin/presage.js");
const STEP_MS = 300_000;
const WEB = kubePaths.hpa("shop", "web");
const BATCH = kubePaths.hpa("shop", "batch");
const LEASE = kubePaths.lease("presage", "presage-scaler");

/** Requests per second with a daily cycle between 1500 and 4500: 15–45 pods at 100 each. */
function loadAt(timeMs: number): number {
  return 3000 + 1500 * Math.sin((2 * Math.PI * timeMs) / 86_400_000);
}

interface SpecFloor {
  spec?: { minReplicas?: number };
  metadata?: { annotations?: Record<string, string> };
}

describe("presage scale --kubernetes (compiled CLI)", () => {
  let standIn: KubeApiStandIn;
  let prometheus: RealPrometheus;
  let dir = "";
  let child: ChildProcess | undefined;
  let output = "";

  beforeAll(async () => {
    standIn = await startKubeApiStandIn();
    // Opted in by annotations, active: the CLI raises its floor.
    standIn.seed(
      hpaObject({
        namespace: "shop",
        name: "web",
        minReplicas: 2,
        maxReplicas: 50,
        annotations: {
          [PresageAnnotation.enabled]: "true",
          [PresageAnnotation.loadQuery]: 'web_requests_per_second{app="web"}',
          [PresageAnnotation.podCapacity]: "100",
          [PresageAnnotation.mode]: "active",
        },
      }),
    );
    // Declared in the config's scaler section, shadow: decided on, never written.
    standIn.seed(
      hpaObject({ namespace: "shop", name: "batch", minReplicas: 2, maxReplicas: 50, annotations: {} }),
    );

    // Load history up to two hours ahead, so the newest points are always there while the CLI runs.
    const endMs = alignDownMs(Date.now(), STEP_MS);
    const startMs = endMs - 14 * 86_400_000;
    const values = Array.from({ length: (16 * 86_400_000 + 2 * 3_600_000) / STEP_MS + 1 }, (_, index) =>
      loadAt(startMs + index * STEP_MS),
    );
    prometheus = await startPrometheus({
      series: [
        { name: "web_requests_per_second", labels: { app: "web" }, startMs, stepSeconds: 300, values },
      ],
    });

    dir = await mkdtemp(join(tmpdir(), "presage-scale-cli-"));
    const registry = new FileModelRegistry({ directory: join(dir, "models") });
    const history = await new PrometheusMetricSource({ url: prometheus.url }).fetchRange({
      query: 'web_requests_per_second{app="web"}',
      startMs,
      endMs,
      stepSeconds: 300,
    });
    await trainTarget({
      target: {
        name: "shop.web",
        stepSeconds: 300,
        horizonSteps: 6,
        seasonalitySeconds: [86_400],
        models: ["snaive"],
      },
      history,
      registry,
      codeVersion: "test",
    });
    await registry.close();

    await writeFile(
      join(dir, "presage.yaml"),
      [
        `prometheus: { url: "${prometheus.url}" }`,
        "registry: { directory: models }",
        "targets:",
        "  - name: shop.web",
        '    query: web_requests_per_second{app="web"}',
        "    step: 5m",
        "scaler:",
        "  tick: 1s",
        "  lease: { namespace: presage }",
        "  targets:",
        "    - name: shop.web",
        "      hpa: { namespace: shop, name: batch }",
        "      podCapacity: 100",
        "      mode: shadow",
      ].join("\n"),
    );
    await writeFile(join(dir, "kubeconfig"), kubeconfigYamlFor(standIn));
  }, 120_000);

  afterAll(async () => {
    await signalAndWait(child, "SIGKILL");
    await prometheus.stop();
    await standIn.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("raises the annotated active HPA's floor, never writes the shadow one, and restores and releases on SIGTERM", async () => {
    const env = Object.fromEntries(
      Object.entries(process.env).filter(
        ([name]) => !["POD_NAMESPACE", "KUBECONFIG", "PRESAGE_CONFIG"].includes(name),
      ),
    );
    const started = spawn(
      process.execPath,
      [
        cli,
        "scale",
        "--kubernetes",
        "--config",
        "presage.yaml",
        "--kubeconfig",
        "kubeconfig",
        "--metrics-port",
        "0",
      ],
      { cwd: dir, env: { ...env, POD_NAME: "presage-e2e" }, stdio: ["ignore", "pipe", "pipe"] },
    );
    child = started;
    started.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    started.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolveExit) => started.once("exit", resolveExit));

    await waitFor(
      () => ((standIn.read(WEB) as SpecFloor | undefined)?.spec?.minReplicas ?? 0) > 2,
      60_000,
      () => output,
    );
    // The first write: the forecast asks 15–45 pods, the step limit allows +10.
    const firstWrite = standIn.writes().find((request) => request.path === WEB);
    expect((firstWrite?.body as SpecFloor | undefined)?.spec?.minReplicas).toBe(12);
    await waitFor(
      () => ((standIn.read(WEB) as SpecFloor | undefined)?.spec?.minReplicas ?? 0) >= 15,
      30_000,
      () => output,
    );
    const raised = standIn.read(WEB) as SpecFloor;
    expect(raised.metadata?.annotations?.[PresageAnnotation.baselineMinReplicas]).toBe("2");
    expect(standIn.read(LEASE)?.spec).toMatchObject({ holderIdentity: "presage-e2e" });
    expect(output).toContain("presage scale: in-cluster, lease presage/presage-scaler, 1 configured target");
    // The shadow target was decided on, as the config declares it.
    await waitFor(
      () => output.includes("hpa=shop/batch mode=shadow"),
      30_000,
      () => output,
    );

    started.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(output).toContain("presage scale: stopped");
    const restored = standIn.read(WEB) as SpecFloor;
    expect(restored.spec?.minReplicas).toBe(2);
    expect(restored.metadata?.annotations?.[PresageAnnotation.baselineMinReplicas]).toBeUndefined();
    expect((standIn.read(LEASE)?.spec as { holderIdentity?: string } | undefined)?.holderIdentity ?? "").toBe(
      "",
    );
    expect(standIn.writes().filter((request) => request.path === BATCH)).toEqual([]);
    expect((standIn.read(BATCH) as SpecFloor).spec?.minReplicas).toBe(2);
  }, 120_000);
});

async function waitFor(condition: () => boolean, timeoutMs: number, context: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${timeoutMs} ms; CLI output:\n${context()}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
}
