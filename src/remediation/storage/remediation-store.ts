import type { IncidentEvent } from "../ledger/incident-event.js";
import type { GuardState } from "../planning/guard-state.js";

/** A notification waiting to be delivered (at least once) to one sink. */
export interface OutboxEntry {
  readonly id: string;
  /** The configured sink's name. */
  readonly sink: string;
  /** The request body to send, already formatted for the sink. */
  readonly body: unknown;
  readonly attempts: number;
  readonly createdAtMs: number;
  readonly lastError?: string;
}

/**
 * Everything remediation persists, behind one port so the engine works the same embedded (files) and
 * in cluster mode (Redis, shared by replicas):
 *
 * - delivery claims, so a duplicate Alertmanager notification is acted on once across replicas;
 * - the guard state, changed only through {@link RemediationStore.updateGuards}: a pure function of
 *   the current state, applied atomically (no other replica's change lands in between);
 * - the append-only incident ledger;
 * - the notification outbox (at-least-once delivery, dead letters kept).
 */
export interface RemediationStore {
  /** True the first time `key` is claimed within `ttlMs`; false for a duplicate. */
  claimDelivery(key: string, ttlMs: number): Promise<boolean>;
  /** Gives a claim back (processing failed before it was recorded; the redelivery must be handled). */
  releaseDelivery(key: string): Promise<void>;
  /** Reads the guard state, applies `change` and writes its state back, atomically; returns its result. */
  updateGuards<T>(
    change: (state: GuardState) => { readonly state: GuardState; readonly result: T },
  ): Promise<T>;
  readGuards(): Promise<GuardState>;
  appendEvent(incidentId: string, event: IncidentEvent): Promise<void>;
  /** An incident's events in append order (empty when unknown). */
  events(incidentId: string): Promise<IncidentEvent[]>;
  /** Incident ids, newest first (by first event). */
  listIncidentIds(limit: number): Promise<string[]>;
  enqueueNotification(entry: OutboxEntry): Promise<void>;
  /** Entries due now, leased for `leaseMs` (another claim skips them until then). */
  claimDueNotifications(nowMs: number, leaseMs: number, limit: number): Promise<OutboxEntry[]>;
  completeNotification(id: string): Promise<void>;
  /** Puts an entry back with its new attempt count, due again at `dueMs`. */
  rescheduleNotification(entry: OutboxEntry, dueMs: number): Promise<void>;
  /** Gives up on an entry: kept as a dead letter for a human, never dropped. */
  buryNotification(entry: OutboxEntry): Promise<void>;
  deadNotifications(): Promise<OutboxEntry[]>;
  /** Entries still to deliver (due or leased). */
  pendingNotifications(): Promise<number>;
  close(): Promise<void>;
}
