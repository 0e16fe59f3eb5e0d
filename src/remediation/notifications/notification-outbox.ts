import { randomUUID } from "node:crypto";
import {
  realSleep,
  resolveRetryOptions,
  retryWithBackoff,
  type Sleep,
} from "../../sources/retry-with-backoff.js";
import { errorMessage } from "../remediation-error.js";
import type { OutboxEntry, RemediationStore } from "../storage/remediation-store.js";
import { formatNotification, type SinkFormat } from "./notification-format.js";
import { postToSink, sinkTakes, type NotificationSink } from "./notification-sink.js";
import { NotificationKind, type RemediationNotification } from "./remediation-notification.js";

export type { NotificationSink } from "./notification-sink.js";

/** The sink name a failed direct page is counted under when no sink takes its kind. */
export const NO_SINK = "(none)";

/** What a direct page did for one sink. */
interface DirectDelivery {
  readonly sink: string;
  readonly delivered: boolean;
  readonly attempts: number;
  /** Why the last attempt failed, when not delivered. */
  readonly error?: string;
}

/** Options of {@link NotificationOutbox}. */
export interface NotificationOutboxOptions {
  readonly store: RemediationStore;
  readonly sinks: readonly NotificationSink[];
  /** Attempts before an entry becomes a dead letter. @defaultValue 8 */
  readonly maxAttempts?: number;
  /** First retry delay, doubling up to `maxDelayMs`. @defaultValue 1000 */
  readonly baseDelayMs?: number;
  /** @defaultValue 300 000 */
  readonly maxDelayMs?: number;
  /** How long a claimed entry is leased before another dispatcher may retry it. @defaultValue 30 000 */
  readonly leaseMs?: number;
  /** Deadline of one delivery. @defaultValue 5000 */
  readonly timeoutMs?: number;
  /** Attempts per sink of a direct page, backing off from `baseDelayMs` (with jitter). @defaultValue 3 */
  readonly directAttempts?: number;
  /** Polling interval of `start()`. @defaultValue 1000 */
  readonly intervalMs?: number;
  /** Told about failed deliveries and dead letters. @defaultValue none */
  readonly log?: (line: string) => void;
  /** Told when an entry is given up (count it). */
  readonly onDead?: (entry: OutboxEntry) => void;
  /**
   * Told, per sink, of a direct page that did not reach it after its attempts — `sink` is
   * {@link NO_SINK} when no sink takes the kind. Count it and alert on it: nobody was told.
   */
  readonly onDirectPageFailed?: (sink: string) => void;
  /** Waits between direct attempts (injected so tests need not wait). @defaultValue a timer */
  readonly sleep?: Sleep;
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
}

/**
 * Notifications through a persisted outbox: `notify` stores one formatted entry per sink (so a crash
 * or an unreachable Slack loses nothing); `dispatch` claims due entries with a lease, POSTs them, and
 * on failure reschedules with exponential backoff; after `maxAttempts` an entry becomes a dead letter
 * (kept in the store, logged, counted) — never dropped silently. When the store itself fails, a
 * notification that needs a human is paged directly to the sinks it could not be queued for, in the
 * background (`settled()` waits for those pages).
 */
export class NotificationOutbox {
  private readonly sinks: ReadonlyMap<string, NotificationSink>;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly leaseMs: number;
  private readonly timeoutMs: number;
  private readonly directAttempts: number;
  private readonly intervalMs: number;
  private readonly log: (line: string) => void;
  private readonly fetch: typeof fetch;
  private readonly now: () => number;
  private readonly sleep: Sleep;
  /** Direct pages still being delivered. */
  private readonly paging = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(private readonly options: NotificationOutboxOptions) {
    this.sinks = new Map(options.sinks.map((sink) => [sink.name, sink]));
    this.maxAttempts = options.maxAttempts ?? 8;
    this.baseDelayMs = options.baseDelayMs ?? 1000;
    this.maxDelayMs = options.maxDelayMs ?? 300_000;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.directAttempts = Math.max(1, Math.floor(options.directAttempts ?? 3));
    this.intervalMs = options.intervalMs ?? 1000;
    this.log = options.log ?? (() => undefined);
    this.fetch = options.fetch ?? globalThis.fetch;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? realSleep;
  }

  /**
   * Stores the notification for every sink that takes its kind. Never throws: when the store cannot
   * take it, for one sink or from one sink on, a notification that needs a human (every kind but
   * `healed`) is paged directly to exactly the sinks not queued — so none gets it twice — in the
   * background, and the failure is logged; a `healed` one is only logged. `about` names it in logs.
   */
  async notify(notification: RemediationNotification, about?: string): Promise<void> {
    const sinks = this.sinksTaking(notification.kind);
    for (const [index, sink] of sinks.entries()) {
      try {
        await this.options.store.enqueueNotification({
          id: randomUUID(),
          sink: sink.name,
          body: formatNotification(sink.format, notification),
          attempts: 0,
          createdAtMs: this.now(),
        });
      } catch (error) {
        const notQueued = sinks.slice(index);
        const what = about ?? `the ${notification.kind} notification`;
        const pages = notification.kind !== NotificationKind.healed;
        this.log(
          `could not queue ${what} for ${notQueued.map((each) => each.name).join(", ")}: ${errorMessage(error)}` +
            (pages ? "; paging directly, bypassing the store" : ""),
        );
        if (pages) this.pageSinks(notQueued, (format) => formatNotification(format, notification), what);
        return;
      }
    }
  }

