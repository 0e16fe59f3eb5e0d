import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError, parseConfigText } from "../../src/config/presage-config.js";
import { FileModelRegistry } from "../../src/storage/file-model-registry.js";
import { SyntheticMetricSource } from "../../src/sources/synthetic-metric-source.js";
import {
  createConfiguredTrainer,
  historyRange,
  trainingTargetOf,
  trainTargetJob,
} from "../../src/training-runtime/train-target-job.js";
import { classifyTrainFailure } from "../../jobs/train-job-error.js";
import { createTrainProcessor, type TrainJob } from "../../jobs/train-processor.js";

const config = parseConfigText(`
targets:
  - name: web
    source: synthetic
    seed: 7
    step: 15m
    history: 7d
    horizons: [30m, 2h]
    seasonality: [1d]
    models: [snaive, naive]
    schedule: "0 */6 * * *"
`);
const web = config.targets[0]!;
const WINDOW_END = Date.UTC(2027, 0, 4, 12, 0);

describe("training a target on a window", () => {
  let dir = "";
  let registry: FileModelRegistry;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "presage-jobs-"));
    registry = new FileModelRegistry({ directory: dir });
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("maps the config target to what training needs: the longest horizon in steps", () => {
    expect(trainingTargetOf(web)).toEqual({
      name: "web",
      stepSeconds: 900,
      horizonSteps: 8,
      seasonalitySeconds: [86_400],
      models: ["snaive", "naive"],
    });
  });

  it("fetches history for [end − history, end], aligned to the step, both ends included", () => {
    expect(historyRange(web, WINDOW_END + 899_999)).toEqual({
      startMs: WINDOW_END - 7 * 86_400_000,
      endMs: WINDOW_END,
    });
  });

  it("stores an artifact whose data ends at the window end (what makes reruns idempotent)", async () => {
    const stages: [number, string][] = [];
    const result = await trainTargetJob({
      target: web,
      windowEndMs: WINDOW_END,
      source: new SyntheticMetricSource({ seed: 7 }),
      registry,
      codeVersion: "test",
      onProgress: (fraction, stage) => stages.push([fraction, stage]),
    });
    expect(result.promoted).toBe(true);
    expect(result.artifact.dataRange).toMatchObject({
      startMs: WINDOW_END - 7 * 86_400_000,
      endMs: WINDOW_END,
      points: 7 * 96 + 1,
      stepSeconds: 900,
    });
    expect(stages[0]).toEqual([0, "fetching history"]);
    const fractions = stages.map(([fraction]) => fraction);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
    expect(Math.max(...fractions)).toBeLessThanOrEqual(1);
  });

  it("with the processor, trains a window once and skips it the second time", async () => {
    const processor = createTrainProcessor({
      targets: config.targets,
      registry,
      train: createConfiguredTrainer({ config, registry, codeVersion: "test" }),
    });
    const job: TrainJob = {
      id: "train-web",
      data: { target: "web", windowEndMs: WINDOW_END },
      scheduledAtMs: WINDOW_END,
      attemptsMade: 0,
      updateProgress: () => Promise.resolve(),
    };
    const first = await processor(job);
    const second = await processor(job);
    expect(first).toMatchObject({ outcome: "trained", version: 1, promoted: true, currentVersion: 1 });
    expect(second).toMatchObject({ outcome: "already-trained", version: 1, currentVersion: 1 });
    expect(await registry.listVersions("web")).toHaveLength(1);
    const later = await processor({
      ...job,
      data: { target: "web", windowEndMs: WINDOW_END + 6 * 3_600_000 },
    });
    expect(later).toMatchObject({ outcome: "trained", version: 2 });
  });

  it("reports a source that cannot be built as a configuration error, not worth retrying", async () => {
    const train = createConfiguredTrainer({
      config,
      registry,
      codeVersion: "test",
      sourceFor: () => {
        throw new RangeError("bearer token file unreadable");
      },
    });
    const error = await train({ target: web, windowEndMs: WINDOW_END, onProgress: () => undefined }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(/targets\.web\.source.*bearer token file unreadable/);
    expect(classifyTrainFailure(error).retryable).toBe(false);
  });
});
