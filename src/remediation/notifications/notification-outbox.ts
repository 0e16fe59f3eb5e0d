import { randomUUID } from "node:crypto";
import { errorMessage } from "../remediation-error.js";
import type { OutboxEntry, RemediationStore } from "../storage/remediation-store.js";
import { formatNotification, type SinkFormat } from "./notification-format.js";
import type { NotificationKind, RemediationNotification } from "./remediation-notification.js";

/** A place notifications go. */
export interface NotificationSink {
  readonly name: string;
  readonly format: SinkFormat;
  readonly url: string;
  /** Extra headers (e.g. `authorization`). @defaultValue none */
  readonly headers?: Readonly<Record<string, string>>;
  /** Kinds sent to this sink. @defaultValue all */
  readonly kinds?: readonly NotificationKind[];
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
    this.intervalMs = options.intervalMs ?? 1000;
    this.log = options.log ?? (() => undefined);
    this.fetch = options.fetch ?? globalThis.fetch;
    this.now = options.now ?? Date.now;
  }

  /** Stores the notification for every sink that takes its kind. */
  async notify(notification: RemediationNotification): Promise<void> {
    for (const sink of this.sinks.values()) {
      if (sink.kinds !== undefined && !sink.kinds.includes(notification.kind)) continue;
      await this.options.store.enqueueNotification({
        id: randomUUID(),
        sink: sink.name,
        body: formatNotification(sink.format, notification),
        attempts: 0,
        createdAtMs: this.now(),
      });
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
  private async deliver(sink: NotificationSink, entry: OutboxEntry): Promise<string | undefined> {
    try {
      const response = await this.fetch(sink.url, {
        method: "POST",
        headers: { "content-type": "application/json", ...sink.headers },
        body: JSON.stringify(entry.body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      await response.text().catch(() => "");
      return response.ok ? undefined : `HTTP ${response.status}`;
    } catch (error) {
      return errorMessage(error);
    }
  }
}