  /**
   * Pages every sink that takes `kind` directly, bypassing the store — for when the store itself has
   * failed and a human must still hear of it. Returns at once; the page runs in the background, each
   * sink getting up to `directAttempts` tries. Nothing is persisted: what cannot be delivered is
   * logged loudly (`PAGE FAILED`, naming `about`) and reported to `onDirectPageFailed`.
   */
  page(kind: NotificationKind, bodyFor: (format: SinkFormat) => unknown, about: string): void {
    const sinks = this.sinksTaking(kind);
    if (sinks.length > 0) {
      this.pageSinks(sinks, bodyFor, about);
      return;
    }
    this.options.onDirectPageFailed?.(NO_SINK);
    this.log(
      `PAGE FAILED: no notification sink takes ${kind} notifications, so nobody was told about ${about}`,
    );
  }

  /** Resolves once every direct page started so far was delivered or given up. Never rejects. */
  async settled(): Promise<void> {
    while (this.paging.size > 0) await Promise.allSettled([...this.paging]);
  }

  private sinksTaking(kind: NotificationKind): NotificationSink[] {
    return [...this.sinks.values()].filter((sink) => sinkTakes(sink, kind));
  }

  private pageSinks(
    sinks: readonly NotificationSink[],
    bodyFor: (format: SinkFormat) => unknown,
    about: string,
  ): void {
    const paging = Promise.all(sinks.map((sink) => this.deliverDirectly(sink, bodyFor)))
      .then((deliveries) => {
        const failed = deliveries.filter((delivery) => !delivery.delivered);
        if (failed.length === 0) return;
        for (const delivery of failed) this.options.onDirectPageFailed?.(delivery.sink);
        const why = failed
          .map((each) => `${each.sink}: ${each.error ?? "not delivered"} (${each.attempts} attempts)`)
          .join("; ");
        this.log(
          `PAGE FAILED: the direct page about ${about} reached ${deliveries.length - failed.length} of ${deliveries.length} sinks (${why})`,
        );
      })
      .catch((error: unknown) => {
        this.log(`PAGE FAILED: the direct page about ${about}: ${errorMessage(error)}`);
      })
      .finally(() => {
        this.paging.delete(paging);
      });
    this.paging.add(paging);
  }

  private async deliverDirectly(
    sink: NotificationSink,
    bodyFor: (format: SinkFormat) => unknown,
  ): Promise<DirectDelivery> {
    let body: unknown;
    try {
      body = bodyFor(sink.format);
    } catch (error) {
      return {
        sink: sink.name,
        delivered: false,
        attempts: 0,
        error: `formatting failed: ${errorMessage(error)}`,
      };
    }
    let attempts = 0;
    try {
      await retryWithBackoff(
        async (attempt) => {
          attempts = attempt;
          const failure = await postToSink(sink, body, { fetch: this.fetch, timeoutMs: this.timeoutMs });
          if (failure !== undefined) throw new Error(failure);
        },
        {
          options: resolveRetryOptions({
            attempts: this.directAttempts,
            baseDelayMs: this.baseDelayMs,
            maxDelayMs: Math.max(this.baseDelayMs, Math.min(this.maxDelayMs, 30_000)),
          }),
          isRetryable: () => true,
          sleep: this.sleep,
          random: Math.random,
        },
      );
      return { sink: sink.name, delivered: true, attempts };
    } catch (error) {
      return { sink: sink.name, delivered: false, attempts, error: errorMessage(error) };
    }
  }

  /** Delivers what is due now; returns how many were delivered. One dispatch at a time per outbox. */
  dispatch(): Promise<number> {
    this.running ??= this.dispatchOnce().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Dispatches every `intervalMs` until `stop()`. */
  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => {
      this.dispatch().catch((error: unknown) => {
        this.log(`notification dispatch failed: ${errorMessage(error)}`);
      });
    }, this.intervalMs);
    this.timer.unref();
  }

  /** Stops polling; waits for the dispatch in progress and for direct pages still being sent. */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
    await this.settled();
  }

  private async dispatchOnce(): Promise<number> {
    const due = await this.options.store.claimDueNotifications(this.now(), this.leaseMs, 50);
    let delivered = 0;
    for (const entry of due) {
      const sink = this.sinks.get(entry.sink);
      const failure =
        sink === undefined ? `sink "${entry.sink}" is no longer configured` : await this.deliver(sink, entry);
      if (failure === undefined) {
        await this.options.store.completeNotification(entry.id);
        delivered += 1;
        continue;
      }
      const next: OutboxEntry = { ...entry, attempts: entry.attempts + 1, lastError: failure };
      if (next.attempts >= this.maxAttempts || sink === undefined) {
        await this.options.store.buryNotification(next);
        this.log(
          `notification ${entry.id} to ${entry.sink} given up after ${next.attempts} attempts (kept as a dead letter): ${failure}`,
        );
        this.options.onDead?.(next);
      } else {
        const delayMs = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (next.attempts - 1));
        await this.options.store.rescheduleNotification(next, this.now() + delayMs);
        this.log(
          `notification ${entry.id} to ${entry.sink} failed (attempt ${next.attempts}), retrying in ${delayMs} ms: ${failure}`,
        );
      }
    }
    return delivered;
  }

  /** Undefined on a 2xx answer, else why not. */
  private deliver(sink: NotificationSink, entry: OutboxEntry): Promise<string | undefined> {
    return postToSink(sink, entry.body, { fetch: this.fetch, timeoutMs: this.timeoutMs });
  }
}
