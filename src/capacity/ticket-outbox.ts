import { backoffDelayMs } from "../sources/retry-with-backoff.js";
import { SinkDeliveryError } from "./capacity-error.js";
import type { CapacityState, CapacityStateStore, OutboxMessage } from "./capacity-state.js";
import { refKey } from "./ticket-record.js";
import type { TicketSink } from "./ticket-sink.js";

/** Delivery settings (the `capacity.delivery` section). */
export interface OutboxDeliverySettings {
  /** First retry delay; doubled per failed attempt (with jitter), capped at `maxDelayMs`. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Deliveries per sink per minute from this process; the rest wait for the next round. */
  readonly perSinkPerMinute: number;
  /** How long a claimed message is reserved for this dispatcher; after a crash it is claimable again. */
  readonly leaseMs: number;
}

/** A sink's `Retry-After` is honoured up to this long (a misconfigured sink must not park a ticket for days). */
const MAX_RETRY_AFTER_MS = 3_600_000;

export type OutboxEvent =
  | { readonly kind: "delivered"; readonly message: OutboxMessage; readonly ref: string | undefined }
  | {
      readonly kind: "failed";
      readonly message: OutboxMessage;
      readonly error: string;
      readonly retryInMs: number;
    };

export interface TicketOutboxOptions {
  readonly store: CapacityStateStore;
  readonly sinks: ReadonlyMap<string, TicketSink>;
  readonly delivery: OutboxDeliverySettings;
  /** @defaultValue `Date.now` */
  readonly now?: () => number;
  /** Uniform in [0, 1) for backoff jitter. @defaultValue `Math.random` */
  readonly random?: () => number;
  /** Messages claimed per round. @defaultValue 5 */
  readonly claimBatch?: number;
  /** Every delivery and failure, for logs. Must not throw. */
  readonly onEvent?: (event: OutboxEvent) => void;
}

export interface DeliveryRound {
  readonly delivered: number;
  readonly failed: number;
  /** Messages left in the outbox (waiting for backoff, rate limit, an earlier message of their ticket, or an unknown sink). */
  readonly pending: number;
}

/**
 * The act side of ticketing: delivers outbox messages to their sinks. Messages leave the outbox only
 * once their sink accepted them, so nothing is lost across failures or restarts; every failure is
 * retried with exponential backoff (capped, with jitter; at least the sink's `Retry-After`; at the cap
 * for answers retrying will not fix) for as long as it takes. Never a storm:
 *
 * - one message in flight per ticket and sink — only the oldest pending message of a (fingerprint,
 *   sink) is eligible, so events arrive in order and an update never overtakes its open;
 * - a claim (lease) in the shared state stops two dispatchers (replicas, a CLI run next to a worker)
 *   delivering the same message;
 * - at most `perSinkPerMinute` deliveries per sink per minute from this process.
 */
export class TicketOutbox {
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly sent = new Map<string, number[]>();

  constructor(private readonly options: TicketOutboxOptions) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  /** Delivers every message that is due now, in rounds of claimed batches, until none is left to claim. */
  async deliverDue(signal?: AbortSignal): Promise<DeliveryRound> {
    let delivered = 0;
    let failed = 0;
    for (;;) {
      signal?.throwIfAborted();
      const nowMs = this.now();
      const allowance = this.allowance(nowMs);
      const claimed = await this.options.store.update((state) =>
        claimDueMessages(state, {
          nowMs,
          leaseMs: this.options.delivery.leaseMs,
          limit: this.options.claimBatch ?? 5,
          allowance,
          knownSinks: new Set(this.options.sinks.keys()),
        }),
      );
      if (claimed.length === 0) break;
      for (const message of claimed) {
        if (await this.deliverOne(message, signal)) delivered += 1;
        else failed += 1;
      }
    }
    const state = await this.options.store.read();
    return { delivered, failed, pending: state.outbox.length };
  }

  private async deliverOne(message: OutboxMessage, signal: AbortSignal | undefined): Promise<boolean> {
    const sink = this.options.sinks.get(message.sink);
    if (sink === undefined) return false;
    this.recordSend(message.sink, this.now());
    const state = await this.options.store.read();
    const ref = state.tickets[message.fingerprint]?.refs[refKey(message.sink, message.generation)];
    try {
      const result = await sink.deliver({
        content: message.content,
        ref,
        generation: message.generation,
        queuedAtMs: message.createdAtMs,
        ...(signal === undefined ? {} : { signal }),
      });
      const nowMs = this.now();
      await this.options.store.update((current) => ({
        state: completeMessage(current, message, result.ref ?? ref, nowMs),
        result: undefined,
      }));
      this.options.onEvent?.({ kind: "delivered", message, ref: result.ref ?? ref });
      return true;
    } catch (error) {
      signal?.throwIfAborted();
      const text = error instanceof Error ? error.message : String(error);
      const retryInMs = this.retryDelayMs(message, error);
      const nowMs = this.now();
      await this.options.store.update((current) => ({
        state: failMessage(current, message, text, nowMs + retryInMs),
        result: undefined,
      }));
      this.options.onEvent?.({ kind: "failed", message, error: text, retryInMs });
      return false;
    }
  }

