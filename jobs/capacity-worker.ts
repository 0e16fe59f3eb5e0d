import { Worker } from "bullmq";
import { toBullmqCapacityProcessor, type CapacityProcessor } from "./capacity-processor.js";
import { CAPACITY_QUEUE_NAME, type CapacityJobResult, type CapacityPayload } from "./capacity-queue.js";

export interface CapacityWorkerOptions {
  readonly connection: { readonly url: string; readonly prefix?: string };
  readonly processor: CapacityProcessor;
  /**
   * Lock of a running job; planning is CPU-bound for seconds per target and renews the lock only between
   * awaits, so keep it generous. @defaultValue 300_000
   */
  readonly lockDurationMs?: number;
  readonly onError?: (error: Error) => void;
}

/**
 * A BullMQ worker on the `presage-capacity` queue, one run at a time. `close` waits for the running
 * run (up to `graceMs`), then closes; a run cut short is retried by stalled-job recovery, and since
 * runs are idempotent that is safe.
 */
export class CapacityWorker {
  private readonly worker: Worker<CapacityPayload, CapacityJobResult>;

  constructor(options: CapacityWorkerOptions) {
    const processJob = toBullmqCapacityProcessor(options.processor);
    this.worker = new Worker<CapacityPayload, CapacityJobResult>(
      CAPACITY_QUEUE_NAME,
      (job, token, signal) => processJob(job, token, signal),
      {
        connection: { url: options.connection.url },
        ...(options.connection.prefix === undefined ? {} : { prefix: options.connection.prefix }),
        concurrency: 1,
        lockDuration: options.lockDurationMs ?? 300_000,
        autorun: false,
      },
    );
    this.worker.on("error", (error) => {
      options.onError?.(error);
    });
  }

  async start(): Promise<void> {
    this.worker.run().catch((error: unknown) => {
      this.worker.emit("error", error instanceof Error ? error : new Error(String(error)));
    });
    await this.worker.waitUntilReady();
  }

  /** Stops taking jobs, waits up to `graceMs` for the running one, then closes. */
  async close(graceMs: number): Promise<void> {
    await this.worker.pause(true);
    const closing = this.worker.close();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      closing.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => {
          resolve(true);
        }, graceMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) await this.worker.close(true);
  }
}
