import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";
import type { TrainBullJob, TrainQueue } from "../../jobs/train-queue.js";

/** Writes a presage config as YAML into `dir` and returns its path. */
export async function writeConfig(dir: string, name: string, config: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, stringify(config));
  return path;
}

/** Polls `probe` every `intervalMs` until it returns a value other than `undefined`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 15_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Waits until the job is in `state` (e.g. `completed`) and returns it as stored then. */
export async function waitForJobState(
  queue: TrainQueue,
  id: string,
  state: string,
  timeoutMs = 15_000,
): Promise<TrainBullJob> {
  return waitFor(
    `job ${id} to be ${state}`,
    async () => {
      const job = await queue.getJob(id);
      if (job === undefined) return undefined;
      return (await job.getState()) === state ? job : undefined;
    },
    timeoutMs,
  );
}

/**
 * Config targets that read `http_requests_total` of a service from Prometheus and train a naive model
 * on one day of 1-minute data: fast to train, for tests of job mechanics rather than of forecasting.
 */
export function naivePrometheusTargets(names: readonly string[]): Record<string, unknown>[] {
  return names.map((name) => ({
    name,
    query: `sum(rate(http_requests_total{service="${name}"}[1m]))`,
    step: "1m",
    history: "1d",
    horizons: ["5m"],
    seasonality: [],
    models: ["naive"],
    schedule: "0 0 1 1 *",
  }));
}
