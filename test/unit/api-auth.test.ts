import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { roleAllows } from "../../src/api/auth/api-token.js";
import { RequestRateLimiter } from "../../src/api/auth/request-rate-limiter.js";
import { resolveApiTokens } from "../../src/api/auth/resolve-api-tokens.js";
import { TokenVerifier } from "../../src/api/auth/token-verifier.js";
import { ConfigError } from "../../src/config/presage-config.js";
import { bearer, buildInMemoryApi } from "../support/in-memory-backend.js";

describe("TokenVerifier", () => {
  const verifier = new TokenVerifier([
    { name: "dash", role: "read", token: "read-secret-0123456789" },
    { name: "ops", role: "admin", token: "admin-secret-0123456789" },
  ]);

  it("finds the holder of a configured token", () => {
    expect(verifier.verify("read-secret-0123456789")).toEqual({ name: "dash", role: "read" });
    expect(verifier.verify("admin-secret-0123456789")).toEqual({ name: "ops", role: "admin" });
  });

  it("rejects near misses, prefixes, longer and empty tokens", () => {
    for (const presented of [
      "read-secret-012345678",
      "read-secret-01234567890",
      "READ-secret-0123456789",
      "",
    ]) {
      expect(verifier.verify(presented)).toBeUndefined();
    }
  });
});

describe("TokenVerifier's memory of verified Authorization headers", () => {
  const tokens = [
    { name: "dash", role: "read", token: "read-secret-0123456789" },
    { name: "ops", role: "admin", token: "admin-secret-0123456789" },
  ] as const;

  it("remembers a header only once its token verified, and recalls it by the raw value", () => {
    const verifier = new TokenVerifier(tokens);
    expect(verifier.recall("Bearer read-secret-0123456789")).toBeUndefined();
    expect(verifier.verifyHeader("Bearer read-secret-0123456789", "read-secret-0123456789")).toEqual({
      name: "dash",
      role: "read",
    });
    expect(verifier.recall("Bearer read-secret-0123456789")).toEqual({ name: "dash", role: "read" });
    // Another spelling of the same token is its own entry, found only after it verified too.
    expect(verifier.recall("bearer read-secret-0123456789")).toBeUndefined();
    expect(verifier.rememberedCount).toBe(1);
  });

  it("never remembers a value that failed, so guesses neither fill nor evict the memory", () => {
    const verifier = new TokenVerifier(tokens, { rememberedHeaders: 2 });
    verifier.verifyHeader("Bearer admin-secret-0123456789", "admin-secret-0123456789");
    for (let guess = 0; guess < 50; guess++) {
      expect(
        verifier.verifyHeader(`Bearer guess-${guess}-0123456789`, `guess-${guess}-0123456789`),
      ).toBeUndefined();
      expect(verifier.recall(`Bearer guess-${guess}-0123456789`)).toBeUndefined();
    }
    expect(verifier.rememberedCount).toBe(1);
    expect(verifier.recall("Bearer admin-secret-0123456789")).toEqual({ name: "ops", role: "admin" });
  });

  it("stays bounded: full, it starts over", () => {
    const verifier = new TokenVerifier(tokens, { rememberedHeaders: 2 });
    verifier.verifyHeader("Bearer read-secret-0123456789", "read-secret-0123456789");
    verifier.verifyHeader("Bearer  read-secret-0123456789", "read-secret-0123456789");
    expect(verifier.rememberedCount).toBe(2);
    verifier.verifyHeader("Bearer admin-secret-0123456789", "admin-secret-0123456789");
    expect(verifier.rememberedCount).toBe(1);
    expect(verifier.recall("Bearer admin-secret-0123456789")?.name).toBe("ops");
    expect(verifier.recall("Bearer read-secret-0123456789")).toBeUndefined();
  });

  it("forgets every remembered header when the tokens are reloaded, so a revoked token stops working", () => {
    const verifier = new TokenVerifier(tokens);
    verifier.verifyHeader("Bearer read-secret-0123456789", "read-secret-0123456789");
    verifier.reload([{ name: "ops", role: "admin", token: "admin-secret-0123456789" }]);
    expect(verifier.rememberedCount).toBe(0);
    expect(verifier.recall("Bearer read-secret-0123456789")).toBeUndefined();
    expect(verifier.verify("read-secret-0123456789")).toBeUndefined();
    expect(verifier.verify("admin-secret-0123456789")).toEqual({ name: "ops", role: "admin" });
  });

  it("still checks the role and the rate limit of a remembered header on every request", async () => {
    let now = 0;
    const { app } = await buildInMemoryApi({
      rateLimit: { requestsPerSecond: 1, burst: 2 },
      nowMs: () => now,
    });
    try {
      const read = (url: string, method: "GET" | "POST" = "GET") =>
        app.inject({ method, url, headers: bearer("read") });
      expect((await read("/api/v1/targets")).statusCode).toBe(200);
      expect((await read("/api/v1/targets/shop.web/train", "POST")).statusCode).toBe(403);
      expect((await read("/api/v1/targets")).statusCode).toBe(200);
      expect((await read("/api/v1/targets")).statusCode).toBe(429);
      now += 1000;
      expect((await read("/api/v1/targets")).statusCode).toBe(200);
      const wrong = await app.inject({
        method: "GET",
        url: "/api/v1/targets",
        headers: { authorization: "Bearer read-token-0123456789abcdeX" },
      });
      expect(wrong.statusCode).toBe(401);
    } finally {
      await app.close();
    }
  });

  it("remembers nothing when told to remember 0 headers", () => {
    const verifier = new TokenVerifier(tokens, { rememberedHeaders: 0 });
    expect(verifier.verifyHeader("Bearer read-secret-0123456789", "read-secret-0123456789")?.name).toBe(
      "dash",
    );
    expect(verifier.rememberedCount).toBe(0);
  });
});

