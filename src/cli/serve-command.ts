import type { FastifyInstance } from "fastify";
import { buildApiApp } from "../api/api-app.js";
import { API_DEFAULTS } from "../api/api-config.js";
import { API_TOKENS_ENV, resolveApiTokens } from "../api/auth/resolve-api-tokens.js";
import { EmbeddedService } from "../api/embedded/embedded-service.js";
import { codeVersion } from "../code-version.js";
import { CONFIG_ENV, loadConfigFile, type ResolvedConfig } from "../config/presage-config.js";
import { isModelName, MODEL_NAMES } from "../../training/model-catalog.js";
import { CliError } from "./cli-error.js";
import { parseCliArgs } from "./parse-cli-args.js";
import { remediationNotConfiguredPlugin, ServeRemediation } from "./serve-remediation.js";

/** Flags of `presage serve`, checked. */
export interface ServeOptions {
  /** From --port or $PORT; undefined: the config's `api.port`, else 8080. */
  readonly port?: number;
  /** From --host; undefined: the config's `api.host`, else 127.0.0.1. */
  readonly host?: string;
  readonly targets: number;
  readonly model: string;
  readonly extraModel: string;
  readonly seed: number;
  readonly tickMs: number;
  readonly mode: "shadow" | "active";
  /** Requests per second per token; undefined: from config, else the default. */
  readonly rateLimit?: number;
  readonly configPath?: string;
  /** From --kubeconfig: credentials for remediation's actions; undefined: the pod's ServiceAccount or `$KUBECONFIG`. */
  readonly kubeconfigPath?: string;
  readonly logLevel: "silent" | "error" | "warn" | "info";
}

const SERVE_FLAGS = {
  port: { type: "string" },
  host: { type: "string" },
  targets: { type: "string", default: "1" },
  model: { type: "string", default: "auto" },
  "extra-model": { type: "string", default: "snaive" },
  seed: { type: "string", default: "42" },
  "tick-ms": { type: "string", default: "1000" },
  mode: { type: "string", default: "active" },
  "rate-limit": { type: "string" },
  config: { type: "string" },
  kubeconfig: { type: "string" },
  "log-level": { type: "string", default: "warn" },
} as const;

/** Parses and checks `presage serve` flags; every problem at once (`CliError`). */
export function parseServeArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ServeOptions {
  const values = parseCliArgs(argv, SERVE_FLAGS);
  const problems: string[] = [];
  const integer = (flag: string, text: string, min: number, max: number): number => {
    const value = Number(text);
    if (text.trim() === "" || !Number.isInteger(value) || value < min || value > max) {
      problems.push(`${flag} (${text}) must be an integer from ${min} to ${max}`);
    }
    return value;
  };
  const portText = values.port ?? env.PORT;
  const port =
    portText === undefined
      ? undefined
      : integer(values.port === undefined ? "$PORT" : "--port", portText, 0, 65_535);
  const targets = integer("--targets", values.targets, 1, 1000);
  const seed = integer("--seed", values.seed, -2_147_483_648, 2_147_483_647);
  const tickMs = integer("--tick-ms", values["tick-ms"], 0, 86_400_000);
  for (const [flag, model] of [
    ["--model", values.model],
    ["--extra-model", values["extra-model"]],
  ] as const) {
    if (!isModelName(model)) problems.push(`${flag} (${model}) must be one of ${MODEL_NAMES.join(", ")}`);
  }
  if (values.mode !== "active" && values.mode !== "shadow") {
    problems.push(`--mode (${values.mode}) must be active or shadow`);
  }
  let rateLimit: number | undefined;
  if (values["rate-limit"] !== undefined) {
    rateLimit = Number(values["rate-limit"]);
    if (values["rate-limit"].trim() === "" || !Number.isFinite(rateLimit) || rateLimit < 0) {
      problems.push(
        `--rate-limit (${values["rate-limit"]}) must be a number ≥ 0 (requests/s per token; 0: no limit)`,
      );
    }
  }
  const logLevel = values["log-level"];
  if (logLevel !== "silent" && logLevel !== "error" && logLevel !== "warn" && logLevel !== "info") {
    problems.push(`--log-level (${logLevel}) must be silent, error, warn or info`);
  }
  if (problems.length > 0) throw new CliError(problems.join("\n"));
  const configPath = values.config ?? env[CONFIG_ENV];
  return {
    ...(port === undefined ? {} : { port }),
    ...(values.host === undefined ? {} : { host: values.host }),
    targets,
    model: values.model,
    extraModel: values["extra-model"],
    seed,
    tickMs,
    mode: values.mode as "shadow" | "active",
    ...(rateLimit === undefined ? {} : { rateLimit }),
    ...(configPath === undefined ? {} : { configPath }),
    ...(values.kubeconfig === undefined ? {} : { kubeconfigPath: values.kubeconfig }),
    logLevel: logLevel as ServeOptions["logLevel"],
  };
}

