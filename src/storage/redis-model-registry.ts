import { Redis } from "ioredis";
import type {
  ArtifactSummary,
  ModelArtifact,
  NewModelArtifact,
} from "../../training/registry/model-artifact.js";
import {
  RegistryError,
  RegistryErrorCode,
  type ModelRegistry,
} from "../../training/registry/model-registry.js";
import { RedisReadiness } from "./redis-readiness.js";
import { redisRegistryScripts } from "./redis-registry-scripts.js";
import {
  artifactJson,
  artifactJsonTail,
  corrupt,
  parseStoredArtifact,
  summarizeStoredArtifacts,
} from "./stored-artifact.js";
import { assertTargetName, isVersionNumber } from "./target-name.js";

/** Options of {@link RedisModelRegistry}: pass exactly one of `client` and `url`. */
export interface RedisModelRegistryOptions {
  /**
   * A client to share (e.g. the service's connection). The registry never closes it, and its own
   * options decide how long an in-flight command may wait while Redis is down: keep
   * `maxRetriesPerRequest` low (1–3) and set `commandTimeout` so operations cannot hang.
   */
  readonly client?: Redis;
  /** `redis://` or `rediss://` URL of a client the registry creates for itself and closes on `close()`. */
  readonly url?: string;
  /**
   * Prefix of every key (`<prefix>models:<target>:v:<n>`, …); lets several installations or tests
   * share one Redis.
   * @defaultValue "presage:"
   */
  readonly keyPrefix?: string;
  /**
   * How long an operation waits for the connection to become ready (after a restart of Redis, say)
   * before failing with `RegistryError` (`unavailable`); also the TCP connect timeout of a client the
   * registry creates.
   * @defaultValue 3000
   */
  readonly connectTimeoutMs?: number;
  /**
   * For a client the registry creates: a command without a reply for this long fails (and its socket is
   * dropped and reconnected), so no operation hangs on a stalled server.
   * @defaultValue 5000
   */
  readonly commandTimeoutMs?: number;
}

/** {@link RedisModelRegistryOptions} checked and with defaults applied. */
export interface ResolvedRedisModelRegistryOptions {
  readonly keyPrefix: string;
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
}

/** Reconnect backoff of a client the registry creates: 50 ms doubling, capped so recovery is prompt. */
const MAX_RECONNECT_DELAY_MS = 1000;

/**
 * Model registry in Redis, for cluster mode: replicas share versions and the current pointer.
 *
 * Keys per target (`p` = `keyPrefix`): `p models:<target>:seq` (INCR counter), `…:v:<n>` (artifact
 * JSON), `…:versions` (sorted set of version numbers), `…:current` (version) and `…:previous` (list of
 * versions to roll back to, top on the right); plus `p models:targets` (set). Save, promote and roll
 * back are each one Lua script, so they are atomic and concurrent replicas cannot interleave.
 *
 * Failures: anything the client reports (connection refused, retries exhausted, timeouts) becomes
 * `RegistryError` (`unavailable`) with the client's error as `cause`. After `unavailable` a write may or
 * may not have been applied; re-read before retrying a roll back. Operations never queue while the
 * connection is down — they wait up to `connectTimeoutMs` for it, then fail — so a write reported as
 * failed cannot be applied later by a reconnecting client the registry created.
 */
export class RedisModelRegistry implements ModelRegistry {
  readonly options: ResolvedRedisModelRegistryOptions;
  private readonly client: Redis;
  private readonly ownsClient: boolean;
  private lastConnectionError: Error | undefined;
  private readonly readiness: RedisReadiness;
  private closed = false;

  constructor(options: RedisModelRegistryOptions) {
    this.options = resolveOptions(options);
    if (options.client !== undefined) {
      this.client = options.client;
      this.ownsClient = false;
    } else {
      this.client = new Redis(options.url ?? "", {
        lazyConnect: true,
        connectTimeout: this.options.connectTimeoutMs,
        commandTimeout: this.options.commandTimeoutMs,
        socketTimeout: this.options.commandTimeoutMs,
        maxRetriesPerRequest: 1,
        retryStrategy: (attempt) => Math.min(50 * 2 ** (attempt - 1), MAX_RECONNECT_DELAY_MS),
        // Never queue or replay writes across a reconnect: a promote or roll back reported as failed
        // must not happen later behind the caller's back.
        enableOfflineQueue: false,
        autoResendUnfulfilledCommands: false,
      });
      this.ownsClient = true;
      // Connection errors surface through the failing operations; keep the latest for their messages.
      this.client.on("error", (error: Error) => {
        this.lastConnectionError = error;
      });
      this.client.on("ready", () => {
        this.lastConnectionError = undefined;
      });
    }
    this.readiness = new RedisReadiness(this.client, {
      timeoutMs: this.options.connectTimeoutMs,
      ownsClient: this.ownsClient,
    });
  }

