import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./free-port.js";
import { signalAndWait } from "./signal-child.js";
import { spawnUntilReady } from "./spawn-until-ready.js";

/** Options of {@link startRealAlertmanager}. */
export interface StartRealAlertmanagerOptions {
  /** Webhook every alert is routed to (`send_resolved: true`). @defaultValue none: a blackhole receiver */
  readonly webhookUrl?: string;
  /** Bearer token sent to the webhook (`http_config.authorization`). @defaultValue none */
  readonly webhookToken?: string;
  /** @defaultValue ["alertname", "namespace", "deployment", "node"] */
  readonly groupBy?: readonly string[];
  /** @defaultValue "500ms" */
  readonly groupWait?: string;
  /** @defaultValue "1s" */
  readonly groupInterval?: string;
  /** @defaultValue "1h" */
  readonly repeatInterval?: string;
  /** `--web.listen-address` port. @defaultValue a free one */
  readonly port?: number;
}

/** An alert as `GET /api/v2/alerts` lists it. */
export interface AlertmanagerAlert {
  readonly labels: Readonly<Record<string, string>>;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly fingerprint: string;
  readonly status: { readonly state: string };
}

/** A real `prometheus-alertmanager` (Debian package, 0.25) on a free loopback port, in a temp dir. */
export interface RealAlertmanager {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** Temp dir holding `alertmanager.yml` and the `data/` storage. */
  readonly dir: string;
  readonly pid: number | undefined;
  /** The alerts Alertmanager holds now (v2 API). */
  alerts(): Promise<AlertmanagerAlert[]>;
  /** Creates a silence (v2 API) for `minutes`; returns its id. */
  silence(
    matchers: readonly { name: string; value: string; isRegex?: boolean; isEqual?: boolean }[],
    minutes?: number,
  ): Promise<string>;
  /** SIGKILL (Alertmanager "down"). */
  kill(): Promise<void>;
  /** SIGTERM by PID, waits for the exit and removes the temp dir. */
  stop(): Promise<void>;
}

/** Alertmanager's config: one route (short timings) to the webhook, no inhibition. */
export function alertmanagerConfig(options: StartRealAlertmanagerOptions): string {
  const groupBy = options.groupBy ?? ["alertname", "namespace", "deployment", "node"];
  const webhook =
    options.webhookUrl === undefined
      ? ""
      : [
          "    webhook_configs:",
          `      - url: ${JSON.stringify(options.webhookUrl)}`,
          "        send_resolved: true",
          "        max_alerts: 0",
          ...(options.webhookToken === undefined
            ? []
            : [
                "        http_config:",
                "          authorization:",
                "            type: Bearer",
                `            credentials: ${JSON.stringify(options.webhookToken)}`,
              ]),
        ].join("\n");
  return [
    "route:",
    "  receiver: presage",
    `  group_by: ${JSON.stringify(groupBy)}`,
    `  group_wait: ${options.groupWait ?? "500ms"}`,
    `  group_interval: ${options.groupInterval ?? "1s"}`,
    `  repeat_interval: ${options.repeatInterval ?? "1h"}`,
    "receivers:",
    "  - name: presage",
    webhook,
    "",
  ].join("\n");
}

/**
 * Starts Alertmanager without clustering (`--cluster.listen-address=` turns the HA gossip off) and
 * waits until `/-/ready` answers.
 */
export async function startRealAlertmanager(
  options: StartRealAlertmanagerOptions = {},
): Promise<RealAlertmanager> {
  const port = options.port ?? (await freePort());
  const dir = await mkdtemp(join(tmpdir(), "presage-alertmanager-"));
  const url = `http://127.0.0.1:${port}`;
  await writeFile(join(dir, "alertmanager.yml"), alertmanagerConfig(options));
  const { child } = await spawnUntilReady({
    command: "prometheus-alertmanager",
    args: [
      `--config.file=${join(dir, "alertmanager.yml")}`,
      `--storage.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--cluster.listen-address=",
      "--log.level=warn",
    ],
    readyUrl: `${url}/-/ready`,
    tempDir: dir,
  });
  return {
    url,
    port,
    dir,
    get pid() {
      return child.pid;
    },
    alerts: async () => {
      const response = await fetch(`${url}/api/v2/alerts`, { signal: AbortSignal.timeout(5000) });
      if (!response.ok) throw new Error(`alertmanager: GET /api/v2/alerts answered ${response.status}`);
      return (await response.json()) as AlertmanagerAlert[];
    },
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
        throw new Error(
          `alertmanager: creating a silence answered ${response.status}: ${await response.text()}`,
        );
      return ((await response.json()) as { silenceID: string }).silenceID;
    },
    kill: () => signalAndWait(child, "SIGKILL"),
    stop: async () => {
      await signalAndWait(child, "SIGTERM");
      await rm(dir, { recursive: true, force: true });
    },
  };
}
