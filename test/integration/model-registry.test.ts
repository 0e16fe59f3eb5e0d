import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FileModelRegistry } from "../../src/storage/file-model-registry.js";
import { RedisModelRegistry } from "../../src/storage/redis-model-registry.js";
import {
  RegistryError,
  RegistryErrorCode,
  type ModelRegistry,
} from "../../training/registry/model-registry.js";
import { freePort } from "../support/free-port.js";
import { startRedis, type RealRedis } from "../support/real-redis.js";
import { newArtifact } from "../support/registry-artifacts.js";
import { describeModelRegistryContract } from "../support/registry-contract.js";

/** Generous bound on how long an operation may take to fail while Redis is down. */
const UNAVAILABLE_WITHIN_MS = 5000;

describe("file model registry", () => {
  const directories = new Map<ModelRegistry, string>();
  describeModelRegistryContract(
    "FileModelRegistry",
    async () => {
      const directory = await mkdtemp(join(tmpdir(), "presage-registry-"));
      const registry = new FileModelRegistry({ directory });
      directories.set(registry, directory);
      return registry;
    },
    async (registry) => {
      await registry.close();
      const directory = directories.get(registry);
      if (directory !== undefined) await rm(directory, { recursive: true, force: true });
    },
  );
});

describe("redis model registry", () => {
  let redis: RealRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis.stop();
  });

  describeModelRegistryContract(
    "RedisModelRegistry",
    () => Promise.resolve(new RedisModelRegistry({ url: redis.url, keyPrefix: uniquePrefix() })),
    (registry) => registry.close(),
  );

  describe("connections and keys", () => {
    let client: Redis;
    beforeEach(() => {
      client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    });
    afterEach(() => {
      client.disconnect();
    });

    it("keeps every key under its prefix and stores self-describing JSON", async () => {
      const keyPrefix = uniquePrefix();
      const registry = new RedisModelRegistry({ client, keyPrefix });
      await registry.save(newArtifact("web"));
      await registry.promote("web", 1);
      const keys = (await client.keys("*")).filter((key) => key.startsWith(keyPrefix)).sort();
      expect(keys).toEqual(
        [
          "models:targets",
          "models:web:current",
          "models:web:seq",
          "models:web:v:1",
          "models:web:versions",
        ].map((key) => keyPrefix + key),
      );
      const stored = JSON.parse((await client.get(`${keyPrefix}models:web:v:1`))!) as Record<string, unknown>;
      expect(Object.keys(stored).slice(0, 2)).toEqual(["version", "target"]);
      expect(stored).toEqual({ ...newArtifact("web"), version: 1 });
    });

    it("works through a client that prefixes keys itself", async () => {
      const clientPrefix = uniquePrefix();
      const prefixed = new Redis(redis.url, { lazyConnect: true, keyPrefix: clientPrefix });
      try {
        const registry = new RedisModelRegistry({ client: prefixed, keyPrefix: "p:" });
        await registry.save(newArtifact("web"));
        await registry.save(newArtifact("web"));
        await registry.promote("web", 1);
        await registry.promote("web", 2);
        expect((await registry.rollBack("web"))?.version).toBe(1);
        expect((await registry.listVersions("web")).map((row) => row.current)).toEqual([true, false]);
        expect(await registry.targets()).toEqual(["web"]);
        const keys = (await client.keys(`${clientPrefix}*`)).sort();
        expect(keys).toContain(`${clientPrefix}p:models:web:v:2`);
        expect(keys.every((key) => key.startsWith(`${clientPrefix}p:models:`))).toBe(true);
      } finally {
        prefixed.disconnect();
      }
    });

    it("does not see another prefix's models", async () => {
      const one = new RedisModelRegistry({ client, keyPrefix: uniquePrefix() });
      const two = new RedisModelRegistry({ client, keyPrefix: uniquePrefix() });
      await one.save(newArtifact("web"));
      expect(await two.targets()).toEqual([]);
      expect((await two.save(newArtifact("web"))).version).toBe(1);
    });

    it("leaves a client it was given open when closed", async () => {
      const registry = new RedisModelRegistry({ client, keyPrefix: uniquePrefix() });
      await registry.save(newArtifact("web"));
      await registry.close();
      expect(await client.ping()).toBe("PONG");
    });

    it("gives saves from two replicas distinct versions and serialises their promotions", async () => {
      const keyPrefix = uniquePrefix();
      const replicas = [
        new RedisModelRegistry({ url: redis.url, keyPrefix }),
        new RedisModelRegistry({ url: redis.url, keyPrefix }),
      ];
      try {
        const saved = await Promise.all(
          Array.from({ length: 20 }, (_, i) => replicas[i % 2]!.save(newArtifact("web"))),
        );
        expect(new Set(saved.map((artifact) => artifact.version)).size).toBe(20);
        await Promise.all(Array.from({ length: 20 }, (_, i) => replicas[i % 2]!.promote("web", i + 1)));
        let steps = 0;
        while ((await replicas[steps % 2]!.rollBack("web")) !== undefined) steps++;
        expect(steps).toBe(19);
      } finally {
        await Promise.all(replicas.map((replica) => replica.close()));
      }
    });

    it("requires exactly one of client and url, and a redis URL", () => {
      expect(() => new RedisModelRegistry({})).toThrow(/exactly one of `client` and `url`/);
      expect(() => new RedisModelRegistry({ client, url: redis.url })).toThrow(/exactly one/);
      expect(() => new RedisModelRegistry({ url: "http://x" })).toThrow(/redis:\/\//);
      expect(() => new RedisModelRegistry({ url: redis.url, connectTimeoutMs: 0 })).toThrow(
        /`connectTimeoutMs` \(0\) must be a positive/,
      );
    });
  });
});

