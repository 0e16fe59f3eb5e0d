import { describe, expect, it } from "vitest";
import { pruneLedger, scoreLedger, summarizeLedger } from "../../src/capacity/accuracy-ledger.js";
import type { LedgerEntry } from "../../src/capacity/capacity-state.js";
import { DAY_MS } from "../../src/capacity/daily-series.js";

const ORIGIN_MS = Date.UTC(2025, 0, 1);

function entry(overrides: Partial<LedgerEntry> = {}): LedgerEntry {
  return {
    id: "forecast:web/cpu:2025-01-01",
    kind: "forecast",
    fingerprint: "web/cpu",
    target: "web",
    resource: "cpu",
    originDay: "2025-01-01",
    recordedAtMs: ORIGIN_MS + DAY_MS,
    horizonDays: 180,
    limit: 80,
    runwayP50Date: null,
    runwayP90Date: null,
    predictions: [
      { horizonDays: 90, p50: 60, p90: 66 },
      { horizonDays: 180, p50: 70, p90: 78 },
    ],
    scores: [],
    ...overrides,
  };
}

/** Daily usage starting at the origin day: `values[0]` is the origin, day k after it is `values[k]`. */
function usage(days: number, value: (day: number) => number) {
  return { startMs: ORIGIN_MS, values: Array.from({ length: days + 1 }, (_, day) => value(day)) };
}

describe("scoreLedger", () => {
  it("waits until a horizon has been observed, then scores its 7-day mean", () => {
    const early = scoreLedger(
      [entry()],
      "web/cpu",
      usage(89, () => 60),
    );
    expect(early[0]?.scores).toEqual([]);
    const at90 = scoreLedger(
      [entry()],
      "web/cpu",
      usage(90, () => 63),
    );
    expect(at90[0]?.scores).toEqual([
      { horizonDays: 90, actual: 63, absolutePercentError: 3 / 63, within15: true, belowP90: true },
    ]);
    const at180 = scoreLedger(
      at90,
      "web/cpu",
      usage(200, (day) => (day > 170 ? 100 : 63)),
    );
    expect(at180[0]?.scores.map((s) => [s.horizonDays, s.within15, s.belowP90])).toEqual([
      [90, true, true],
      [180, false, false],
    ]);
  });

  it("needs 4 of the 7 days observed and leaves other fingerprints alone", () => {
    const gappy = usage(95, (day) => (day >= 85 && day <= 90 ? Number.NaN : 60));
    expect(scoreLedger([entry()], "web/cpu", gappy)[0]?.scores).toEqual([]);
    const other = entry({ fingerprint: "db/disk", id: "x" });
    expect(
      scoreLedger(
        [other],
        "web/cpu",
        usage(200, () => 60),
      )[0],
    ).toBe(other);
  });

  it("scores a runway date as right within ±max(7 d, 15%) of the observed crossing", () => {
    const predicted = entry({ runwayP50Date: "2025-04-11" }); // 100 days after the origin
    const crossesAt = (day: number) => usage(day + 1, (d) => (d >= day ? 85 : 70));
    expect(scoreLedger([predicted], "web/cpu", crossesAt(110))[0]?.runwayScore).toEqual({
      actualDate: "2025-04-21",
      predictedDate: "2025-04-11",
      right: true, // 10 days off, tolerance 15
    });
    expect(scoreLedger([predicted], "web/cpu", crossesAt(120))[0]?.runwayScore?.right).toBe(false);
    expect(scoreLedger([predicted], "web/cpu", crossesAt(40))[0]?.runwayScore?.right).toBe(false);
  });

  it("scores 'no crossing' only once the whole horizon has passed", () => {
    expect(
      scoreLedger(
        [entry()],
        "web/cpu",
        usage(100, () => 70),
      )[0]?.runwayScore,
    ).toBeUndefined();
    expect(
      scoreLedger(
        [entry()],
        "web/cpu",
        usage(180, () => 70),
      )[0]?.runwayScore,
    ).toEqual({
      actualDate: null,
      predictedDate: null,
      right: true,
    });
    const missed = entry({ runwayP50Date: "2025-03-01" });
    expect(
      scoreLedger(
        [missed],
        "web/cpu",
        usage(180, () => 70),
      )[0]?.runwayScore?.right,
    ).toBe(false);
  });
});

describe("summarizeLedger", () => {
  it("summarises per fingerprint and horizon, with tickets apart", () => {
    const scored = scoreLedger(
      [
        entry(),
        entry({ id: "b", originDay: "2025-01-02", predictions: [{ horizonDays: 90, p50: 90, p90: 95 }] }),
        entry({ id: "t", kind: "ticket", runwayP50Date: "2025-02-01" }),
      ],
      "web/cpu",
      usage(120, () => 60),
    );
    const [summary] = summarizeLedger(scored);
    expect(summary?.fingerprint).toBe("web/cpu");
    expect(summary?.horizons[0]).toEqual({
      horizonDays: 90,
      scored: 2,
      pending: 0,
      mape: 0.25,
      within15: 0.5,
      belowP90: 1,
    });
    expect(summary?.horizons[1]).toMatchObject({ horizonDays: 180, scored: 0, pending: 1, mape: null });
    expect(summary?.tickets).toEqual({ recorded: 1, scored: 0, right: null });
  });

  it("prunes entries older than the retention", () => {
    const old = entry({ recordedAtMs: ORIGIN_MS });
    expect(pruneLedger([old], ORIGIN_MS + 10 * DAY_MS, 5)).toEqual([]);
    expect(pruneLedger([old], ORIGIN_MS + 4 * DAY_MS, 5)).toEqual([old]);
  });
});