  /**
   * When to try a failed message again: exponential backoff with jitter; at least what the sink asked
   * for in `Retry-After` (up to {@link MAX_RETRY_AFTER_MS}); and straight at `maxDelayMs` for an
   * answer retrying will not change (401, 403, 404, 422: a token or project to fix) — still retried,
   * so the ticket goes out once it is fixed, but without hammering the sink meanwhile.
   */
  private retryDelayMs(message: OutboxMessage, error: unknown): number {
    const { baseDelayMs, maxDelayMs } = this.options.delivery;
    const backoff = backoffDelayMs(
      message.attempts,
      { attempts: Number.MAX_SAFE_INTEGER, baseDelayMs, maxDelayMs },
      this.random,
    );
    if (!(error instanceof SinkDeliveryError)) return backoff;
    const asked = Math.min(error.retryAfterMs ?? 0, MAX_RETRY_AFTER_MS);
    return Math.max(error.retryable ? backoff : maxDelayMs, asked);
  }

  private allowance(nowMs: number): Map<string, number> {
    const allowance = new Map<string, number>();
    for (const name of this.options.sinks.keys()) {
      const recent = (this.sent.get(name) ?? []).filter((atMs) => atMs > nowMs - 60_000);
      this.sent.set(name, recent);
      allowance.set(name, Math.max(0, this.options.delivery.perSinkPerMinute - recent.length));
    }
    return allowance;
  }

  private recordSend(sink: string, atMs: number): void {
    this.sent.set(sink, [...(this.sent.get(sink) ?? []), atMs]);
  }
}

/** What {@link claimDueMessages} may claim. */
export interface ClaimRequest {
  readonly nowMs: number;
  readonly leaseMs: number;
  readonly limit: number;
  /** Deliveries each sink may still make now. */
  readonly allowance: ReadonlyMap<string, number>;
  readonly knownSinks: ReadonlySet<string>;
}

/**
 * Claims (pure) the due head messages: for each (fingerprint, sink), only the oldest message, only when
 * due, unclaimed (or its claim ran out), its sink configured and within its allowance.
 */
export function claimDueMessages(
  state: CapacityState,
  request: ClaimRequest,
): { state: CapacityState; result: OutboxMessage[] } {
  const heads = new Set<string>();
  const left = new Map(request.allowance);
  const claimed: OutboxMessage[] = [];
  const outbox = state.outbox.map((message) => {
    const key = `${message.fingerprint}\u0000${message.sink}`;
    const isHead = !heads.has(key);
    heads.add(key);
    if (!isHead || claimed.length >= request.limit) return message;
    if (!request.knownSinks.has(message.sink)) return message;
    if (message.nextAttemptAtMs > request.nowMs || (message.leaseUntilMs ?? 0) > request.nowMs)
      return message;
    const allowance = left.get(message.sink) ?? 0;
    if (allowance <= 0) return message;
    left.set(message.sink, allowance - 1);
    const leased = { ...message, leaseUntilMs: request.nowMs + request.leaseMs };
    claimed.push(leased);
    return leased;
  });
  return { state: claimed.length === 0 ? state : { ...state, outbox }, result: claimed };
}

/**
 * A delivered message leaves the outbox — unless its content was replaced while it was in flight
 * (newer revision), then it stays, unclaimed, to deliver the newer content. The sink's ref is recorded
 * on the ticket.
 */
export function completeMessage(
  state: CapacityState,
  delivered: OutboxMessage,
  ref: string | undefined,
  nowMs: number,
): CapacityState {
  const outbox = state.outbox.flatMap((message) => {
    if (message.id !== delivered.id) return [message];
    if (message.revision !== delivered.revision) {
      return [{ ...withoutLease(message), nextAttemptAtMs: nowMs }];
    }
    return [];
  });
  const ticket = state.tickets[delivered.fingerprint];
  const tickets =
    ticket === undefined || ref === undefined
      ? state.tickets
      : {
          ...state.tickets,
          [delivered.fingerprint]: {
            ...ticket,
            refs: { ...ticket.refs, [refKey(delivered.sink, delivered.generation)]: ref },
          },
        };
  return { ...state, outbox, tickets };
}

/** A failed attempt: counted, the error kept, the claim released, retried at `retryAtMs`. */
export function failMessage(
  state: CapacityState,
  failed: OutboxMessage,
  error: string,
  retryAtMs: number,
): CapacityState {
  return {
    ...state,
    outbox: state.outbox.map((message) => {
      if (message.id !== failed.id) return message;
      return {
        ...withoutLease(message),
        attempts: message.attempts + 1,
        nextAttemptAtMs: retryAtMs,
        lastError: error.slice(0, 500),
      };
    }),
  };
}

function withoutLease(message: OutboxMessage): OutboxMessage {
  const copy: { -readonly [K in keyof OutboxMessage]: OutboxMessage[K] } = { ...message };
  delete copy.leaseUntilMs;
  return copy;
}
