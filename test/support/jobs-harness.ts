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
