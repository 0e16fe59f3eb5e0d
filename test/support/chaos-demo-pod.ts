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
});
process.stdout.write(`READY ${service.port}\n`);
process.on("SIGTERM", () => {
  void service.close().then(() => process.exit(0));
});
