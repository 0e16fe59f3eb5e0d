import { UnrecoverableError, WaitingError, type Job } from "bullmq";
import { describe, expect, it } from "vitest";
import { parseConfigText, type ResolvedTarget } from "../../src/config/presage-config.js";
import { MetricSourceError, MetricSourceErrorCode } from "../../src/sources/metric-source.js";
import type { TrainTargetResult } from "../../training/pipeline/train-target.js";
import { TrainingError, TrainingErrorCode } from "../../training/pipeline/training-error.js";
import type { ArtifactSummary, ModelArtifact } from "../../training/registry/model-artifact.js";
import { TrainJobError, TrainJobErrorCode } from "../../jobs/train-job-error.js";
import {
  createTrainProcessor,
  toBullmqProcessor,
  type TargetTrainer,
  type TrainJob,
  type TrainJobEvent,
} from "../../jobs/train-processor.js";

const config = parseConfigText(`
targets:
  - name: web
    source: synthetic
    step: 5m
    history: 1d
    schedule: "0 * * * *"
  - name: api
    source: synthetic
    step: 1m
    history: 1d
    schedule: "*/10 * * * *"
`);
const web = config.targets[0]!;

function artifact(
  target: string,
  version: number,
  endMs: number,
  promoted: boolean,
  mase = 0.5,
): ModelArtifact {
  return {
    target,
    version,
    createdAt: new Date(endMs).toISOString(),
    codeVersion: "test",
    modelKind: "naive",
    modelName: "naive",
    dataRange: { startMs: endMs - 86_400_000, endMs, stepSeconds: 300, points: 289, missing: 0 },
    backtest: { horizonSteps: 6, originsMs: [], mase, smape: 0.1, coverage80: 0.8, coverage95: 0.95 },
    decision: { promoted, reason: promoted ? "better" : "worse", decidedAt: new Date(endMs).toISOString() },
    state: { kind: "naive" } as unknown as ModelArtifact["state"],
  };
}

function summary(a: ModelArtifact, current: boolean): ArtifactSummary {
  const rest: Record<string, unknown> = { ...a };
  delete rest.state;
  return { ...(rest as Omit<ModelArtifact, "state">), current };
}

class FakeRegistry {
  readonly versions = new Map<string, ArtifactSummary[]>();
  listVersions(target: string): Promise<ArtifactSummary[]> {
    return Promise.resolve(this.versions.get(target) ?? []);
  }
}

function job(data: unknown, scheduledAtMs = 1_800_000_000_000, progress: number[] = []): TrainJob {
  return {
    id: "job-1",
    data,
    scheduledAtMs,
    attemptsMade: 0,
    updateProgress: (percent) => {
      progress.push(percent);
      return Promise.resolve();
    },
  };
}

interface Setup {
  registry: FakeRegistry;
  calls: { target: ResolvedTarget; windowEndMs: number }[];
  events: TrainJobEvent[];
  process: ReturnType<typeof createTrainProcessor>;
}

function setup(train?: TargetTrainer): Setup {
  const registry = new FakeRegistry();
  const calls: Setup["calls"] = [];
  const events: TrainJobEvent[] = [];
  const defaultTrain: TargetTrainer = (request) => {
    calls.push({ target: request.target, windowEndMs: request.windowEndMs });
    for (const fraction of [0, 0.004, 0.1, 0.1, 0.55, 0.9, 0.95]) request.onProgress(fraction, "training");
    const saved = artifact(request.target.name, 1, request.windowEndMs, true);
    const result: TrainTargetResult = { artifact: saved, promoted: true, reason: "no current model" };
    return Promise.resolve(result);
  };
  let tick = 0;
  const process = createTrainProcessor({
    targets: config.targets,
    registry,
    train: train ?? defaultTrain,
    observe: (event) => events.push(event),
    monotonicMs: () => (tick += 250),
  });
  return { registry, calls, events, process };
}

