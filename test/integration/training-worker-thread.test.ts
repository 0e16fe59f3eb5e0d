import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type * as FitChallengerModule from "../../training/pipeline/fit-challenger.js";
import type * as ChallengerFitThreadsModule from "../../training/pipeline/challenger-fit-threads.js";
import { TrainingErrorCode } from "../../training/pipeline/training-error.js";

// A worker thread runs compiled JavaScript, so this file loads the built modules (`npm test` builds
// dist/ first; run `npm run build` before running this file alone).
const dist = resolve(import.meta.dirname, "../../dist/training/pipeline");
let fitChallenger: typeof FitChallengerModule;
let threaded: typeof ChallengerFitThreadsModule;
let pool: ChallengerFitThreadsModule.ChallengerFitThreads;

beforeAll(async () => {
  fitChallenger = (await import(
    pathToFileURL(`${dist}/fit-challenger.js`).href
  )) as typeof FitChallengerModule;
  threaded = (await import(
    pathToFileURL(`${dist}/challenger-fit-threads.js`).href
  )) as typeof ChallengerFitThreadsModule;
  pool = new threaded.ChallengerFitThreads({ maxThreads: 1 });
});

afterAll(async () => {
  await pool.close();
});

/** Two days of a per-minute daily cycle with a fixed pseudo-random wobble (seeded by the index). */
function job(days = 2): FitChallengerModule.ChallengerFitJob {
  const values = Array.from(
    { length: days * 1440 },
    (_, i) => 100 + 30 * Math.sin((2 * Math.PI * i) / 1440) + ((i * 7919) % 13),
  );
  return {
    targetName: "checkout",
    series: { values, stepSeconds: 60, startMs: Date.UTC(2026, 0, 1) },
    models: ["auto"],
    context: { period: 1440, horizonSteps: 30, stepSeconds: 60 },
    horizonSteps: 30,
    decidedAt: "2026-01-03T00:00:00.000Z",
  };
}

/** How often a 5 ms timer fired while `work` ran. */
async function timerTicksDuring(work: () => Promise<unknown>): Promise<number> {
  let ticks = 0;
  const timer = setInterval(() => {
    ticks += 1;
  }, 5);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return ticks;
}

describe("challenger fits in a worker thread", () => {
  it("is what built code uses, and fits exactly as on this thread", async () => {
    expect(threaded.workerThreadFitAvailable()).toBe(true);
    expect(threaded.defaultChallengerFitRunner()).not.toBe(fitChallenger.fitOnThisThread);
    const stages: string[] = [];
    const inThread = await pool.run(job(), {
      onProgress: (_fraction, stage) => stages.push(stage),
    });
    const here = fitChallenger.fitChallenger(job());
    expect(inThread).toEqual(here);
    expect(inThread.decision).toMatchObject({ promoted: true, reason: "no current model" });
    expect(stages).toEqual(["backtesting", "comparing with the current model", "fitting on all history"]);
  });

  it("leaves the event loop free while it fits (timers fire), where a fit on this thread blocks it", async () => {
    const blockedTicks = await timerTicksDuring(() => fitChallenger.fitOnThisThread(job(), {}));
    const freeTicks = await timerTicksDuring(() => pool.run(job(), {}));
    expect(blockedTicks).toBe(0);
    expect(freeTicks).toBeGreaterThanOrEqual(5);
  });

  it("trains LSTM candidates on the fastest TensorFlow.js backend the thread can load (not the default cpu)", async () => {
    const values = Array.from(
      { length: 24 * 12 },
      (_, i) => 100 + 30 * Math.sin((2 * Math.PI * i) / 24) + ((i * 7919) % 13),
    );
    const stages: string[] = [];
    const fitted = await pool.run(
      {
        targetName: "hourly",
        series: { values, stepSeconds: 3600, startMs: 0 },
        models: ["lstm"],
        context: { period: 24, horizonSteps: 6, stepSeconds: 3600 },
        horizonSteps: 6,
        decidedAt: "2026-01-03T00:00:00.000Z",
      },
      { onProgress: (_fraction, stage) => stages.push(stage) },
    );
    expect(fitted.modelName).toMatch(/^lstm\(/);
    expect(stages[0]).toMatch(/^LSTM backend: (tensorflow|wasm)$/);
    expect(Number.isFinite(fitted.backtest.mase)).toBe(true);
  }, 120_000);

  it("keeps a TrainingError's code across the thread, and terminates the thread on abort", async () => {
    const short = { ...job(), series: { ...job().series, values: job().series.values.slice(0, 20) } };
    await expect(pool.run(short, {})).rejects.toMatchObject({
      name: "TrainingError",
      code: TrainingErrorCode.insufficientHistory,
      retryable: false,
      message: "checkout: no backtest origin could be fitted",
    });

    const controller = new AbortController();
    const reason = new Error("shutting down");
    const fitting = pool.run(job(7), {
      signal: controller.signal,
      onProgress: (_fraction, stage) => {
        if (stage === "backtesting") controller.abort(reason);
      },
    });
    await expect(fitting).rejects.toBe(reason);
    await expect(pool.run(job(), { signal: controller.signal })).rejects.toBe(reason);
    // The aborted fit's thread was ended; the pool starts a fresh one for the next fits, which queue
    // for its single thread and both finish.
    const [first, second] = await Promise.all([pool.run(job(), {}), pool.run(job(), {})]);
    expect(second).toEqual(first);
    expect(first.decision.promoted).toBe(true);
  });

  it("replaces a thread that died while idle, and drops a queued fit whose run was stopped", async () => {
    const own = new threaded.ChallengerFitThreads({ maxThreads: 1 });
    try {
      await own.run(job(), {});
      // A thread that dies on its own between fits (a crash, out of memory): simulated by ending it.
      const idle = (own as unknown as { idle: { worker: { terminate(): Promise<number> } }[] }).idle;
      expect(idle).toHaveLength(1);
      await idle[0]!.worker.terminate();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect((await own.run(job(), {})).decision.promoted).toBe(true);

      // One fit holds the only thread; a second waits for it and is stopped while waiting.
      let firstDone = false;
      const first = own.run(job(7), {}).then((result) => {
        firstDone = true;
        return result;
      });
      const controller = new AbortController();
      const reason = new Error("job cancelled");
      const queued = own.run(job(), { signal: controller.signal });
      controller.abort(reason);
      await expect(queued).rejects.toBe(reason);
      expect(firstDone).toBe(false);
      expect((await first).decision.promoted).toBe(true);
    } finally {
      await own.close();
    }
  }, 120_000);

  it("refuses a job that cannot cross to a thread, and the thread stays usable", async () => {
    const withCallback = {
      ...job(),
      context: { ...job().context, onTrainingProgress: () => undefined },
    } as FitChallengerModule.ChallengerFitJob;
    await expect(pool.run(withCallback, {})).rejects.toThrow(/could not be cloned/);
    expect((await pool.run(job(), {})).decision.promoted).toBe(true);
  });
});
