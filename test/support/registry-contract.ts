import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { restoreModel } from "../../training/restore-model.js";
import {
  RegistryError,
  RegistryErrorCode,
  type ModelRegistry,
} from "../../training/registry/model-registry.js";
import { newArtifact } from "./registry-artifacts.js";

/**
 * The behaviour every `ModelRegistry` adapter must show. `makeRegistry` returns a fresh, empty
 * registry for each test (its own directory or key prefix); `cleanup` releases it afterwards.
 */
export function describeModelRegistryContract(
  name: string,
  makeRegistry: () => Promise<ModelRegistry>,
  cleanup: (registry: ModelRegistry) => Promise<void>,
): void {
  describe(`${name} (ModelRegistry contract)`, () => {
    let registry: ModelRegistry;
    beforeEach(async () => {
      registry = await makeRegistry();
    });
    afterEach(async () => {
      await cleanup(registry);
    });

    it("assigns versions 1, 2, 3 per target, independently for each target", async () => {
      const saved = [];
      for (let i = 0; i < 3; i++) saved.push(await registry.save(newArtifact("web")));
      const other = await registry.save(newArtifact("api"));
      expect(saved.map((artifact) => artifact.version)).toEqual([1, 2, 3]);
      expect(other.version).toBe(1);
      expect(saved[0]).toEqual({ ...newArtifact("web"), version: 1 });
    });

    it("gets back exactly what was saved, fitted state included", async () => {
      const artifact = newArtifact("web");
      const saved = await registry.save(artifact);
      const got = await registry.get("web", saved.version);
      expect(got).toEqual({ ...artifact, version: 1 });
      expect(got).toEqual(saved);
      const restored = restoreModel(got!.state).predict(24, { levels: [80, 95] });
      expect(restored).toEqual(restoreModel(artifact.state).predict(24, { levels: [80, 95] }));
    });

    it("ignores a version smuggled into a new artifact", async () => {
      const smuggled = { ...newArtifact("web"), version: 42 };
      const saved = await registry.save(smuggled);
      expect(saved.version).toBe(1);
      expect((await registry.get("web", 1))?.version).toBe(1);
      expect(await registry.get("web", 42)).toBeUndefined();
    });

    it("returns undefined for versions and targets that do not exist", async () => {
      await registry.save(newArtifact("web"));
      expect(await registry.get("web", 2)).toBeUndefined();
      expect(await registry.get("web", 0)).toBeUndefined();
      expect(await registry.get("web", 1.5)).toBeUndefined();
      expect(await registry.get("nothing", 1)).toBeUndefined();
      expect(await registry.listVersions("nothing")).toEqual([]);
    });

    it("lists versions oldest first, flags the current one and leaves the state out", async () => {
      for (const mase of [0.9, 0.8, 0.7]) {
        await registry.save(newArtifact("web", { backtest: { ...newArtifact("web").backtest, mase } }));
      }
      await registry.promote("web", 2);
      const list = await registry.listVersions("web");
      expect(list.map((row) => [row.version, row.current, row.backtest.mase])).toEqual([
        [1, false, 0.9],
        [2, true, 0.8],
        [3, false, 0.7],
      ]);
      for (const row of list) expect(row).not.toHaveProperty("state");
      const first: Record<string, unknown> = {
        ...newArtifact("web", { backtest: { ...newArtifact("web").backtest, mase: 0.9 } }),
        version: 1,
        current: false,
      };
      delete first.state;
      expect(list[0]).toEqual(first);
    });

    it("has no current model before anything is promoted", async () => {
      expect(await registry.current("web")).toBeUndefined();
      await registry.save(newArtifact("web"));
      expect(await registry.current("web")).toBeUndefined();
      expect((await registry.listVersions("web")).map((row) => row.current)).toEqual([false]);
    });

    it("makes the promoted version current", async () => {
      await registry.save(newArtifact("web"));
      await registry.save(newArtifact("web"));
      await registry.promote("web", 2);
      expect((await registry.current("web"))?.version).toBe(2);
      await registry.promote("web", 1);
      expect((await registry.current("web"))?.version).toBe(1);
    });

    it("refuses to promote a version that does not exist, leaving current alone", async () => {
      await registry.save(newArtifact("web"));
      await registry.promote("web", 1);
      for (const version of [2, 0, -1, 1.5]) {
        const error = await registry.promote("web", version).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(RegistryError);
        expect(error).toMatchObject({ code: RegistryErrorCode.unknownVersion });
      }
      await expect(registry.promote("nothing", 1)).rejects.toMatchObject({
        code: RegistryErrorCode.unknownVersion,
      });
      expect((await registry.current("web"))?.version).toBe(1);
    });

    it("rolls back to the version that was current before, one step at a time", async () => {
      for (let i = 0; i < 3; i++) await registry.save(newArtifact("web"));
      await registry.promote("web", 1);
      await registry.promote("web", 2);
      await registry.promote("web", 3);
      const back = await registry.rollBack("web");
      expect(back).toEqual(await registry.get("web", 2));
      expect((await registry.current("web"))?.version).toBe(2);
      expect((await registry.rollBack("web"))?.version).toBe(1);
      expect((await registry.current("web"))?.version).toBe(1);
      expect(await registry.rollBack("web")).toBeUndefined();
      expect((await registry.current("web"))?.version).toBe(1);
    });

    it("does not stack a version promoted while it is already current", async () => {
      await registry.save(newArtifact("web"));
      await registry.save(newArtifact("web"));
      await registry.promote("web", 1);
      await registry.promote("web", 2);
      await registry.promote("web", 2);
      expect((await registry.rollBack("web"))?.version).toBe(1);
      expect(await registry.rollBack("web")).toBeUndefined();
    });

    it("has nothing to roll back to without promotions, or after a single one", async () => {
      expect(await registry.rollBack("web")).toBeUndefined();
      await registry.save(newArtifact("web"));
      expect(await registry.rollBack("web")).toBeUndefined();
      await registry.promote("web", 1);
      expect(await registry.rollBack("web")).toBeUndefined();
      expect((await registry.current("web"))?.version).toBe(1);
    });

    it("names the targets that have versions", async () => {
      expect(await registry.targets()).toEqual([]);
      await registry.save(newArtifact("web"));
      await registry.save(newArtifact("api.v2"));
      await registry.save(newArtifact("web"));
      expect(await registry.targets()).toEqual(["api.v2", "web"]);
    });

    it("rejects target names that could escape the store", async () => {
      for (const target of ["../etc", "a/b", "", "Web", "-x", "a:b", "x".repeat(64)]) {
        await expect(registry.save(newArtifact(target))).rejects.toThrow(RangeError);
        await expect(registry.get(target, 1)).rejects.toThrow(/`target`/);
      }
    });

    it("gives 20 concurrent saves 20 distinct versions", async () => {
      const saved = await Promise.all(Array.from({ length: 20 }, () => registry.save(newArtifact("web"))));
      const versions = saved.map((artifact) => artifact.version).sort((a, b) => a - b);
      expect(versions).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect((await registry.listVersions("web")).map((row) => row.version)).toEqual(versions);
    });

    it("loses no roll-back step when promotions race", async () => {
      for (let i = 0; i < 10; i++) await registry.save(newArtifact("web"));
      await Promise.all(Array.from({ length: 10 }, (_, i) => registry.promote("web", i + 1)));
      const seen = [(await registry.current("web"))!.version];
      for (;;) {
        const back = await registry.rollBack("web");
        if (back === undefined) break;
        seen.push(back.version);
      }
      expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    });
  });
}