describe("the training processor", () => {
  it("trains the window named in the payload and returns what happened", async () => {
    const { process, calls, events } = setup();
    const result = await process(job({ target: "web", windowEndMs: 1_800_000_300_000 }));
    expect(calls).toEqual([{ target: web, windowEndMs: 1_800_000_300_000 }]);
    expect(result).toMatchObject({
      target: "web",
      windowEndMs: 1_800_000_300_000,
      outcome: "trained",
      version: 1,
      promoted: true,
      currentVersion: 1,
      backtestMase: 0.5,
      coverage80: 0.8,
      reason: "no current model",
    });
    expect(events).toEqual([{ kind: "completed", jobId: "job-1", target: "web", durationMs: 250, result }]);
  });

  it("floors a payload's window end to the target's step", async () => {
    const { process, calls } = setup();
    await process(job({ target: "web", windowEndMs: Date.UTC(2027, 0, 4, 12, 7, 31) }));
    expect(calls[0]?.windowEndMs).toBe(Date.UTC(2027, 0, 4, 12, 5, 0));
  });

  it("derives the window end from the scheduled tick, floored to the target's step", async () => {
    const { process, calls } = setup();
    // 5-minute steps: 12:07:31 → 12:05:00.
    const tick = Date.UTC(2027, 0, 4, 12, 7, 31);
    await process(job({ target: "web" }, tick));
    expect(calls[0]?.windowEndMs).toBe(Date.UTC(2027, 0, 4, 12, 5, 0));
    await process(job({ target: "api" }, tick));
    expect(calls[1]?.windowEndMs).toBe(Date.UTC(2027, 0, 4, 12, 7, 0));
  });

  it("skips a window that a stored version already covers", async () => {
    const { process, calls, registry } = setup();
    const endMs = Date.UTC(2027, 0, 4, 12, 5);
    registry.versions.set("web", [
      summary(artifact("web", 1, endMs - 300_000, true, 0.4), true),
      summary(artifact("web", 2, endMs, false, 0.6), false),
    ]);
    const result = await process(job({ target: "web", windowEndMs: endMs }));
    expect(calls).toEqual([]);
    expect(result).toMatchObject({
      outcome: "already-trained",
      version: 2,
      promoted: false,
      currentVersion: 1,
      currentBacktestMase: 0.4,
    });
    expect(result.reason).toMatch(/already trained: v2/);
  });

  it("reports the current version when the new model is not promoted", async () => {
    const endMs = Date.UTC(2027, 0, 4, 12, 5);
    const { process, registry } = setup((request) => {
      const saved = artifact(request.target.name, 2, request.windowEndMs, false, 0.9);
      registry.versions.set("web", [
        summary(artifact("web", 1, endMs - 600_000, true, 0.4), true),
        summary(saved, false),
      ]);
      return Promise.resolve({ artifact: saved, promoted: false, reason: "kept v1" });
    });
    const result = await process(job({ target: "web", windowEndMs: endMs }));
    expect(result).toMatchObject({
      outcome: "trained",
      version: 2,
      promoted: false,
      currentVersion: 1,
      currentBacktestMase: 0.4,
      reason: "kept v1",
    });
  });

  it("reports progress as rising whole percents ending at 100", async () => {
    const { process } = setup();
    const progress: number[] = [];
    await process(job({ target: "web", windowEndMs: 0 }, 0, progress));
    expect(progress.at(-1)).toBe(100);
    expect(progress).toEqual([...new Set(progress)].sort((a, b) => a - b));
    expect(progress.every((percent) => Number.isInteger(percent))).toBe(true);
  });

  it("does not fail a job because progress could not be reported", async () => {
    const { process } = setup();
    const failing: TrainJob = {
      ...job({ target: "web", windowEndMs: 0 }),
      updateProgress: () => Promise.reject(new Error("redis down")),
    };
    await expect(process(failing)).resolves.toMatchObject({ outcome: "trained" });
  });

  it("fails a job for an unknown target without retry, listing the configured ones", async () => {
    const { process, events, calls } = setup();
    const error = await process(job({ target: "gone", windowEndMs: 0 })).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TrainJobError);
    expect((error as TrainJobError).code).toBe(TrainJobErrorCode.unknownTarget);
    expect((error as TrainJobError).message).toMatch(/configured: web, api/);
    expect(calls).toEqual([]);
    expect(events).toMatchObject([
      { kind: "failed", target: "gone", code: TrainJobErrorCode.unknownTarget, retryable: false, attempt: 1 },
    ]);
  });

  it("fails a bad payload without retry", async () => {
    const { process, events } = setup();
    await expect(process(job({ windowEndMs: 5 }))).rejects.toThrow(TrainJobError);
    expect(events).toMatchObject([
      { kind: "failed", target: undefined, code: TrainJobErrorCode.invalidPayload, retryable: false },
    ]);
  });

  it("passes training and source errors through, classified for the runner", async () => {
    const insufficient = new TrainingError(TrainingErrorCode.insufficientHistory, "web: 5 usable samples");
    const down = new MetricSourceError(MetricSourceErrorCode.unavailable, "Prometheus down", true);
    for (const [thrown, retryable] of [
      [insufficient, false],
      [down, true],
    ] as const) {
      const { process, events } = setup(() => Promise.reject(thrown));
      await expect(process({ ...job({ target: "web", windowEndMs: 0 }), attemptsMade: 2 })).rejects.toBe(
        thrown,
      );
      expect(events).toMatchObject([
        { kind: "failed", target: "web", code: thrown.code, retryable, attempt: 3 },
      ]);
    }
  });
});

