/** Stable codes of capacity-planning failures. */
export const CapacityErrorCode = {
  /** The ticket-state store (file or Redis) cannot be reached or written: retry later. */
  stateUnavailable: "PRESAGE_CAPACITY_STATE_UNAVAILABLE",
  /** The stored ticket state cannot be read: fix or move the file/key; nothing is overwritten. */
  stateCorrupt: "PRESAGE_CAPACITY_STATE_CORRUPT",
  /** A sink refused or failed a delivery. */
  sinkFailed: "PRESAGE_CAPACITY_SINK_FAILED",
  /** A sink is configured wrongly (unreadable token file, …). */
  sinkInvalid: "PRESAGE_CAPACITY_SINK_INVALID",
} as const;
export type CapacityErrorCode = (typeof CapacityErrorCode)[keyof typeof CapacityErrorCode];

export class CapacityError extends Error {
  override readonly name = "CapacityError";
  constructor(
    readonly code: CapacityErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A failed delivery to a sink; `retryable` is advice for logs: the outbox retries every failure. */
export class SinkDeliveryError extends Error {
  override readonly name = "SinkDeliveryError";
  readonly code = CapacityErrorCode.sinkFailed;
  /** How long the sink asked to be left alone (its `Retry-After`), when it said. */
  readonly retryAfterMs: number | undefined;
  constructor(
    message: string,
    /** HTTP status, when the sink answered. */
    readonly status: number | undefined,
    /** Network errors, timeouts, 408/429/5xx: likely to pass. Other 4xx: needs a config fix. */
    readonly retryable: boolean,
    options?: ErrorOptions & {
      /** How long the sink asked to be left alone (its `Retry-After`), when it said. */
      readonly retryAfterMs?: number;
    },
  ) {
    super(message, options);
    this.retryAfterMs = options?.retryAfterMs;
  }
}