/**
 * `presage serve`: the embedded service (synthetic workloads, in-process training, the scaler loop on
 * a simulated cluster) behind the HTTP API and the dashboard, until SIGINT/SIGTERM. Tokens come from
 * the config's `api` section, its token file and `PRESAGE_API_TOKENS`; with none, a read and an admin
 * token are generated and printed. Prints, once listening (scripts parse these lines):
 *
 * ```
 * presage: serving API and dashboard on http://127.0.0.1:<port>/
 * presage: read token: <token>            (only when generated)
 * presage: admin token: <token>           (only when generated)
 * presage: dashboard: http://127.0.0.1:<port>/#token=<read token>
 * ```
 */
export async function runServeCommand(argv: readonly string[]): Promise<number> {
  const options = parseServeArgs(argv);
  const config: ResolvedConfig | undefined =
    options.configPath === undefined ? undefined : await loadConfigFile(options.configPath);
  await serveEmbedded(options, config);
  return 0;
}

/** Runs the embedded service and API until SIGINT/SIGTERM (also what `presage run` ends with). */
export async function serveEmbedded(options: ServeOptions, config?: ResolvedConfig): Promise<void> {
  const out = process.stdout;
  const api = config?.api;
  const { tokens, generated } = await resolveApiTokens({
    ...(api === undefined ? {} : { configured: api.tokens }),
    ...(api?.tokenFile === undefined ? {} : { tokenFile: api.tokenFile }),
    ...(process.env[API_TOKENS_ENV] === undefined ? {} : { env: process.env[API_TOKENS_ENV] }),
    generateWhenNone: true,
  });

  // A signal during training stops start-up cleanly too.
  const stop: { requested: boolean; wake?: () => void } = { requested: false };
  const onSignal = (): void => {
    stop.requested = true;
    stop.wake?.();
  };
  // A function, not the field: a signal may arrive during any await below.
  const stopRequested = (): boolean => stop.requested;
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  let service: EmbeddedService | undefined;
  let app: FastifyInstance | undefined;
  let remediation: ServeRemediation | undefined;
  try {
    // Remediation first: a runbook or credential problem stops start-up before any training.
    if (config?.remediation !== undefined) {
      remediation = await ServeRemediation.start({
        config,
        ...(options.configPath === undefined ? {} : { configSource: options.configPath }),
        ...(options.kubeconfigPath === undefined ? {} : { kubeconfigPath: options.kubeconfigPath }),
        log: (line) => {
          if (options.logLevel === "info" || options.logLevel === "warn") process.stderr.write(`${line}\n`);
        },
      });
      for (const line of remediation.summary) out.write(`presage serve: remediation: ${line}\n`);
    }
    out.write(
      `presage serve: training ${options.targets} synthetic workload${options.targets === 1 ? "" : "s"} ` +
        `(seed ${options.seed}; shop.web with ${options.model}${options.targets > 1 ? `, the others with ${options.extraModel}` : ""})…\n`,
    );
    const startedMs = performance.now();
    service = await EmbeddedService.start({
      targets: options.targets,
      seed: options.seed,
      model: options.model,
      extraModel: options.extraModel,
      tickMs: options.tickMs,
      mode: options.mode,
      log: (line) => {
        if (options.logLevel === "info") process.stderr.write(`${line}\n`);
      },
    });
    out.write(
      `presage serve: ${options.targets} target${options.targets === 1 ? "" : "s"} trained in ${((performance.now() - startedMs) / 1000).toFixed(1)} s; ` +
        `scaler loop on a simulated cluster, 1 tick = 5 simulated minutes every ${options.tickMs} ms\n`,
    );
    for (const line of service.capacity?.summary() ?? []) out.write(`presage serve: capacity ${line}\n`);
    if (service.capacity !== undefined) {
      out.write(
        `presage serve: capacity tickets are recorded in ${service.capacity.stateFile}, not sent (embedded mode has no ticket sinks)\n`,
      );
    }
    if (stopRequested()) return;
    app = await buildApiApp({
      backend: service.backend,
      tokens,
      rateLimit: {
        requestsPerSecond:
          options.rateLimit ?? api?.rateLimit.requestsPerSecond ?? API_DEFAULTS.requestsPerSecond,
        ...(options.rateLimit === undefined && api?.rateLimit.burst !== undefined
          ? { burst: api.rateLimit.burst }
          : {}),
      },
      bodyLimitBytes: api?.bodyLimitBytes ?? API_DEFAULTS.bodyLimitBytes,
      metrics: [...service.metrics, ...(remediation?.metrics ?? [])],
      logLevel: options.logLevel,
      version: codeVersion(),
      plugins: [remediation?.plugin ?? remediationNotConfiguredPlugin],
    });
    const listenPort = options.port ?? api?.port ?? API_DEFAULTS.port;
    // The embedded demo listens on loopback unless told otherwise; a config's api section means a deployment.
    const host = options.host ?? api?.host ?? "127.0.0.1";
    try {
      await app.listen({ port: listenPort, host });
    } catch (error) {
      throw new CliError(
        `cannot listen on ${host}:${listenPort}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    const address = app.server.address();
    const port = typeof address === "object" && address !== null ? address.port : listenPort;
    const shownHost = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
    const base = `http://${shownHost.includes(":") ? `[${shownHost}]` : shownHost}:${port}/`;
    const readToken = generated.find((token) => token.role === "read");
    const adminToken = generated.find((token) => token.role === "admin");
    out.write(`presage: serving API and dashboard on ${base}\n`);
    if (readToken !== undefined) out.write(`presage: read token: ${readToken.token}\n`);
    if (adminToken !== undefined) out.write(`presage: admin token: ${adminToken.token}\n`);
    out.write(
      remediation === undefined
        ? `presage: remediation: not configured (no remediation: section in --config)\n`
        : `presage: remediation: Alertmanager webhook POST ${base}api/v1/alerts/alertmanager\n`,
    );
    out.write(`presage: dashboard: ${base}${readToken === undefined ? "" : `#token=${readToken.token}`}\n`);
    out.write(`presage: API docs: ${base}docs — press Ctrl-C to stop\n`);
    if (!stopRequested()) {
      await new Promise<void>((resolve) => {
        stop.wake = resolve;
      });
    }
    out.write("presage: stopping…\n");
  } finally {
    // Stop accepting first (Alertmanager retries undelivered alerts), then let remediation finish or
    // hand back its work and flush its outbox, then stop the embedded service.
    await app?.close();
    if (remediation !== undefined) {
      const stopped = await remediation.stop();
      out.write(
        `presage: remediation stopped: ${stopped.finished} running remediation${stopped.finished === 1 ? "" : "s"} finished, ` +
          `${stopped.handedBack.length} handed back to a human, ${stopped.pendingNotifications} notification${stopped.pendingNotifications === 1 ? "" : "s"} still queued\n`,
      );
    }
    if (service !== undefined) {
      await service.stop();
      const hpa = service.cluster.hpa(service.fleet.workloads[0]!.hpa);
      out.write(`presage: stopped; baseline minReplicas restored (shop.web: ${hpa?.minReplicas ?? "?"})\n`);
    }
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