/** A trainer that waits on its fetch until the signal aborts it, as the Prometheus source does. */
const waitsForAbort: TargetTrainer = (request) =>
  new Promise((_, reject) => {
    const fail = (): void => {
      reject(new Error(`fetch aborted: ${String(request.signal?.reason)}`));
    };
    if (request.signal?.aborted === true) fail();
    request.signal?.addEventListener("abort", fail);
  });

describe("interrupted jobs", () => {
  it("turn whatever the aborted step threw into a retryable interruption", async () => {
    const { process, events } = setup(waitsForAbort);
    const controller = new AbortController();
    const running = process(job({ target: "web", windowEndMs: 0 }), controller.signal);
    controller.abort("worker shutting down");
    const error = await running.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TrainJobError);
    expect(error).toMatchObject({ code: TrainJobErrorCode.interrupted, retryable: true });
    expect((error as Error).message).toMatch(/interrupted: worker shutting down/);
    expect(events).toMatchObject([{ kind: "failed", code: TrainJobErrorCode.interrupted, retryable: true }]);
  });
});

describe("the BullMQ processor", () => {
  function bullJob(data: unknown, moved: string[], moveFails = false): Job {
    return {
      id: "train-web-0",
      data,
      timestamp: 0,
      attemptsMade: 0,
      updateProgress: () => Promise.resolve(),
      moveToWait: (token?: string) => {
        if (moveFails) return Promise.reject(new Error("redis down"));
        moved.push(token ?? "");
        return Promise.resolve(0);
      },
    } as unknown as Job;
  }

  it("returns the processor's result", async () => {
    const { process } = setup();
    await expect(
      toBullmqProcessor(process)(bullJob({ target: "web", windowEndMs: 600_000 }, []), "token"),
    ).resolves.toMatchObject({
      outcome: "trained",
      windowEndMs: 600_000,
    });
  });

  it("declares three parameters, so BullMQ passes it the abort signal", () => {
    const { process } = setup();
    expect(toBullmqProcessor(process).length).toBe(3);
  });

  it("fails bad input with UnrecoverableError (no retries)", async () => {
    const { process } = setup();
    const error = await toBullmqProcessor(process)(bullJob({ target: "gone" }, []), "token").catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(UnrecoverableError);
    expect((error as Error).message).toMatch(/^\[PRESAGE_JOB_UNKNOWN_TARGET\] target "gone"/);
  });

  it("hands an interrupted job back to the queue (moveToWait + WaitingError), with the worker's token", async () => {
    const { process } = setup(waitsForAbort);
    const moved: string[] = [];
    const controller = new AbortController();
    const running = toBullmqProcessor(process)(
      bullJob({ target: "web", windowEndMs: 0 }, moved),
      "token-7",
      controller.signal,
    );
    controller.abort("worker shutting down");
    await expect(running).rejects.toBeInstanceOf(WaitingError);
    expect(moved).toEqual(["token-7"]);
  });

  it("leaves an interrupted job to stalled recovery when it cannot be moved back", async () => {
    const { process } = setup(waitsForAbort);
    const controller = new AbortController();
    const running = toBullmqProcessor(process)(
      bullJob({ target: "web", windowEndMs: 0 }, [], true),
      "token",
      controller.signal,
    );
    controller.abort("worker shutting down");
    const error = await running.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TrainJobError);
    expect(error).toMatchObject({ code: TrainJobErrorCode.interrupted });
  });
});
