import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./free-port.js";
import { signalAndWait } from "./signal-child.js";
import { spawnUntilReady } from "./spawn-until-ready.js";

/** Options of {@link startScrapingPrometheus}. */
export interface ScrapingPrometheusOptions {
  /** The `file_sd` file listing the pods (scraped by the `pods` and `cadvisor` jobs). */
  readonly targetsFile: string;
  /** `host:port` of the kube-state-metrics endpoint (`honor_labels`, as KSM is scraped). */
  readonly kubeStateMetricsTarget: string;
  /** Rule file text (the time-scaled shipped rules). */
  readonly rules: string;
  /** `host:port` of Alertmanager. */
  readonly alertmanagerTarget: string;
  /** @defaultValue "500ms" */
  readonly scrapeInterval?: string;
  /** @defaultValue "500ms" */
  readonly evaluationInterval?: string;
}

/** A real `prometheus` scraping the chaos cluster and evaluating rules, on a free loopback port. */
export interface ScrapingPrometheus {
  readonly url: string;
  readonly dir: string;
  readonly pid: number | undefined;
  /** Path of the rule file it loaded. */
  readonly rulesFile: string;
  /** One instant query's vector (`[{ metric, value: [t, "v"] }]`). */
  query(promql: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  stop(): Promise<void>;
}

/** The `prometheus.yml` of the chaos run. */
export function scrapingPrometheusConfig(options: ScrapingPrometheusOptions, rulesFile: string): string {
  // Pods label their own series (the scrape slots carry no pod identity), hence honor_labels.
  const sd = `    honor_labels: true\n    file_sd_configs:\n      - files: [${JSON.stringify(options.targetsFile)}]\n        refresh_interval: 5s\n`;
  return [
    "global:",
    `  scrape_interval: ${options.scrapeInterval ?? "500ms"}`,
    `  scrape_timeout: ${options.scrapeInterval ?? "500ms"}`,
    `  evaluation_interval: ${options.evaluationInterval ?? "500ms"}`,
    `rule_files: [${JSON.stringify(rulesFile)}]`,
    "alerting:",
    "  alertmanagers:",
    "    - static_configs:",
    `        - targets: [${JSON.stringify(options.alertmanagerTarget)}]`,
    "scrape_configs:",
    "  - job_name: pods",
    sd + "  - job_name: cadvisor",
    "    metrics_path: /metrics/cadvisor",
    sd + "  - job_name: kube-state-metrics",
    "    honor_labels: true",
    "    static_configs:",
    `      - targets: [${JSON.stringify(options.kubeStateMetricsTarget)}]`,
    "",
  ].join("\n");
}

/** Starts Prometheus with the chaos scrape config and rules; resolves once `/-/ready` answers. */
export async function startScrapingPrometheus(
  options: ScrapingPrometheusOptions,
): Promise<ScrapingPrometheus> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), "presage-chaos-prometheus-"));
  const url = `http://127.0.0.1:${port}`;
  const rulesFile = join(dir, "rules.yaml");
  await writeFile(rulesFile, options.rules);
  await writeFile(join(dir, "prometheus.yml"), scrapingPrometheusConfig(options, rulesFile));
  const { child } = await spawnUntilReady({
    command: "prometheus",
    args: [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ],
    readyUrl: `${url}/-/ready`,
    tempDir: dir,
    timeoutMs: 30_000,
  });
  return {
    url,
    dir,
    rulesFile,
    get pid() {
      return child.pid;
    },
    query: async (promql) => {
      const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`, {
        signal: AbortSignal.timeout(5000),
      });
      const body = (await response.json()) as {
        status: string;
        error?: string;
        data?: { result: { metric: Record<string, string>; value: [number, string] }[] };
      };
      if (body.status !== "success") throw new Error(`prometheus: ${promql}: ${body.error ?? "failed"}`);
      return body.data?.result ?? [];
    },
    stop: async () => {
      await signalAndWait(child, "SIGTERM");
      await rm(dir, { recursive: true, force: true });
    },
  };
}
