import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { RealPrometheus } from "./real-prometheus.js";

/** One scrape target and the labels Prometheus attaches to its series. */
export interface ScrapeTarget {
  /** `127.0.0.1:<port>`. */
  readonly address: string;
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * Points a running {@link RealPrometheus} at `targets` (a `static_configs` job scraped every
 * `scrapeInterval`): rewrites its `prometheus.yml`, reloads it with SIGHUP (as `kill -HUP` does) and
 * waits until every target has been scraped successfully once.
 */
export async function scrapeTargets(
  prometheus: RealPrometheus,
  targets: readonly ScrapeTarget[],
  scrapeInterval = "500ms",
  timeoutMs = 20_000,
): Promise<void> {
  const config = [
    "global:",
    `  scrape_interval: ${scrapeInterval}`,
    `  scrape_timeout: ${scrapeInterval}`,
    "scrape_configs:",
    "  - job_name: demo",
    "    static_configs:",
    ...targets.flatMap((target) => [
      `      - targets: [${JSON.stringify(target.address)}]`,
      `        labels: ${JSON.stringify(target.labels)}`,
    ]),
    "",
  ].join("\n");
  await writeFile(join(prometheus.dir, "prometheus.yml"), config);
  if (prometheus.pid === undefined) throw new Error("prometheus is not running");
  process.kill(prometheus.pid, "SIGHUP");
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(`${prometheus.url}/api/v1/targets?state=active`).catch(() => undefined);
    const body = (await response?.json().catch(() => undefined)) as
      { data?: { activeTargets?: { scrapeUrl: string; health: string }[] } } | undefined;
    const active = body?.data?.activeTargets ?? [];
    const up = targets.every((target) =>
      active.some((one) => one.scrapeUrl.includes(target.address) && one.health === "up"),
    );
    if (up) return;
    if (Date.now() > deadline) {
      throw new Error(
        `prometheus did not scrape ${targets.map((t) => t.address).join(", ")} within ${timeoutMs} ms: ${JSON.stringify(active)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
