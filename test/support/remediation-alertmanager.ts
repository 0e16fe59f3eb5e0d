import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./free-port.js";
import { signalAndWait } from "./signal-child.js";

/** A real `prometheus-alertmanager` (Debian package) on a free loopback port, in a temp dir. */
export interface RealAlertmanager {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** Creates a silence through the v2 API; returns its id. */
  silence(
    matchers: { name: string; value: string; isRegex?: boolean; isEqual?: boolean }[],
    minutes?: number,
  ): Promise<string>;
  /** SIGKILL (Alertmanager "down"). */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

export interface StartAlertmanagerOptions {
  /** presage's webhook URL; Alertmanager routes every alert there. @defaultValue none (a blackhole receiver) */
  readonly webhookUrl?: string;
  /** Bearer token Alertmanager sends to the webhook. */
  readonly webhookToken?: string;
  /** Short timings so tests see notifications fast. @defaultValue 1s / 1s / 1h */
  readonly groupWait?: string;
  readonly groupInterval?: string;
  readonly repeatInterval?: string;
}

/** Starts Alertmanager (no clustering) with one route to `webhookUrl`, and waits until it is ready. */
export async function startAlertmanager(options: StartAlertmanagerOptions = {}): Promise<RealAlertmanager> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), "presage-alertmanager-"));
  const url = `http://127.0.0.1:${port}`;
  const receiver =
    options.webhookUrl === undefined
      ? "  - name: presage\n"
      : `  - name: presage
    webhook_configs:
      - url: ${JSON.stringify(options.webhookUrl)}
        send_resolved: true
        max_alerts: 0
${options.webhookToken === undefined ? "" : `        http_config:\n          authorization:\n            type: Bearer\n            credentials: ${JSON.stringify(options.webhookToken)}\n`}`;
  await writeFile(
    join(dir, "alertmanager.yml"),
    `route:
  receiver: presage
  group_by: ["alertname", "namespace", "deployment", "node"]
  group_wait: ${options.groupWait ?? "1s"}
  group_interval: ${options.groupInterval ?? "1s"}
  repeat_interval: ${options.repeatInterval ?? "1h"}
receivers:
${receiver}`,
  );
  const child: ChildProcess = spawn(
    "prometheus-alertmanager",
    [
      `--config.file=${join(dir, "alertmanager.yml")}`,
      `--storage.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--cluster.listen-address=",
      "--log.level=warn",
    ],
    { stdio: "ignore" },
  );
  const deadline = Date.now() + 20_000;
  for (;;) {
    const ready = await fetch(`${url}/-/ready`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      await signalAndWait(child, "SIGKILL");
      throw new Error(`alertmanager did not become ready on port ${port} within 20 s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    port,
    dir,
    silence: async (matchers, minutes = 60) => {
      const now = Date.now();
      const response = await fetch(`${url}/api/v2/silences`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          matchers: matchers.map((matcher) => ({ isRegex: false, isEqual: true, ...matcher })),
          startsAt: new Date(now - 1000).toISOString(),
          endsAt: new Date(now + minutes * 60_000).toISOString(),
          createdBy: "test",
          comment: "maintenance",
        }),
      });
      if (!response.ok)
        throw new Error(`creating a silence failed: HTTP ${response.status} ${await response.text()}`);
      return ((await response.json()) as { silenceID: string }).silenceID;
    },
    kill: () => signalAndWait(child, "SIGKILL"),
    stop: async () => {
      await signalAndWait(child, "SIGTERM");
      await rm(dir, { recursive: true, force: true });
    },
  };
}