describe("roles", () => {
  it("lets admin do what read does, and not the other way round", () => {
    expect(roleAllows("admin", "read")).toBe(true);
    expect(roleAllows("admin", "admin")).toBe(true);
    expect(roleAllows("read", "read")).toBe(true);
    expect(roleAllows("read", "admin")).toBe(false);
  });
});

describe("RequestRateLimiter", () => {
  it("allows a burst, then refills at the rate, per key", () => {
    let now = 0;
    const limiter = new RequestRateLimiter({ requestsPerSecond: 10, burst: 2, nowMs: () => now });
    expect(limiter.take("a").allowed).toBe(true);
    expect(limiter.take("a").allowed).toBe(true);
    expect(limiter.take("a")).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect(limiter.take("b").allowed).toBe(true);
    now += 100;
    expect(limiter.take("a").allowed).toBe(true);
    expect(limiter.take("a").allowed).toBe(false);
    now += 60_000;
    expect(limiter.take("a").allowed).toBe(true);
    expect(limiter.take("a").allowed).toBe(true);
    expect(limiter.take("a").allowed).toBe(false);
  });

  it("says how many whole seconds to wait at slow rates", () => {
    const limiter = new RequestRateLimiter({ requestsPerSecond: 0.1, burst: 1, nowMs: () => 0 });
    expect(limiter.take("a").allowed).toBe(true);
    expect(limiter.take("a")).toEqual({ allowed: false, retryAfterSeconds: 10 });
  });

  it("never limits at rate 0 and rejects nonsense rates", () => {
    const limiter = new RequestRateLimiter({ requestsPerSecond: 0 });
    for (let index = 0; index < 1000; index++) expect(limiter.take("a").allowed).toBe(true);
    expect(() => new RequestRateLimiter({ requestsPerSecond: -1 })).toThrow(/requestsPerSecond.*≥ 0/);
    expect(() => new RequestRateLimiter({ requestsPerSecond: 5, burst: 0.5 })).toThrow(/burst.*≥ 1/);
  });
});

describe("resolveApiTokens", () => {
  let dir = "";
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "presage-tokens-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("combines config, a token file and the environment", async () => {
    const file = join(dir, "tokens");
    await writeFile(file, "# mounted Secret\nci:admin:ci-secret-0123456789abc\n\n");
    const { tokens, generated } = await resolveApiTokens({
      configured: [{ name: "dash", role: "read", token: "dash-secret-0123456789" }],
      tokenFile: file,
      env: "grafana:read:grafana-secret-0123456789, ops:admin:ops-secret-0123456789",
      generateWhenNone: true,
    });
    expect(tokens.map((token) => `${token.name}:${token.role}`)).toEqual([
      "dash:read",
      "ci:admin",
      "grafana:read",
      "ops:admin",
    ]);
    expect(generated).toEqual([]);
  });

  it("generates a random read and admin token when none is configured and asked to", async () => {
    const first = await resolveApiTokens({ generateWhenNone: true });
    const second = await resolveApiTokens({ generateWhenNone: true });
    expect(first.generated.map((token) => token.role)).toEqual(["read", "admin"]);
    expect(first.tokens).toEqual(first.generated);
    for (const token of first.generated) expect(token.token).toMatch(/^presage_[A-Za-z0-9_-]{43}$/);
    // Never a leading "-" (1 in 64 bare base64url strings), which `--token <value>` would take for a flag.
    const many = await Promise.all(
      Array.from({ length: 200 }, () => resolveApiTokens({ generateWhenNone: true })),
    );
    for (const { generated } of many) for (const token of generated) expect(token.token).not.toMatch(/^-/);
    expect(second.generated[0]!.token).not.toBe(first.generated[0]!.token);
    expect(await resolveApiTokens({ env: "  " })).toEqual({ tokens: [], generated: [] });
  });

  it("reports every bad entry at once without echoing secrets", async () => {
    const error = await resolveApiTokens({
      configured: [{ name: "dash", role: "read", token: "dash-secret-0123456789" }],
      env: "dash:read:other-secret-0123456789,bad name:write:short,just-one-part,x:read:dash-secret-0123456789",
      tokenFile: join(dir, "missing"),
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toContain("api.tokenFile");
    expect(message).toContain("cannot be read");
    expect(message).toContain('PRESAGE_API_TOKENS entry 2.name ("bad name") must be 1–64');
    expect(message).toContain('PRESAGE_API_TOKENS entry 2.role ("write") must be read or admin');
    expect(message).toContain("PRESAGE_API_TOKENS entry 2.token must be 16–512 printable ASCII characters");
    expect(message).toContain("PRESAGE_API_TOKENS entry 3 must be name:role:token");
    expect(message).toContain('api tokens ("dash") name is used twice');
    expect(message).toContain('api token "x" reuses the secret of another token');
    expect(message).not.toContain("short");
    expect(message).not.toContain("dash-secret");
  });
});
