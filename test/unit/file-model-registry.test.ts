import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileModelRegistry } from "../../src/storage/file-model-registry.js";
import { RegistryError, RegistryErrorCode } from "../../training/registry/model-registry.js";
import { newArtifact } from "../support/registry-artifacts.js";

describe("FileModelRegistry on disk", () => {
  let directory: string;
  let registry: FileModelRegistry;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), "presage-file-registry-"));
    registry = new FileModelRegistry({ directory });
  });
  afterEach(async () => {
    await registry.close();
    await rm(directory, { recursive: true, force: true });
  });

  const file = (...parts: string[]): string => join(directory, ...parts);

  async function rejection(promise: Promise<unknown>): Promise<RegistryError> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RegistryError);
    return error as RegistryError;
  }

  describe("layout", () => {
    it("writes one immutable file per version and a pointer file with the roll-back stack", async () => {
      for (let i = 0; i < 3; i++) await registry.save(newArtifact("web"));
      await registry.promote("web", 1);
      await registry.promote("web", 3);
      expect((await readdir(file("web"))).sort()).toEqual([
        "current.json",
        "v000001.json",
        "v000002.json",
        "v000003.json",
      ]);
      expect(JSON.parse(await readFile(file("web", "current.json"), "utf8"))).toEqual({
        current: 3,
        previous: [1],
      });
      const stored = JSON.parse(await readFile(file("web", "v000002.json"), "utf8")) as Record<
        string,
        unknown
      >;
      expect(Object.keys(stored).slice(0, 2)).toEqual(["version", "target"]);
      expect(stored).toEqual({ ...newArtifact("web"), version: 2 });
    });

    it("leaves no temporary or lock files behind", async () => {
      await Promise.all(Array.from({ length: 10 }, () => registry.save(newArtifact("web"))));
      await Promise.all(Array.from({ length: 10 }, (_, i) => registry.promote("web", i + 1)));
      await registry.rollBack("web");
      const names = await readdir(file("web"));
      expect(names.filter((name) => name.endsWith(".tmp") || name.endsWith(".lock"))).toEqual([]);
    });

    it("ignores stray files and directories that are not versions or targets", async () => {
      await registry.save(newArtifact("web"));
      await writeFile(file("web", ".v000002.json.123.abc.tmp"), "{half");
      await writeFile(file("web", "notes.txt"), "hello");
      await mkdir(file("empty-target"));
      await mkdir(file("Not_A_Target"));
      await writeFile(file("plain-file"), "x");
      expect((await registry.listVersions("web")).map((row) => row.version)).toEqual([1]);
      expect(await registry.targets()).toEqual(["web"]);
      expect((await registry.save(newArtifact("web"))).version).toBe(2);
    });

    it("works on a directory that does not exist yet, creating it on the first save", async () => {
      const nested = new FileModelRegistry({ directory: file("a", "b") });
      expect(await nested.targets()).toEqual([]);
      expect(await nested.current("web")).toBeUndefined();
      expect(await nested.rollBack("web")).toBeUndefined();
      expect((await nested.save(newArtifact("web"))).version).toBe(1);
      expect(await nested.targets()).toEqual(["web"]);
    });
  });

  describe("several registries on one directory", () => {
    it("gives concurrent saves from two registries 20 distinct versions", async () => {
      const other = new FileModelRegistry({ directory });
      const saved = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? registry : other).save(newArtifact("web"))),
      );
      const versions = saved.map((artifact) => artifact.version).sort((a, b) => a - b);
      expect(versions).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      for (const artifact of saved) expect(await other.get("web", artifact.version)).toEqual(artifact);
    });

    it("serialises promotions from two registries so no roll-back step is lost", async () => {
      const other = new FileModelRegistry({ directory });
      for (let i = 0; i < 12; i++) await registry.save(newArtifact("web"));
      await Promise.all(
        Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? registry : other).promote("web", i + 1)),
      );
      const pointer = JSON.parse(await readFile(file("web", "current.json"), "utf8")) as {
        current: number;
        previous: number[];
      };
      expect([pointer.current, ...pointer.previous].sort((a, b) => a - b)).toEqual(
        Array.from({ length: 12 }, (_, i) => i + 1),
      );
    });
  });

  describe("unreadable files", () => {
    beforeEach(async () => {
      for (let i = 0; i < 3; i++) await registry.save(newArtifact("web"));
      await registry.promote("web", 1);
    });

    it("throws corrupt naming the file when the version asked for is not JSON, and reads the others", async () => {
      await writeFile(file("web", "v000002.json"), '{"version":2,"target":"we');
      const error = await rejection(registry.get("web", 2));
      expect(error.code).toBe(RegistryErrorCode.corrupt);
      expect(error.message).toContain(file("web", "v000002.json"));
      expect(error.message).toContain("is not valid JSON");
      expect(error.cause).toBeInstanceOf(SyntaxError);
      expect((await registry.get("web", 3))?.version).toBe(3);
      expect((await registry.current("web"))?.version).toBe(1);
    });

    it("treats an empty file, a non-object and a file for another version as corrupt", async () => {
      const cases: [string, RegExp][] = [
        ["", /is not valid JSON/],
        ["[1,2]", /does not hold a JSON object/],
        [await readFile(file("web", "v000001.json"), "utf8"), /names version 1, expected 2/],
        [JSON.stringify({ ...newArtifact("api"), version: 2 }), /names target "api", expected "web"/],
        [JSON.stringify({ ...newArtifact("web"), version: 2, state: null }), /lacks a model `state`/],
        [
          JSON.stringify({ ...newArtifact("web"), version: 2, createdAt: 5 }),
          /lacks string field `createdAt`/,
        ],
      ];
      for (const [text, message] of cases) {
        await writeFile(file("web", "v000002.json"), text);
        const error = await rejection(registry.get("web", 2));
        expect(error.code).toBe(RegistryErrorCode.corrupt);
        expect(error.message).toMatch(message);
      }
    });

    it("fails the whole listing, naming every unreadable file, rather than leave versions out", async () => {
      await writeFile(file("web", "v000002.json"), "garbage");
      const one = await rejection(registry.listVersions("web"));
      expect(one.code).toBe(RegistryErrorCode.corrupt);
      expect(one.message).toContain("v000002.json");
      await writeFile(file("web", "v000003.json"), "");
      const two = await rejection(registry.listVersions("web"));
      expect(two.code).toBe(RegistryErrorCode.corrupt);
      expect(two.message).toMatch(/2 stored versions of target "web" are unreadable/);
      expect(two.message).toContain("v000002.json");
      expect(two.message).toContain("v000003.json");
      expect(two.cause).toBeInstanceOf(AggregateError);
    });

    it("refuses to promote or roll back to an unreadable version and leaves the pointer alone", async () => {
      await registry.promote("web", 2);
      await writeFile(file("web", "v000003.json"), "garbage");
      expect((await rejection(registry.promote("web", 3))).code).toBe(RegistryErrorCode.corrupt);
      await writeFile(file("web", "v000001.json"), "garbage");
      expect((await rejection(registry.rollBack("web"))).code).toBe(RegistryErrorCode.corrupt);
      expect(JSON.parse(await readFile(file("web", "current.json"), "utf8"))).toEqual({
        current: 2,
        previous: [1],
      });
    });

    it("still saves new versions past an unreadable one", async () => {
      await writeFile(file("web", "v000003.json"), "garbage");
      expect((await registry.save(newArtifact("web"))).version).toBe(4);
    });

    it("throws corrupt naming current.json when the pointer is unreadable, but still serves versions", async () => {
      for (const text of ["{", '{"current":"1","previous":[]}', '{"current":1,"previous":[0]}']) {
        await writeFile(file("web", "current.json"), text);
        for (const operation of [
          () => registry.current("web"),
          () => registry.listVersions("web"),
          () => registry.promote("web", 2),
          () => registry.rollBack("web"),
        ]) {
          const error = await rejection(operation());
          expect(error.code).toBe(RegistryErrorCode.corrupt);
          expect(error.message).toContain(file("web", "current.json"));
        }
      }
      expect((await registry.get("web", 2))?.version).toBe(2);
    });

    it("throws corrupt when the pointer names a version whose file is gone", async () => {
      await rm(file("web", "v000001.json"));
      const error = await rejection(registry.current("web"));
      expect(error.code).toBe(RegistryErrorCode.corrupt);
      expect(error.message).toMatch(/current\.json names version 1, but .*v000001\.json does not exist/);
    });
  });

  describe("locking", () => {
    beforeEach(async () => {
      await registry.save(newArtifact("web"));
    });

    it("fails with unavailable when another process holds the target's lock too long", async () => {
      await writeFile(file("web", "current.lock"), "4242@elsewhere");
      const impatient = new FileModelRegistry({ directory, lockTimeoutMs: 100 });
      const startedMs = Date.now();
      const error = await rejection(impatient.promote("web", 1));
      expect(error.code).toBe(RegistryErrorCode.unavailable);
      expect(error.message).toMatch(/current\.lock is still held after 100 ms/);
      expect(Date.now() - startedMs).toBeLessThan(2000);
      expect(await registry.current("web")).toBeUndefined();
    });

    it("breaks a lock left behind by a crashed process", async () => {
      const lock = file("web", "current.lock");
      await writeFile(lock, "4242@elsewhere");
      const longAgo = new Date(Date.now() - 60_000);
      await utimes(lock, longAgo, longAgo);
      await registry.promote("web", 1);
      expect((await registry.current("web"))?.version).toBe(1);
      expect(await readdir(file("web"))).not.toContain("current.lock");
    });
  });

  describe("failures and options", () => {
    it("reports file-system failures as unavailable with the cause attached", async () => {
      await writeFile(file("occupied"), "a file where the registry wants a directory");
      const blocked = new FileModelRegistry({ directory: file("occupied") });
      const error = await rejection(blocked.save(newArtifact("web")));
      expect(error.code).toBe(RegistryErrorCode.unavailable);
      expect(error.message).toMatch(/could not save a model of target "web" in .*occupied/);
      expect(error.cause).toMatchObject({ code: expect.stringMatching(/^(EEXIST|ENOTDIR)$/) as unknown });
    });

    it("validates its options", () => {
      expect(() => new FileModelRegistry({ directory: " " })).toThrow(
        /`directory` \(" "\) must be a non-empty path/,
      );
      expect(() => new FileModelRegistry({ directory, lockTimeoutMs: 0 })).toThrow(
        /`lockTimeoutMs` \(0\) must be a positive number of milliseconds/,
      );
      expect(new FileModelRegistry({ directory: "models" }).options.directory).toBe(
        join(process.cwd(), "models"),
      );
    });
  });
});
