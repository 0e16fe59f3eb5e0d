import type { Redis } from "ioredis";

/** Options of {@link RedisReadiness}. */
export interface RedisReadinessOptions {
  /** Longest wait for a connection before `ready()` fails. */
  readonly timeoutMs: number;
  /**
   * Whether the client belongs to the caller of `ready()`: then a failed connection attempt fails the
   * waiters at once, and a client that ended is connected again. A shared client is only waited for.
   */
  readonly ownsClient: boolean;
}

/**
 * Gate in front of every command: lets it through when the client is ready, otherwise waits for the
 * next connection attempt. Used with `enableOfflineQueue: false`, so a command is never queued behind a
 * dead connection and then run, unseen, after the caller was told it failed.
 */
export class RedisReadiness {
  private waiter: Promise<void> | undefined;

  constructor(
    private readonly client: Redis,
    private readonly options: RedisReadinessOptions,
  ) {}

  /**
   * Resolves once the client is ready; rejects with the connection error of the next failed attempt
   * (owned clients), when the client ends, or after `timeoutMs`.
   */
  async ready(): Promise<void> {
    const client = this.client;
    if (client.status === "ready") return;
    if (client.status === "wait" || (client.status === "end" && this.options.ownsClient)) {
      client.connect().catch(() => {
        // Reported to the waiters (and through the client's "error" event).
      });
    }
    if (client.status === "end") throw new Error("the Redis client is closed");
    const { timeoutMs } = this.options;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.nextConnection(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            reject(new Error(`no connection within ${timeoutMs} ms (client status: ${client.status})`));
          }, timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** One promise shared by every waiting command, so waiters do not pile listeners on the client. */
  private nextConnection(): Promise<void> {
    this.waiter ??= new Promise<void>((resolve, reject) => {
      const client = this.client;
      const settle = (): void => {
        client.off("ready", onReady);
        client.off("end", onEnd);
        client.off("error", onError);
        this.waiter = undefined;
      };
      const onReady = (): void => {
        settle();
        resolve();
      };
      const onEnd = (): void => {
        settle();
        reject(new Error("the Redis connection was closed"));
      };
      const onError = (error: Error): void => {
        settle();
        reject(error);
      };
      client.once("ready", onReady);
      client.once("end", onEnd);
      // Listening for errors on a caller's client would change how it reports them; wait it out instead.
      if (this.options.ownsClient) client.once("error", onError);
    });
    return this.waiter;
  }
}