  async save(artifact: NewModelArtifact): Promise<ModelArtifact> {
    assertTargetName(artifact.target);
    const keys = this.keys(artifact.target);
    return this.guard(`save a model of target "${artifact.target}"`, async () => {
      const reply = await this.client.eval(
        redisRegistryScripts.save,
        4,
        keys.seq,
        keys.versions,
        this.targetsKey(),
        keys.versionBase,
        artifactJsonTail(artifact),
        artifact.target,
      );
      const version = Number(reply);
      if (!isVersionNumber(version)) throw new Error(`unexpected reply ${JSON.stringify(reply)} to save`);
      return JSON.parse(artifactJson(artifact, version)) as ModelArtifact;
    });
  }

  async listVersions(target: string): Promise<ArtifactSummary[]> {
    assertTargetName(target);
    const keys = this.keys(target);
    return this.guard(`list versions of target "${target}"`, async () => {
      const replies = await this.client.multi().get(keys.current).zrange(keys.versions, 0, "-1").exec();
      if (replies === null) throw new Error("the transaction reading the version list was aborted");
      const [currentReply, versionsReply] = replies.map(([error, result]) => {
        if (error !== null) throw error;
        return result;
      });
      const versions = asStrings(versionsReply, "versions").map(Number);
      const texts = versions.length === 0 ? [] : await this.client.mget(versions.map((v) => keys.version(v)));
      const currentVersion = this.parseCurrent(target, currentReply);
      return summarizeStoredArtifacts(
        target,
        versions.map((version, index) => ({
          ref: { target, version, location: this.locate(keys.version(version)) },
          text: texts[index] ?? undefined,
        })),
        currentVersion,
      );
    });
  }

  async get(target: string, version: number): Promise<ModelArtifact | undefined> {
    assertTargetName(target);
    if (!isVersionNumber(version)) return undefined;
    return this.guard(`read version ${version} of target "${target}"`, () => this.read(target, version));
  }

  async current(target: string): Promise<ModelArtifact | undefined> {
    assertTargetName(target);
    const keys = this.keys(target);
    return this.guard(`read the current model of target "${target}"`, async () => {
      const version = this.parseCurrent(target, await this.client.get(keys.current));
      if (version === undefined) return undefined;
      const artifact = await this.read(target, version);
      if (artifact === undefined) {
        throw corrupt(
          { location: this.locate(keys.current) },
          `names version ${version}, but ${this.locate(keys.version(version))} does not exist`,
        );
      }
      return artifact;
    });
  }

  async promote(target: string, version: number): Promise<void> {
    assertTargetName(target);
    const keys = this.keys(target);
    await this.guard(`promote version ${version} of target "${target}"`, async () => {
      const outcome = isVersionNumber(version)
        ? await this.client.eval(
            redisRegistryScripts.promote,
            3,
            keys.current,
            keys.previous,
            keys.versionBase,
            String(version),
          )
        : -1;
      if (outcome === -1) {
        throw new RegistryError(
          RegistryErrorCode.unknownVersion,
          `cannot promote version ${version} of target "${target}": no such version`,
        );
      }
    });
  }

  async rollBack(target: string): Promise<ModelArtifact | undefined> {
    assertTargetName(target);
    const keys = this.keys(target);
    return this.guard(`roll back target "${target}"`, async () => {
      const reply = await this.client.eval(
        redisRegistryScripts.rollBack,
        3,
        keys.current,
        keys.previous,
        keys.versionBase,
      );
      if (reply === null) return undefined;
      const [back, text] = asStrings(reply, "roll back");
      const version = Number(back);
      const location = this.locate(keys.version(version));
      if (text === undefined) {
        throw corrupt(
          { location: this.locate(keys.previous) },
          `names version ${back}, but ${location} does not exist; nothing was rolled back`,
        );
      }
      return parseStoredArtifact(text, { target, version, location });
    });
  }

  async targets(): Promise<string[]> {
    return this.guard("list targets", async () => (await this.client.smembers(this.targetsKey())).sort());
  }

