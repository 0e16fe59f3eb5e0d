import { Redis } from "ioredis";
import type { IncidentEvent } from "../ledger/incident-event.js";
import { parseGuardState, type GuardState } from "../planning/guard-state.js";
import { RemediationError, RemediationErrorCode } from "../remediation-error.js";
import type { OutboxEntry, RemediationStore } from "./remediation-store.js";

/** Options of {@link RedisRemediationStore}: exactly one of `client` and `url`. */
export interface RedisRemediationStoreOptions {
  /** A client to share; never closed by the store. */
  readonly client?: Redis;
  /** URL of a client the store creates and closes. */
  readonly url?: string;
  /** Prefix of every key. @defaultValue "presage:remediation:" */
  readonly keyPrefix?: string;
  /** How long incidents are kept in the ledger. @defaultValue 30 days */
  readonly retentionMs?: number;
  /** Compare-and-set attempts of one guard update before giving up (contention). @defaultValue 100 */
  readonly maxGuardAttempts?: number;
}

/**
 * Compare-and-set of the guard state: KEYS state, version; ARGV expected version, new state JSON.
 * Returns 1 when written (version bumped), 0 when another writer got there first.
 */
const GUARD_CAS = `
local version = redis.call('GET', KEYS[2]) or '0'
if version ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('INCR', KEYS[2])
return 1
`;

/**
 * Claims due outbox entries: KEYS due (zset id → due ms), entries (hash id → JSON); ARGV now, lease
 * ms, limit. Each claimed entry's due time moves to now + lease, so a crashed claimer's entries come
 * due again.
 */
const OUTBOX_CLAIM = `
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local claimed = {}
for _, id in ipairs(ids) do
  local entry = redis.call('HGET', KEYS[2], id)
  if entry then
    redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[2]), id)
    table.insert(claimed, entry)
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return claimed
`;

/**
 * The remediation store of cluster mode, shared by every replica through Redis.
 *
 * - Delivery claims: `SET key 1 NX PX ttl`.
 * - Guards: the whole (bounded) state is one JSON value with a version counter; an update reads both,
 *   applies the pure change and writes with a Lua compare-and-set, retrying on a lost race. Within a
 *   process updates are queued, so only other replicas can make the CAS fail.
 * - Ledger: `RPUSH incident:<id>` per event (append-only: no lost updates when two replicas write to
 *   one incident), `ZADD NX incidents <first event ms> <id>` as the index.
 * - Outbox: hash of entries + zset of due times, claimed with a lease by a Lua script.
 */
export class RedisRemediationStore implements RemediationStore {
  private readonly client: Redis;
  private readonly ownsClient: boolean;
  private readonly prefix: string;
  private readonly retentionMs: number;
  private readonly maxGuardAttempts: number;
  private guardChain: Promise<void> = Promise.resolve();

  constructor(options: RedisRemediationStoreOptions) {
    if ((options.client === undefined) === (options.url === undefined)) {
      throw new RangeError("RedisRemediationStore needs exactly one of client and url");
    }
    this.client =
      options.client ??
      new Redis(options.url ?? "", { maxRetriesPerRequest: 2, connectTimeout: 3000, commandTimeout: 5000 });
    this.ownsClient = options.client === undefined;
    if (this.ownsClient) this.client.on("error", () => undefined);
    this.prefix = options.keyPrefix ?? "presage:remediation:";
    this.retentionMs = options.retentionMs ?? 30 * 86_400_000;
    this.maxGuardAttempts = options.maxGuardAttempts ?? 100;
  }

  async claimDelivery(key: string, ttlMs: number): Promise<boolean> {
    return this.wrap("claim a delivery", async () => {
      const reply = await this.client.set(
        this.key(`delivery:${key}`),
        "1",
        "PX",
        Math.max(1, Math.round(ttlMs)),
        "NX",
      );
      return reply === "OK";
    });
  }

  async releaseDelivery(key: string): Promise<void> {
    await this.wrap("release a delivery", async () => {
      await this.client.del(this.key(`delivery:${key}`));
    });
  }

