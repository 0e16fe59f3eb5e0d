import { parseDemoControl, startDemoService } from "./chaos-demo-service.js";

/*
 * Process entry of one demo container (spawned by the chaos cluster controller). Reads DEMO_* from the
 * environment, prints `READY <port>` once listening, and exits on SIGTERM.
 */

const env = process.env;
const number = (name: string): number | undefined => {
  const value = Number(env[name]);
  return env[name] === undefined || !Number.isFinite(value) ? undefined : value;
};

function parseLabels(text: string | undefined): Record<string, string> {
  try {
    const parsed = JSON.parse(text ?? "{}") as unknown;
    if (typeof parsed !== "object" || parsed === null) return {};
    return Object.fromEntries(
      Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === "string"),
    );
  } catch {
    return {};
  }
}

const service = await startDemoService({
  version: env.DEMO_VERSION ?? "1.0",
  port: number("DEMO_PORT") ?? 0,
  ...(number("DEMO_STARTUP_MS") === undefined ? {} : { startupMs: number("DEMO_STARTUP_MS") }),
  ...(number("DEMO_MEMORY_LIMIT_BYTES") === undefined
    ? {}
    : { memoryLimitBytes: number("DEMO_MEMORY_LIMIT_BYTES") }),
  ...(number("DEMO_CPU_REQUEST_CORES") === undefined
    ? {}
    : { cpuRequestCores: number("DEMO_CPU_REQUEST_CORES") }),
  control: parseDemoControl(env.DEMO_CONTROL ?? "{}") ?? {},
  seriesLabels: parseLabels(env.DEMO_LABELS),
});
process.stdout.write(`READY ${service.port}\n`);
process.on("SIGTERM", () => {
  void service.close().then(() => process.exit(0));
});
