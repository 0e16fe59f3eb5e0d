import type { RunnerClock } from "../../jobs/in-process-train-runner.js";

interface Timer {
  readonly id: number;
  readonly atMs: number;
  readonly callback: () => void;
}

/** A manual clock for the in-process runner: timers fire only when `advance` passes their time. */
export class FakeClock implements RunnerClock {
  private nowMs: number;
  private nextId = 1;
  private timers: Timer[] = [];

  constructor(startMs: number) {
    this.nowMs = startMs;
  }

  now(): number {
    return this.nowMs;
  }

  setTimeout(callback: () => void, delayMs: number): unknown {
    const timer = { id: this.nextId++, atMs: this.nowMs + Math.max(0, delayMs), callback };
    this.timers.push(timer);
    return timer.id;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((timer) => timer.id !== handle);
  }

  /** Pending timers' due times, earliest first. */
  get pending(): number[] {
    return this.timers.map((timer) => timer.atMs).sort((a, b) => a - b);
  }

  /** Moves time forward, firing due timers in order and letting promises settle after each. */
  async advance(ms: number): Promise<void> {
    const endMs = this.nowMs + ms;
    for (;;) {
      await settle();
      const due = this.timers
        .filter((timer) => timer.atMs <= endMs)
        .sort((a, b) => a.atMs - b.atMs || a.id - b.id)[0];
      if (due === undefined) break;
      this.timers = this.timers.filter((timer) => timer !== due);
      this.nowMs = due.atMs;
      due.callback();
    }
    this.nowMs = endMs;
    await settle();
  }
}

/** Lets queued promise callbacks run (several turns: processors await more than once). */
export async function settle(): Promise<void> {
  for (let turn = 0; turn < 20; turn++) await Promise.resolve();
}
