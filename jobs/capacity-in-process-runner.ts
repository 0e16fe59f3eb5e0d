import { CronExpressionParser } from "cron-parser";
import { systemClock, type RunnerClock } from "./in-process-train-runner.js";
import type { CapacityProcessor } from "./capacity-processor.js";
import type { CapacityJobResult } from "./capacity-queue.js";

export interface CapacityInProcessRunnerOptions {
  /** Cron schedule of the daily run (UTC). */
  readonly schedule: string;
  readonly processor: CapacityProcessor;
  /** Delivers due outbox messages (retries with backoff between runs). */
  readonly deliver: (signal: AbortSignal) => Promise<unknown>;
  /** How often due deliveries are attempted between runs. @defaultValue 30_000 */
  readonly deliveryIntervalMs?: number;
  /** Tries per run, including the first; retryable failures back off exponentially. @defaultValue 3 */
  readonly attempts?: number;
  /** @defaultValue 60_000 */
  readonly backoffMs?: number;
  /** @defaultValue `systemClock` (the training runner's clock port) */
  readonly clock?: RunnerClock;
  readonly onRun?: (outcome: {
    readonly result?: CapacityJobResult;
    readonly error?: unknown;
    readonly attempt: number;
  }) => void;
  readonly onDeliveryError?: (error: unknown) => void;
}

/** setTimeout's longest delay; longer waits are re-armed. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Embedded mode's capacity scheduler: the daily run on its cron schedule in this process (one at a
 * time; a tick that fires during a run is skipped), retried with exponential backoff when a source
 * was unavailable, and the outbox delivered every `deliveryIntervalMs` so retries happen between runs.
 * The training runner's queue semantics (job ids per window, concurrency) are not needed for one daily
 * idempotent run, so this reuses only its clock port. Nothing here is persisted: the state store is.
 */
export class CapacityInProcessRunner {
  private readonly clock: RunnerClock;
  private readonly abort = new AbortController();
  private readonly timers = new Set<unknown>();
  private running: Promise<void> | undefined;
  private delivering: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: CapacityInProcessRunnerOptions) {
    this.clock = options.clock ?? systemClock;
  }

  start(): void {
    if (this.stopped) return;
    this.armTick(this.clock.now());
    this.armDelivery();
  }

  /** Runs now (with retries), unless a run is in progress; resolves when it finished. */
  runNow(): Promise<void> {
    this.running ??= this.runWithRetries().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Stops timers, aborts a running run or delivery and waits for them to settle. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) this.clock.clearTimeout(timer);
    this.timers.clear();
    this.abort.abort(new Error("capacity runner stopped"));
    await Promise.allSettled([this.running, this.delivering]);
  }

  private async runWithRetries(): Promise<void> {
    const attempts = this.options.attempts ?? 3;
    for (let attempt = 1; attempt <= attempts && !this.abort.signal.aborted; attempt++) {
      try {
        const result = await this.options.processor({}, this.abort.signal);
        this.options.onRun?.({ result, attempt });
        return;
      } catch (error) {
        this.options.onRun?.({ error, attempt });
        if (attempt === attempts || (error as { code?: unknown }).code === "PRESAGE_JOB_INVALID_PAYLOAD")
          return;
        await this.sleep(2 ** (attempt - 1) * (this.options.backoffMs ?? 60_000));
      }
    }
  }

  private armTick(afterMs: number): void {
    if (this.stopped) return;
    const tickMs = CronExpressionParser.parse(this.options.schedule, {
      currentDate: new Date(afterMs),
      tz: "UTC",
    })
      .next()
      .getTime();
    const delayMs = tickMs - this.clock.now();
    this.later(Math.min(MAX_TIMER_MS, Math.max(0, delayMs)), () => {
      if (delayMs > MAX_TIMER_MS) {
        this.armTick(afterMs);
        return;
      }
      this.armTick(Math.max(tickMs, this.clock.now()));
      void this.runNow();
    });
  }

  private armDelivery(): void {
    this.later(this.options.deliveryIntervalMs ?? 30_000, () => {
      this.delivering ??= this.options
        .deliver(this.abort.signal)
        .then(
          () => undefined,
          (error: unknown) => {
            if (!this.stopped) this.options.onDeliveryError?.(error);
          },
        )
        .finally(() => {
          this.delivering = undefined;
        });
      this.armDelivery();
    });
  }

  /** Waits `delayMs`, or less when the runner stops. */
  private sleep(delayMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.abort.signal.aborted) {
        resolve();
        return;
      }
      const onAbort = (): void => {
        resolve();
      };
      // `once`, and removed when the sleep ends, so retries do not pile listeners up on the signal.
      this.abort.signal.addEventListener("abort", onAbort, { once: true });
      this.later(delayMs, () => {
        this.abort.signal.removeEventListener("abort", onAbort);
        resolve();
      });
    });
  }

  private later(delayMs: number, callback: () => void): void {
    if (this.stopped) return;
    const timer = this.clock.setTimeout(() => {
      this.timers.delete(timer);
      callback();
    }, delayMs);
    this.timers.add(timer);
  }
}
