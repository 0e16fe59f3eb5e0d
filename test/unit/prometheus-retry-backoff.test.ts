import { describe, expect, it } from "vitest";
import {
  backoffDelayMs,
  resolveRetryOptions,
  retryWithBackoff,
  type Sleep,
} from "../../src/sources/retry-with-backoff.js";

const options = resolveRetryOptions({ attempts: 5, baseDelayMs: 100, maxDelayMs: 1000 });

class Transient extends Error {}

function recordingSleep(): { sleep: Sleep; delays: number[] } {
  const delays: number[] = [];
  return {
    delays,
    sleep: (ms) => {
      delays.push(ms);
      return Promise.resolve();
    },
  };
}

describe("backoffDelayMs", () => {
  it("doubles per retry up to the cap, with at least half of each delay fixed", () => {
    expect([0, 1, 2, 3, 4, 5].map((retry) => backoffDelayMs(retry, options, () => 0))).toEqual([
      50, 100, 200, 400, 500, 500,
    ]);
    [100, 200, 400, 800, 1000, 1000].forEach((ceiling, retry) => {
      expect(backoffDelayMs(retry, options, () => 0.999_999)).toBeCloseTo(ceiling, 2);
    });
  });
});

describe("resolveRetryOptions", () => {
  it("defaults to 4 attempts from 250 ms up to 5 s", () => {
    expect(resolveRetryOptions()).toEqual({ attempts: 4, baseDelayMs: 250, maxDelayMs: 5000 });
  });

  it.each([{ attempts: 0 }, { attempts: 1.5 }, { baseDelayMs: -1 }, { baseDelayMs: 500, maxDelayMs: 100 }])(
    "rejects %o naming the field",
    (bad) => {
      expect(() => resolveRetryOptions(bad)).toThrow(/retry\.\w+ \(/);
    },
  );
});

describe("retryWithBackoff", () => {
  const isRetryable = (error: unknown) => error instanceof Transient;

  it("retries transient failures and returns the first success", async () => {
    const { sleep, delays } = recordingSleep();
    let calls = 0;
    const result = await retryWithBackoff(
      (attempt) => {
        calls++;
        return attempt < 3 ? Promise.reject(new Transient("503")) : Promise.resolve("data");
      },
      { options, isRetryable, sleep, random: () => 0.5 },
    );
    expect(result).toBe("data");
    expect(calls).toBe(3);
    expect(delays).toEqual([75, 150]);
  });

  it("gives up after the configured attempts with the last error", async () => {
    const { sleep, delays } = recordingSleep();
    const failure = retryWithBackoff((attempt) => Promise.reject(new Transient(`try ${attempt}`)), {
      options,
      isRetryable,
      sleep,
      random: () => 0,
    });
    await expect(failure).rejects.toThrow("try 5");
    expect(delays).toHaveLength(4);
  });

  it("never retries a failure that is not retryable", async () => {
    const { sleep, delays } = recordingSleep();
    await expect(
      retryWithBackoff(() => Promise.reject(new Error("400 bad query")), {
        options,
        isRetryable,
        sleep,
        random: Math.random,
      }),
    ).rejects.toThrow("400 bad query");
    expect(delays).toEqual([]);
  });

  it("stops waiting and rejects with the abort reason when the caller aborts mid-backoff", async () => {
    const controller = new AbortController();
    const sleep: Sleep = (_, signal) =>
      new Promise((_resolve, reject) => {
        signal?.addEventListener("abort", () => {
          reject(new Error("timer cancelled"));
        });
        controller.abort(new Error("shutting down"));
      });
    await expect(
      retryWithBackoff(() => Promise.reject(new Transient("503")), {
        options,
        isRetryable,
        sleep,
        random: Math.random,
        signal: controller.signal,
      }),
    ).rejects.toThrow("shutting down");
  });
});