  /** Quits the client the registry created; a client passed in is left open for its owner. */
  async close(): Promise<void> {
    if (!this.ownsClient || this.closed) return;
    this.closed = true;
    if (this.client.status === "ready") {
      try {
        await this.client.quit();
        return;
      } catch {
        // The connection dropped while quitting; disconnecting below stops reconnection all the same.
      }
    }
    this.client.disconnect();
  }

  private async read(target: string, version: number): Promise<ModelArtifact | undefined> {
    const key = this.keys(target).version(version);
    const text = await this.client.get(key);
    return text === null
      ? undefined
      : parseStoredArtifact(text, { target, version, location: this.locate(key) });
  }

  private parseCurrent(target: string, reply: unknown): number | undefined {
    if (reply === null || reply === undefined) return undefined;
    const version = Number(reply);
    if (!isVersionNumber(version)) {
      throw corrupt(
        { location: this.locate(this.keys(target).current) },
        `holds ${JSON.stringify(reply)}, not a version number`,
      );
    }
    return version;
  }

  private keys(target: string) {
    const base = `${this.options.keyPrefix}models:${target}:`;
    return {
      seq: `${base}seq`,
      versions: `${base}versions`,
      current: `${base}current`,
      previous: `${base}previous`,
      versionBase: `${base}v:`,
      version: (version: number) => `${base}v:${version}`,
    };
  }

  private targetsKey(): string {
    return `${this.options.keyPrefix}models:targets`;
  }

  /** A key as error messages show it: with the server, never with credentials. */
  private locate(key: string): string {
    return `Redis key ${key} on ${this.endpoint()}`;
  }

  private endpoint(): string {
    const { host, port } = this.client.options;
    return `${host ?? "localhost"}:${port ?? 6379}`;
  }

  /**
   * Waits for the connection, runs `action`, passes registry errors through and turns any other
   * failure into `unavailable` (WRONGTYPE, a key clobbered by something else, into `corrupt`).
   */
  private async guard<T>(operation: string, action: () => Promise<T>): Promise<T> {
    try {
      if (this.closed) throw new Error("the registry is closed");
      await this.readiness.ready();
      return await action();
    } catch (error) {
      if (error instanceof RegistryError) throw error;
      const detail = error instanceof Error ? error.message : String(error);
      if (detail.startsWith("WRONGTYPE")) {
        throw new RegistryError(
          RegistryErrorCode.corrupt,
          `could not ${operation}: a registry key on ${this.endpoint()} holds the wrong type (${detail})`,
          { cause: error },
        );
      }
      const last = this.lastConnectionError;
      const lastDetail =
        last === undefined || last.message === detail ? "" : `; last connection error: ${last.message}`;
      throw new RegistryError(
        RegistryErrorCode.unavailable,
        `could not ${operation}: Redis at ${this.endpoint()} is unavailable (${detail}${lastDetail})`,
        { cause: error },
      );
    }
  }
}

function resolveOptions(options: RedisModelRegistryOptions): ResolvedRedisModelRegistryOptions {
  const problems: string[] = [];
  if ((options.client === undefined) === (options.url === undefined)) {
    problems.push("exactly one of `client` and `url` must be given");
  }
  if (options.url !== undefined && !/^rediss?:\/\//.test(options.url)) {
    problems.push("`url` must start with redis:// or rediss://");
  }
  const keyPrefix = options.keyPrefix ?? "presage:";
  const connectTimeoutMs = options.connectTimeoutMs ?? 3000;
  const commandTimeoutMs = options.commandTimeoutMs ?? 5000;
  for (const [field, value] of [
    ["connectTimeoutMs", connectTimeoutMs],
    ["commandTimeoutMs", commandTimeoutMs],
  ] as const) {
    if (!Number.isFinite(value) || value <= 0) {
      problems.push(`\`${field}\` (${value}) must be a positive number of milliseconds`);
    }
  }
  if (problems.length > 0) throw new RangeError(`invalid RedisModelRegistry options: ${problems.join("; ")}`);
  return Object.freeze({ keyPrefix, connectTimeoutMs, commandTimeoutMs });
}

function asStrings(reply: unknown, what: string): string[] {
  if (!Array.isArray(reply) || !reply.every((item): item is string => typeof item === "string")) {
    throw new Error(`unexpected reply ${JSON.stringify(reply)} to ${what}`);
  }
  return reply;
}
