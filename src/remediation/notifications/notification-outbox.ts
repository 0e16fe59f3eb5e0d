import { randomUUID } from "node:crypto";
import { errorMessage } from "../remediation-error.js";
import type { OutboxEntry, RemediationStore } from "../storage/remediation-store.js";
import { formatNotification, type SinkFormat } from "./notification-format.js";
import { postToSink, sinkTakes, type NotificationSink } from "./notification-sink.js";
import type { NotificationKind, RemediationNotification } from "./remediation-notification.js";

export type { NotificationSink } from "./notification-sink.js";

/** What a direct delivery ({@link NotificationOutbox.deliverNow}) did for one sink. */
export interface DirectDelivery {
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
  /** Attempts per sink of a direct delivery (`deliverNow`), `baseDelayMs` apart and doubling. @defaultValue 3 */
  readonly directAttempts?: number;
  /** Polling interval of `start()`. @defaultValue 1000 */
  readonly intervalMs?: number;
  /** Told about failed deliveries and dead letters. @defaultValue none */
  readonly log?: (line: string) => void;
  /** Told when an entry is given up (count it). */
  readonly onDead?: (entry: OutboxEntry) => void;
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
}

/**
 * Notifications through a persisted outbox: `notify` stores one formatted entry per sink (so a crash
 * or an unreachable Slack loses nothing); `dispatch` claims due entries with a lease, POSTs them, and
 * on failure reschedules with exponential backoff; after `maxAttempts` an entry becomes a dead letter
 * (kept in the store, logged, counted) — never dropped silently.
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
  }

  /** Stores the notification for every sink that takes its kind. */
  async notify(notification: RemediationNotification): Promise<void> {
    for (const sink of this.sinks.values()) {
      if (!sinkTakes(sink, notification.kind)) continue;
      await this.options.store.enqueueNotification({
        id: randomUUID(),
        sink: sink.name,
        body: formatNotification(sink.format, notification),
        attempts: 0,
        createdAtMs: this.now(),
      });
    }
  }

  /**
   * Sends to every sink that takes `kind` now, bypassing the store — for when the store itself has
   * failed and a human must still hear of it. Each sink gets up to `directAttempts` tries (in
   * parallel across sinks); nothing is persisted, so what this cannot deliver is lost: the caller
   * logs and counts it. Never throws; an empty result means no sink takes `kind`.
   */
  async deliverNow(
    kind: NotificationKind,
    bodyFor: (format: SinkFormat) => unknown,
  ): Promise<DirectDelivery[]> {
    const sinks = [...this.sinks.values()].filter((sink) => sinkTakes(sink, kind));
    return Promise.all(sinks.map((sink) => this.deliverDirectly(sink, bodyFor)));
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
    let error: string | undefined;
    for (let attempt = 1; attempt <= this.directAttempts; attempt++) {
      error = await postToSink(sink, body, { fetch: this.fetch, timeoutMs: this.timeoutMs });
      if (error === undefined) return { sink: sink.name, delivered: true, attempts: attempt };
      if (attempt < this.directAttempts) {
        const delayMs = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1));
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
    return {
      sink: sink.name,
      delivered: false,
      attempts: this.directAttempts,
      ...(error === undefined ? {} : { error }),
    };
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

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
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