  updateGuards<T>(
    change: (state: GuardState) => { readonly state: GuardState; readonly result: T },
  ): Promise<T> {
    const run = this.guardChain.then(() => this.wrap("update the guard state", () => this.casGuards(change)));
    this.guardChain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  async readGuards(): Promise<GuardState> {
    return this.wrap("read the guard state", async () =>
      parseGuardState(await this.client.get(this.key("guards"))),
    );
  }

  async appendEvent(incidentId: string, event: IncidentEvent): Promise<void> {
    await this.wrap(`append to incident ${incidentId}`, async () => {
      const listKey = this.key(`incident:${incidentId}`);
      const replies = await this.client
        .multi()
        .rpush(listKey, JSON.stringify(event))
        .pexpire(listKey, this.retentionMs)
        .zadd(this.key("incidents"), "NX", event.atMs, incidentId)
        .exec();
      const failed = replies?.find(([error]) => error !== null);
      if (replies === null || failed !== undefined) throw failed?.[0] ?? new Error("transaction aborted");
    });
  }

  async events(incidentId: string): Promise<IncidentEvent[]> {
    return this.wrap(`read incident ${incidentId}`, async () =>
      (await this.client.lrange(this.key(`incident:${incidentId}`), 0, -1)).map(
        (text) => JSON.parse(text) as IncidentEvent,
      ),
    );
  }

  async listIncidentIds(limit: number): Promise<string[]> {
    return this.wrap("list incidents", async () => {
      await this.client.zremrangebyscore(this.key("incidents"), "-inf", Date.now() - this.retentionMs);
      return this.client.zrevrange(this.key("incidents"), 0, Math.max(0, limit - 1));
    });
  }

  async enqueueNotification(entry: OutboxEntry): Promise<void> {
    await this.wrap("enqueue a notification", async () => {
      await this.client
        .multi()
        .hset(this.key("outbox:entries"), entry.id, JSON.stringify(entry))
        .zadd(this.key("outbox:due"), Date.now(), entry.id)
        .exec();
    });
  }

  async claimDueNotifications(nowMs: number, leaseMs: number, limit: number): Promise<OutboxEntry[]> {
    return this.wrap("claim notifications", async () => {
      const reply = (await this.client.eval(
        OUTBOX_CLAIM,
        2,
        this.key("outbox:due"),
        this.key("outbox:entries"),
        String(nowMs),
        String(leaseMs),
        String(limit),
      )) as string[];
      return reply.map((text) => JSON.parse(text) as OutboxEntry);
    });
  }

  async completeNotification(id: string): Promise<void> {
    await this.wrap("complete a notification", async () => {
      await this.client.multi().hdel(this.key("outbox:entries"), id).zrem(this.key("outbox:due"), id).exec();
    });
  }

  async rescheduleNotification(entry: OutboxEntry, dueMs: number): Promise<void> {
    await this.wrap("reschedule a notification", async () => {
      await this.client
        .multi()
        .hset(this.key("outbox:entries"), entry.id, JSON.stringify(entry))
        .zadd(this.key("outbox:due"), dueMs, entry.id)
        .exec();
    });
  }

  async buryNotification(entry: OutboxEntry): Promise<void> {
    await this.wrap("bury a notification", async () => {
      await this.client
        .multi()
        .hdel(this.key("outbox:entries"), entry.id)
        .zrem(this.key("outbox:due"), entry.id)
        .hset(this.key("outbox:dead"), entry.id, JSON.stringify(entry))
        .exec();
    });
  }

  async deadNotifications(): Promise<OutboxEntry[]> {
    return this.wrap("read dead notifications", async () =>
      Object.values(await this.client.hgetall(this.key("outbox:dead"))).map(
        (text) => JSON.parse(text) as OutboxEntry,
      ),
    );
  }

  async pendingNotifications(): Promise<number> {
    return this.wrap("count notifications", () => this.client.hlen(this.key("outbox:entries")));
  }

  async close(): Promise<void> {
    await this.guardChain;
    if (this.ownsClient) await this.client.quit().catch(() => undefined);
  }

  private async casGuards<T>(
    change: (state: GuardState) => { readonly state: GuardState; readonly result: T },
  ): Promise<T> {
    const stateKey = this.key("guards");
    const versionKey = this.key("guards:version");
    for (let attempt = 1; attempt <= this.maxGuardAttempts; attempt++) {
      const replies = await this.client.multi().get(stateKey).get(versionKey).exec();
      if (replies === null) throw new Error("the transaction reading the guard state was aborted");
      const [[stateError, stateText], [versionError, version]] = replies as [
        [Error | null, string | null],
        [Error | null, string | null],
      ];
      if (stateError !== null) throw stateError;
      if (versionError !== null) throw versionError;
      const state = parseGuardState(stateText);
      const outcome = change(state);
      if (outcome.state === state) return outcome.result;
      const written = await this.client.eval(
        GUARD_CAS,
        2,
        stateKey,
        versionKey,
        version ?? "0",
        JSON.stringify(outcome.state),
      );
      if (Number(written) === 1) return outcome.result;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, attempt * 2)));
    }
    throw new Error(`the guard state kept changing under ${this.maxGuardAttempts} compare-and-set attempts`);
  }

  private key(suffix: string): string {
    return `${this.prefix}${suffix}`;
  }

  private async wrap<T>(what: string, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      throw new RemediationError(
        RemediationErrorCode.storeUnavailable,
        `could not ${what} in Redis: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
  }
}
