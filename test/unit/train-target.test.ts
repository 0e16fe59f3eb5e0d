import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Series } from "../../models/series.js";
import { createForecasterFor } from "../../training/model-catalog.js";
import { fitOnThisThread } from "../../training/pipeline/fit-challenger.js";
import { modelContext, trainTarget, type TrainingTarget } from "../../training/pipeline/train-target.js";
import { TrainingError, TrainingErrorCode } from "../../training/pipeline/training-error.js";
import { restoreModel } from "../../training/restore-model.js";
import { FileModelRegistry } from "../../src/storage/file-model-registry.js";
import { syntheticWorkload } from "../../src/sources/synthetic-workload.js";

const HOUR = 3600;
const workload = syntheticWorkload({ stepSeconds: HOUR, days: 35, seed: 5 });

function target(models: string[]): TrainingTarget {
  return { name: "web", stepSeconds: HOUR, horizonSteps: 12, seasonalitySeconds: [86_400, 604_800], models };
}

/** The first `days` days of the workload, as a history that ends then. */
function historyUpTo(days: number, fromDay = 0): Series {
  return {
    values: workload.values.slice(fromDay * 24, days * 24),
    stepSeconds: HOUR,
    startMs: (workload.startMs ?? 0) + fromDay * 86_400_000,
  };
}

describe("trainTarget", () => {
  let dir = "";
  let registry: FileModelRegistry;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "presage-train-"));
    registry = new FileModelRegistry({ directory: dir });
  });
  afterEach(async () => {
    await registry.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("stores nothing when the run is stopped while it fits (its runner already gave it up)", async () => {
    const controller = new AbortController();
    const stop = new Error("worker shutting down");
    const run = trainTarget({
      target: target(["snaive"]),
      history: historyUpTo(21),
      registry,
      codeVersion: "test",
      signal: controller.signal,
      fit: async (job, options) => {
        const fitted = await fitOnThisThread(job, options);
        controller.abort(stop);
        return fitted;
      },
    });
    await expect(run).rejects.toBe(stop);
    expect(await registry.current("web")).toBeUndefined();
  });

  it("promotes the first model and stores an artifact that forecasts like a direct fit", async () => {
    const history = historyUpTo(21);
    const result = await trainTarget({ target: target(["auto"]), history, registry, codeVersion: "test" });
    expect(result.promoted).toBe(true);
    expect(result.reason).toBe("no current model");
    const current = await registry.current("web");
    expect(current?.version).toBe(result.artifact.version);
    expect(current?.dataRange).toMatchObject({ points: 21 * 24, stepSeconds: HOUR, missing: 0 });
    expect(current?.dataRange.endMs).toBe((history.startMs ?? 0) + (21 * 24 - 1) * HOUR * 1000);
    expect(current?.backtest.originsMs).toHaveLength(4);
    expect(current?.backtest.mase).toBeGreaterThan(0);
    const direct = createForecasterFor(["auto"], modelContext(target(["auto"]))).fit(history);
    expect(restoreModel(current!.state).predict(12)).toEqual(direct.predict(12));
  });

  it("keeps the current model when there is no new data to compare on", async () => {
    await trainTarget({
      target: target(["snaive"]),
      history: historyUpTo(21),
      registry,
      codeVersion: "test",
    });
    const again = await trainTarget({
      target: target(["snaive"]),
      history: historyUpTo(21),
      registry,
      codeVersion: "test",
    });
    expect(again.promoted).toBe(false);
    expect(again.reason).toMatch(/not enough data since current v1/);
    expect((await registry.current("web"))?.version).toBe(1);
    expect(await registry.listVersions("web")).toHaveLength(2);
  });

  it("promotes a challenger that beats the current model on the same window", async () => {
    await trainTarget({ target: target(["naive"]), history: historyUpTo(21), registry, codeVersion: "test" });
    const challenger = await trainTarget({
      target: target(["snaive"]),
      history: historyUpTo(28, 7),
      registry,
      codeVersion: "test",
    });
    expect(challenger.promoted).toBe(true);
    expect(challenger.reason).toMatch(/^challenger MASE [\d.]+ vs current v1 [\d.]+ on 4 origins: promoted$/);
    expect((await registry.current("web"))?.version).toBe(2);
  });

  it("keeps a better current model and records why", async () => {
    await trainTarget({
      target: target(["snaive"]),
      history: historyUpTo(21),
      registry,
      codeVersion: "test",
    });
    const challenger = await trainTarget({
      target: target(["naive"]),
      history: historyUpTo(28, 7),
      registry,
      codeVersion: "test",
    });
    expect(challenger.promoted).toBe(false);
    expect(challenger.reason).toMatch(/kept v1$/);
    expect(challenger.artifact.decision.championMase).toBeLessThan(
      challenger.artifact.decision.challengerMase ?? 0,
    );
    expect((await registry.current("web"))?.version).toBe(1);
  });

  it("refuses too short a history with a non-retryable error", async () => {
    const attempt = trainTarget({
      target: target(["snaive"]),
      history: historyUpTo(2),
      registry,
      codeVersion: "test",
    });
    await expect(attempt).rejects.toBeInstanceOf(TrainingError);
    await expect(attempt).rejects.toMatchObject({
      code: TrainingErrorCode.insufficientHistory,
      retryable: false,
    });
  });

  it("refuses a history that is mostly missing", async () => {
    const history = historyUpTo(21);
    const values = history.values.map((value, i) => (i % 3 === 0 ? value : Number.NaN));
    await expect(
      trainTarget({
        target: target(["snaive"]),
        history: { ...history, values },
        registry,
        codeVersion: "test",
      }),
    ).rejects.toMatchObject({ code: TrainingErrorCode.tooManyMissing });
  });

  it("reports progress from start to finish", async () => {
    const stages: number[] = [];
    await trainTarget({
      target: target(["snaive"]),
      history: historyUpTo(21),
      registry,
      codeVersion: "test",
      onProgress: (fraction) => stages.push(fraction),
    });
    expect(stages[0]).toBeLessThan(0.1);
    expect(stages[stages.length - 1]).toBe(1);
    expect([...stages].sort((a, b) => a - b)).toEqual(stages);
  });
});
