import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../src/config/presage-config.js";
import { MetricSourceError, MetricSourceErrorCode } from "../../src/sources/metric-source.js";
import { TrainingError, TrainingErrorCode } from "../../training/pipeline/training-error.js";
import {
  InProcessTrainRunner,
  type InProcessJobEvent,
  type InProcessJobOutcome,
} from "../../jobs/in-process-train-runner.js";
import type { TrainJob, TrainProcessor } from "../../jobs/train-processor.js";
import type { TrainJobResult } from "../../jobs/train-queue.js";
import { FakeClock } from "../support/jobs-fake-clock.js";

const config = parseConfigText(`
targets:
  - name: web
    source: synthetic
    step: 1m
    history: 1d
    schedule: "*/10 * * * *"
  - name: api
    source: synthetic
    step: 5m
    history: 1d
    schedule: "*/30 * * * *"
`);

const START = Date.UTC(2027, 0, 4, 12, 3, 30);

function resultFor(job: TrainJob): TrainJobResult {
  const data = job.data as { target: string; windowEndMs: number };
  return {
    target: data.target,
    windowEndMs: data.windowEndMs,
    outcome: "trained",
    version: 1,
    promoted: true,
    reason: "ok",
    backtestMase: 0.5,
    coverage80: 0.8,
    coverage95: 0.95,
  };
}

interface Deferred {
  readonly job: TrainJob;
  readonly signal: AbortSignal | undefined;
  resolve(): void;
  reject(error: unknown): void;
}

/** A processor whose runs finish when the test says so. */
function manualProcessor(): { processor: TrainProcessor; runs: Deferred[] } {
  const runs: Deferred[] = [];
  const processor: TrainProcessor = (job, signal) =>
    new Promise((resolve, reject) => {
      runs.push({
        job,
        signal,
        resolve: () => {
          resolve(resultFor(job));
        },
        reject,
      });
    });
  return { processor, runs };
}

function runner(
  processor: TrainProcessor,
  clock: FakeClock,
  overrides: { concurrency?: number; attempts?: number } = {},
) {
  const events: InProcessJobEvent[] = [];
  const instance = new InProcessTrainRunner({
    targets: config.targets,
    processor,
    concurrency: overrides.concurrency ?? 2,
    attempts: overrides.attempts ?? 3,
    backoffMs: 1000,
    clock,
    onEvent: (event) => events.push(event),
  });
  return { runner: instance, events };
}