describe("redis model registry while Redis is down", () => {
  let redis: RealRedis;
  let registry: RedisModelRegistry;
  beforeEach(async () => {
    redis = await startRedis();
    registry = new RedisModelRegistry({ url: redis.url, keyPrefix: uniquePrefix() });
  });
  afterEach(async () => {
    await registry.close();
    await redis.stop();
  });

  it("fails with unavailable within a bounded time, then works again after a restart with nothing lost", async () => {
    await registry.save(newArtifact("web"));
    await registry.save(newArtifact("web"));
    await registry.promote("web", 1);
    await registry.promote("web", 2);

    await redis.kill();
    for (const operation of [
      () => registry.save(newArtifact("web")),
      () => registry.current("web"),
      () => registry.listVersions("web"),
      () => registry.promote("web", 1),
      () => registry.rollBack("web"),
      () => registry.targets(),
    ]) {
      const startedMs = Date.now();
      const error = await operation().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(Date.now() - startedMs).toBeLessThan(UNAVAILABLE_WITHIN_MS);
      expect(error).toBeInstanceOf(RegistryError);
      expect(error).toMatchObject({ code: RegistryErrorCode.unavailable });
      expect((error as RegistryError).message).toContain(`127.0.0.1:${redis.port}`);
      expect((error as RegistryError).cause).toBeInstanceOf(Error);
    }

    await redis.restart();
    expect((await registry.current("web"))?.version).toBe(2);
    expect((await registry.listVersions("web")).map((row) => [row.version, row.current])).toEqual([
      [1, false],
      [2, true],
    ]);
    expect((await registry.save(newArtifact("web"))).version).toBe(3);
    expect((await registry.rollBack("web"))?.version).toBe(1);
  });

  it("fails with unavailable when an operation is in flight as Redis dies", async () => {
    await registry.save(newArtifact("web"));
    const settled = Promise.allSettled(Array.from({ length: 50 }, () => registry.save(newArtifact("web"))));
    await redis.kill();
    const outcomes = await settled;
    for (const outcome of outcomes) {
      if (outcome.status === "rejected") {
        expect(outcome.reason).toMatchObject({ code: RegistryErrorCode.unavailable });
      }
    }
    await redis.restart();
    const versions = (await registry.listVersions("web")).map((row) => row.version);
    const acknowledged = outcomes.flatMap((o) => (o.status === "fulfilled" ? [o.value.version] : []));
    for (const version of acknowledged) expect(versions).toContain(version);
  });
});

describe("redis model registry without a server", () => {
  it("fails with unavailable within a bounded time", async () => {
    const registry = new RedisModelRegistry({ url: `redis://127.0.0.1:${await freePort()}` });
    try {
      const startedMs = Date.now();
      await expect(registry.targets()).rejects.toMatchObject({
        code: RegistryErrorCode.unavailable,
        message: expect.stringMatching(/ECONNREFUSED/) as unknown,
      });
      expect(Date.now() - startedMs).toBeLessThan(UNAVAILABLE_WITHIN_MS);
    } finally {
      await registry.close();
    }
  });
});

function uniquePrefix(): string {
  return `presage-test:${randomUUID()}:`;
}
