import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRedis, type RealRedis } from "../support/real-redis.js";

describe("real redis-server harness", () => {
  let redis: RealRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis.stop();
  });

  it("keeps acknowledged writes across a crash and restart", async () => {
    const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await client.connect();
    await client.set("presage:test", "kept");
    client.disconnect();
    await redis.kill();
    await redis.restart();
    const again = new Redis(redis.url, { lazyConnect: true });
    await again.connect();
    expect(await again.get("presage:test")).toBe("kept");
    again.disconnect();
  });
});
