import { UnrecoverableError } from "bullmq";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/presage-config.js";
import { MetricSourceError, MetricSourceErrorCode } from "../../src/sources/metric-source.js";
import { TrainingError, TrainingErrorCode } from "../../training/pipeline/training-error.js";
import { RegistryError, RegistryErrorCode } from "../../training/registry/model-registry.js";
import { classifyTrainFailure, TrainJobError, TrainJobErrorCode } from "../../jobs/train-job-error.js";
import { toBullmqError } from "../../jobs/train-processor.js";
import {
  alignToStep,
  parseTrainPayload,
  TRAIN_QUEUE_NAME,
  trainJobId,
  trainJobOptions,
} from "../../jobs/train-queue.js";
import { scheduledTimeOf } from "../../jobs/train-schedules.js";

describe("training payload", () => {
  it("accepts a target with or without a window end", () => {
    expect(parseTrainPayload({ target: "web", windowEndMs: 1_800_000 })).toEqual({
      target: "web",
      windowEndMs: 1_800_000,
    });
    expect(parseTrainPayload({ target: "web" })).toEqual({ target: "web" });
  });

  it("rejects bad payloads with a non-retryable error naming every field", () => {
    const attempt = (): unknown => parseTrainPayload({ target: "", windowEndMs: 1.5, extra: true });
    expect(attempt).toThrow(TrainJobError);
    try {
      attempt();
    } catch (error) {
      const failure = classifyTrainFailure(error);
      expect(failure).toMatchObject({ retryable: false, code: TrainJobErrorCode.invalidPayload });
      expect(failure.message).toMatch(/target/);
      expect(failure.message).toMatch(/windowEndMs/);
      expect(failure.message).toMatch(/extra/);
    }
    expect(() => parseTrainPayload("web")).toThrow(/payload/);
    expect(() => parseTrainPayload({ target: "web", windowEndMs: -1 })).toThrow(/windowEndMs/);
  });
});

describe("job ids", () => {
  it("are deterministic per target and window, and valid BullMQ custom ids", () => {
    expect(trainJobId("checkout-rps", 1_795_853_940_000)).toBe("train-checkout-rps-1795853940000");
    expect(trainJobId("a.b_c", 0)).toBe("train-a.b_c-0");
    const id = trainJobId("web", 60_000);
    expect(id).not.toContain(":");
    expect(String(Number.parseInt(id, 10))).not.toBe(id);
  });

  it("refuses names BullMQ would reject and windows that are not whole epoch ms", () => {
    expect(() => trainJobId("a:b", 0)).toThrow(/':'/);
    expect(() => trainJobId("", 0)).toThrow(TrainJobError);
    expect(() => trainJobId("web", 1.5)).toThrow(/windowEndMs/);
    expect(() => trainJobId("web", -60_000)).toThrow(/windowEndMs/);
  });

  it("the queue name has no ':' (BullMQ forbids it)", () => {
    expect(TRAIN_QUEUE_NAME).not.toContain(":");
  });
});

describe("window alignment", () => {
  it("floors to the step", () => {
    expect(alignToStep(1_000_299_999, 300)).toBe(1_000_200_000);
    expect(alignToStep(1_000_200_000, 300)).toBe(1_000_200_000);
    expect(alignToStep(61_999, 1)).toBe(61_000);
  });
});

describe("default job options", () => {
  it("retry with exponential backoff from the config and keep a bounded history", () => {
    const options = trainJobOptions({ attempts: 4, backoffMs: 2500 });
    expect(options.attempts).toBe(4);
    expect(options.backoff).toEqual({ type: "exponential", delay: 2500 });
    expect(options.removeOnComplete).toMatchObject({ count: 1000 });
    expect(options.removeOnFail).toMatchObject({ count: 5000 });
  });
});

describe("scheduled time of a job", () => {
  it("reads the tick from a scheduler job's id", () => {
    expect(
      scheduledTimeOf({ id: "repeat:web:1795853946000", repeatJobKey: "web", timestamp: 1_795_853_944_123 }),
    ).toBe(1_795_853_946_000);
  });

  it("copes with scheduler ids that contain ':' themselves", () => {
    expect(scheduledTimeOf({ id: "repeat:a:b:1000", repeatJobKey: "a:b", timestamp: 5 })).toBe(1000);
  });

  it("uses the time the job was added otherwise", () => {
    expect(scheduledTimeOf({ id: "train-web-60000", timestamp: 123_456 })).toBe(123_456);
    expect(scheduledTimeOf({ id: "repeat:web:garbage", repeatJobKey: "web", timestamp: 77 })).toBe(77);
  });
});

describe("failure classification and BullMQ mapping", () => {
  const cases: { name: string; error: unknown; retryable: boolean; code: string }[] = [
    {
      name: "insufficient history",
      error: new TrainingError(TrainingErrorCode.insufficientHistory, "web: 5 usable samples"),
      retryable: false,
      code: TrainingErrorCode.insufficientHistory,
    },
    {
      name: "a training error marked retryable",
      error: new TrainingError(TrainingErrorCode.invalidInput, "flaky", true),
      retryable: true,
      code: TrainingErrorCode.invalidInput,
    },
    {
      name: "bad PromQL",
      error: new MetricSourceError(MetricSourceErrorCode.badQuery, "parse error", false),
      retryable: false,
      code: MetricSourceErrorCode.badQuery,
    },
    {
      name: "Prometheus down",
      error: new MetricSourceError(MetricSourceErrorCode.unavailable, "connect ECONNREFUSED", true),
      retryable: true,
      code: MetricSourceErrorCode.unavailable,
    },
    {
      name: "a config error",
      error: new ConfigError("config", [{ field: "targets.web.source", rule: "cannot be used" }]),
      retryable: false,
      code: "PRESAGE_CONFIG_INVALID",
    },
    {
      name: "an unknown target",
      error: new TrainJobError(TrainJobErrorCode.unknownTarget, "target gone"),
      retryable: false,
      code: TrainJobErrorCode.unknownTarget,
    },
    {
      name: "the registry unavailable",
      error: new RegistryError(RegistryErrorCode.unavailable, "redis down"),
      retryable: true,
      code: RegistryErrorCode.unavailable,
    },
    {
      name: "a corrupt registry entry",
      error: new RegistryError(RegistryErrorCode.corrupt, "v3 unreadable"),
      retryable: false,
      code: RegistryErrorCode.corrupt,
    },
    { name: "an unexpected error", error: new TypeError("boom"), retryable: true, code: "unexpected" },
  ];

  for (const { name, error, retryable, code } of cases) {
    it(`${retryable ? "retries" : "does not retry"} ${name}`, () => {
      expect(classifyTrainFailure(error)).toMatchObject({ retryable, code });
      const mapped = toBullmqError(error);
      if (retryable) {
        expect(mapped).toBe(error);
      } else {
        expect(mapped).toBeInstanceOf(UnrecoverableError);
        expect(mapped.message).toContain(`[${code}]`);
        expect(mapped.cause).toBe(error);
      }
    });
  }

  it("wraps non-Error throws so BullMQ records a message", () => {
    const mapped = toBullmqError("plain string");
    expect(mapped).toBeInstanceOf(Error);
    expect(mapped.message).toBe("plain string");
  });
});