describe("the in-process training runner", () => {
  it("runs each target on its cron schedule, on the tick's window floored to the step", async () => {
    const clock = new FakeClock(START);
    const seen: { id: string; data: unknown; scheduledAtMs: number }[] = [];
    const { runner: r } = runner((job) => {
      seen.push({ id: job.id, data: job.data, scheduledAtMs: job.scheduledAtMs });
      return Promise.resolve(resultFor(job));
    }, clock);
    r.start();
    await clock.advance(27 * 60_000); // 12:03:30 → 12:30:30
    const tenPast = Date.UTC(2027, 0, 4, 12, 10);
    const twentyPast = Date.UTC(2027, 0, 4, 12, 20);
    const halfPast = Date.UTC(2027, 0, 4, 12, 30);
    expect(seen).toEqual([
      { id: `train-web-${tenPast}`, data: { target: "web", windowEndMs: tenPast }, scheduledAtMs: tenPast },
      {
        id: `train-web-${twentyPast}`,
        data: { target: "web", windowEndMs: twentyPast },
        scheduledAtMs: twentyPast,
      },
      {
        id: `train-api-${halfPast}`,
        data: { target: "api", windowEndMs: halfPast },
        scheduledAtMs: halfPast,
      },
      {
        id: `train-web-${halfPast}`,
        data: { target: "web", windowEndMs: halfPast },
        scheduledAtMs: halfPast,
      },
    ]);
    await r.stop(0);
    expect(clock.pending).toEqual([]);
  });

  it("never runs the same job id twice: queued, running or finished", async () => {
    const clock = new FakeClock(START);
    const { processor, runs } = manualProcessor();
    const { runner: r, events } = runner(processor, clock);
    const first = r.enqueue("web", START);
    await expect(r.enqueue("web", START + 10_000)).resolves.toMatchObject({ status: "duplicate" }); // same 1-minute window
    runs[0]?.resolve();
    await expect(first).resolves.toMatchObject({ status: "completed" });
    await expect(r.enqueue("web", START)).resolves.toMatchObject({ status: "duplicate" });
    expect(runs).toHaveLength(1);
    expect(events.filter((event) => event.kind === "duplicate")).toHaveLength(2);
  });

  it("retries retryable failures with exponential backoff, then succeeds", async () => {
    const clock = new FakeClock(START);
    const attemptsAt: number[] = [];
    const down = new MetricSourceError(MetricSourceErrorCode.unavailable, "Prometheus down", true);
    const { runner: r, events } = runner((job) => {
      attemptsAt.push(clock.now());
      return job.attemptsMade < 2 ? Promise.reject(down) : Promise.resolve(resultFor(job));
    }, clock);
    const outcome = r.enqueue("web", START);
    await clock.advance(10_000);
    await expect(outcome).resolves.toMatchObject({ status: "completed" });
    expect(attemptsAt.map((at) => at - START)).toEqual([0, 1000, 3000]);
    expect(events.filter((event) => event.kind === "retrying")).toMatchObject([
      { attempt: 1, delayMs: 1000, failure: { retryable: true, code: MetricSourceErrorCode.unavailable } },
      { attempt: 2, delayMs: 2000 },
    ]);
  });

  it("fails at once on a non-retryable error", async () => {
    const clock = new FakeClock(START);
    const insufficient = new TrainingError(TrainingErrorCode.insufficientHistory, "web: 5 usable samples");
    let attempts = 0;
    const { runner: r } = runner(() => {
      attempts++;
      return Promise.reject(insufficient);
    }, clock);
    const outcome = await r.enqueue("web", START);
    expect(outcome).toMatchObject({
      status: "failed",
      failure: { retryable: false, code: TrainingErrorCode.insufficientHistory },
    });
    expect((outcome as Extract<InProcessJobOutcome, { status: "failed" }>).error).toBe(insufficient);
    expect(attempts).toBe(1);
    expect(clock.pending).toEqual([]);
  });

  it("gives up after the configured attempts", async () => {
    const clock = new FakeClock(START);
    let attempts = 0;
    const { runner: r, events } = runner(
      () => {
        attempts++;
        return Promise.reject(new Error("still broken"));
      },
      clock,
      { attempts: 2 },
    );
    const outcome = r.enqueue("web", START);
    await clock.advance(60_000);
    await expect(outcome).resolves.toMatchObject({ status: "failed", failure: { code: "unexpected" } });
    expect(attempts).toBe(2);
    expect(events.at(-1)).toMatchObject({ kind: "failed", attempt: 2 });
  });

  it("runs at most `concurrency` jobs at once, in submission order", async () => {
    const clock = new FakeClock(START);
    const { processor, runs } = manualProcessor();
    const { runner: r } = runner(processor, clock, { concurrency: 2 });
    const outcomes = [0, 1, 2, 3, 4].map((minute) => r.enqueue("web", START + minute * 60_000));
    await clock.advance(0);
    expect(runs).toHaveLength(2);
    expect(r.activeJobs).toBe(2);
    runs[1]?.resolve();
    await clock.advance(0);
    expect(runs).toHaveLength(3);
    for (const run of runs.slice(0, 3)) run.resolve();
    await clock.advance(0);
    expect(runs).toHaveLength(5);
    for (const run of runs.slice(3)) run.resolve();
    const finished = await Promise.all(outcomes);
    expect(finished.every((outcome) => outcome.status === "completed")).toBe(true);
    expect(runs.map((run) => (run.job.data as { windowEndMs: number }).windowEndMs - START + 30_000)).toEqual(
      [0, 60_000, 120_000, 180_000, 240_000],
    );
  });

  it("stops gracefully: lets running jobs finish, cancels queued ones and pending retries", async () => {
    const clock = new FakeClock(START);
    const { processor, runs } = manualProcessor();
    const { runner: r } = runner(processor, clock, { concurrency: 1 });
    r.start();
    const running = r.enqueue("web", START);
    const queued = r.enqueue("api", START);
    await clock.advance(0);
    const stopping = r.stop(5_000);
    await expect(queued).resolves.toMatchObject({ status: "cancelled" });
    runs[0]?.resolve();
    await clock.advance(0);
    await expect(stopping).resolves.toEqual({ abandoned: 0 });
    await expect(running).resolves.toMatchObject({ status: "completed" });
    expect(clock.pending).toEqual([]);
    await expect(r.enqueue("web", START + 600_000)).resolves.toMatchObject({ status: "cancelled" });
  });

  it("aborts jobs still running when the grace period ends", async () => {
    const clock = new FakeClock(START);
    const { processor, runs } = manualProcessor();
    const { runner: r } = runner(processor, clock);
    const running = r.enqueue("web", START);
    await clock.advance(0);
    const stopping = r.stop(2_000);
    await clock.advance(2_000);
    await expect(stopping).resolves.toEqual({ abandoned: 1 });
    await expect(running).resolves.toMatchObject({ status: "cancelled" });
    expect(runs[0]?.signal?.aborted).toBe(true);
  });
});
