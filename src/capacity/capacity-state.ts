import type { HorizonPrediction } from "./capacity-plan.js";
import { CapacityError, CapacityErrorCode } from "./capacity-error.js";
import type { TicketContent } from "./ticket-content.js";
import type { TicketRecord } from "./ticket-record.js";

/** One delivery waiting in the outbox: an event of one ticket for one sink. */
export interface OutboxMessage {
  readonly id: string;
  readonly fingerprint: string;
  /** Name of the configured sink. */
  readonly sink: string;
  readonly generation: number;
  readonly event: TicketContent["event"];
  readonly content: TicketContent;
  /** Bumped when a newer update replaces the content of a pending one. */
  readonly revision: number;
  readonly createdAtMs: number;
  /** Failed attempts so far. */
  readonly attempts: number;
  /** Not delivered before this instant (backoff). */
  readonly nextAttemptAtMs: number;
  readonly lastError?: string;
  /** A dispatcher is delivering it until then; after a crash the lease simply runs out. */
  readonly leaseUntilMs?: number;
}

/** Score of one horizon of a ledger entry, once that day has passed. */
export interface HorizonScore {
  readonly horizonDays: number;
  /** Observed mean of the 7 days ending at the horizon. */
  readonly actual: number;
  /** |p50 − actual| / actual. */
  readonly absolutePercentError: number;
  readonly within15: boolean;
  /** Whether the actual 7-day mean stayed at or under the p90 prediction. */
  readonly belowP90: boolean;
}

/** Whether the predicted runway date was right, judged once it could be. */
export interface RunwayScore {
  /** First observed day at or over the limit after the origin, if any (within the horizon). */
  readonly actualDate: string | null;
  readonly predictedDate: string | null;
  /** Within ±max(7 d, 15% of the predicted days), or both "no crossing within the horizon". */
  readonly right: boolean;
}

/** What one forecast or one ticket predicted, and later how it turned out. */
export interface LedgerEntry {
  /** `forecast:<fingerprint>:<originDay>` or `ticket:<fingerprint>:<generation>:<event>:<originDay>`. */
  readonly id: string;
  readonly kind: "forecast" | "ticket";
  readonly fingerprint: string;
  readonly target: string;
  readonly resource: string;
  /** Last observed day of the forecast, `YYYY-MM-DD`. */
  readonly originDay: string;
  readonly recordedAtMs: number;
  readonly horizonDays: number;
  /** capacity × headroom at the origin: the line the runway was about. */
  readonly limit: number;
  readonly runwayP50Date: string | null;
  readonly runwayP90Date: string | null;
  readonly predictions: readonly HorizonPrediction[];
  readonly scores: readonly HorizonScore[];
  readonly runwayScore?: RunwayScore;
}

/** Everything capacity planning persists: tickets, the delivery outbox and the accuracy ledger. */
export interface CapacityState {
  readonly version: 1;
  readonly tickets: Readonly<Record<string, TicketRecord>>;
  readonly outbox: readonly OutboxMessage[];
  readonly ledger: readonly LedgerEntry[];
  /** Next outbox message number. */
  readonly nextMessage: number;
}

export function emptyCapacityState(): CapacityState {
  return { version: 1, tickets: {}, outbox: [], ledger: [], nextMessage: 1 };
}

/** Parses stored state; throws `CapacityError` (`stateCorrupt`) naming `location` when it is not state. */
export function parseCapacityState(text: string, location: string): CapacityState {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CapacityError(CapacityErrorCode.stateCorrupt, `${location} is not JSON`, { cause: error });
  }
  if (
    typeof parsed !== "object" ||
    parsed === null ||
    !("version" in parsed) ||
    parsed.version !== 1 ||
    !("tickets" in parsed) ||
    typeof parsed.tickets !== "object" ||
    !("outbox" in parsed) ||
    !Array.isArray(parsed.outbox) ||
    !("ledger" in parsed) ||
    !Array.isArray(parsed.ledger) ||
    !("nextMessage" in parsed) ||
    typeof parsed.nextMessage !== "number"
  ) {
    throw new CapacityError(
      CapacityErrorCode.stateCorrupt,
      `${location} is not capacity state (version 1 with tickets, outbox, ledger and nextMessage)`,
    );
  }
  return parsed as CapacityState;
}

/** A store's atomic read-modify-write: `mutate` sees the current state and returns the next one. */
export type StateMutation<T> = (state: CapacityState) => {
  readonly state: CapacityState;
  readonly result: T;
};

/**
 * Port for the persisted capacity state: a file in embedded mode, a Redis key in cluster mode.
 * `update` is atomic across processes (file lock / WATCH-MULTI), so dispatchers and planners on
 * several replicas never lose each other's changes. `mutate` may run more than once (on conflicts)
 * and must be pure.
 */
export interface CapacityStateStore {
  readonly location: string;
  read(): Promise<CapacityState>;
  update<T>(mutate: StateMutation<T>): Promise<T>;
  close(): Promise<void>;
}
