import { Redis } from "ioredis";
import { RedisReadiness } from "../storage/redis-readiness.js";
import { CapacityError, CapacityErrorCode } from "./capacity-error.js";
import {
  emptyCapacityState,
  parseCapacityState,
  type CapacityState,
  type CapacityStateStore,
  type StateMutation,
} from "./capacity-state.js";

/** Options of {@link RedisCapacityStateStore}. */
export interface RedisCapacityStateStoreOptions {
  /** `redis://` or `rediss://` URL; the store owns its client and closes it on `close()`. */
  readonly url: string;
  /** Prefix of the key (`<prefix>capacity:state`). @defaultValue "presage:" */
  readonly keyPrefix?: string;
  /** Wait for a connection, and the connect timeout. @defaultValue 3000 */
  readonly connectTimeoutMs?: number;
  /** A command without a reply for this long fails. @defaultValue 5000 */
  readonly commandTimeoutMs?: number;
  /** Optimistic-lock retries of `update` when another replica wrote in between. @defaultValue 50 */
  readonly maxConflicts?: number;
}

/**
 * Capacity state in one Redis key for cluster mode, shared by every replica. `update` is optimistic:
 * WATCH the key, read, compute, then MULTI/SET/EXEC; when another replica wrote in between, EXEC
 * aborts and the cycle runs again. Like the model registry, commands never queue behind a dead
 * connection (`enableOfflineQueue: false`), so a write reported as failed is not applied later.
 */
export class RedisCapacityStateStore implements CapacityStateStore {
  readonly location: string;
  private readonly client: Redis;
  private readonly readiness: RedisReadiness;
  private readonly key: string;
  private readonly maxConflicts: number;
  private queue: Promise<void> = Promise.resolve();

  constructor(options: RedisCapacityStateStoreOptions) {
    this.key = `${options.keyPrefix ?? "presage:"}capacity:state`;
    this.location = `redis key ${this.key}`;
    this.maxConflicts = options.maxConflicts ?? 50;
    const connectTimeoutMs = options.connectTimeoutMs ?? 3000;
    const commandTimeoutMs = options.commandTimeoutMs ?? 5000;
    this.client = new Redis(options.url, {
      lazyConnect: true,
      connectTimeout: connectTimeoutMs,
      commandTimeout: commandTimeoutMs,
      maxRetriesPerRequest: 1,
      retryStrategy: (attempt) => Math.min(50 * 2 ** (attempt - 1), 1000),
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
    });
    this.client.on("error", () => {
      // Surfaced through the failing operation.
    });
    this.readiness = new RedisReadiness(this.client, { timeoutMs: connectTimeoutMs, ownsClient: true });
  }

  async read(): Promise<CapacityState> {
    const text = await this.guard("read", async () => {
      await this.readiness.ready();
      return this.client.get(this.key);
    });
    return text === null ? emptyCapacityState() : parseCapacityState(text, this.location);
  }

  /**
   * WATCH belongs to the connection, so this client's own updates must not interleave: they run one
   * after another here, and WATCH/EXEC arbitrates between replicas (other connections).
   */
  update<T>(mutate: StateMutation<T>): Promise<T> {
    const run = this.queue.then(() => this.updateNow(mutate));
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async updateNow<T>(mutate: StateMutation<T>): Promise<T> {
    for (let attempt = 1; attempt <= this.maxConflicts; attempt++) {
      const outcome = await this.guard("update", async () => {
        await this.readiness.ready();
        await this.client.watch(this.key);
        let next: { state: CapacityState; result: T };
        try {
          const text = await this.client.get(this.key);
          next = mutate(text === null ? emptyCapacityState() : parseCapacityState(text, this.location));
        } catch (error) {
          await this.client.unwatch();
          throw error;
        }
        const replies = await this.client.multi().set(this.key, JSON.stringify(next.state)).exec();
        return replies === null ? undefined : { result: next.result };
      });
      if (outcome !== undefined) return outcome.result;
    }
    throw new CapacityError(
      CapacityErrorCode.stateUnavailable,
      `gave up updating ${this.location} after ${this.maxConflicts} conflicting writes`,
    );
  }

  async close(): Promise<void> {
    if (this.client.status === "end" || this.client.status === "wait") {
      this.client.disconnect();
      return;
    }
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }

  private async guard<T>(what: string, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      if (error instanceof CapacityError) throw error;
      throw new CapacityError(
        CapacityErrorCode.stateUnavailable,
        `cannot ${what} ${this.location}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
  }
}
