import { describe, expect, it } from "vitest";

import { parseRPeerResults, RPeerError, RPeerErrorCode } from "../../bench/r-forecast-peers.js";

/** A hand-written payload in the shape `bench/r/forecast-peers.R` writes, horizon 2, two series. */
function payload(): Record<string, unknown> {
  return {
    rVersion: "R version 4.2.2 Patched (2022-11-10 r83330)",
    forecastVersion: "8.20",
    jsonliteVersion: "1.8.4",
    season: 24,
    horizon: 2,
    workers: 2,
    levels: [80, 95],
    complete: true,
    elapsedMs: 1234,
    seriesIds: ["H1", "H2"],
    methods: {
      ets: {
        series: {
          H1: {
            mean: [10, 11],
            lower80: [9, 9.5],
            upper80: [11, 12.5],
            lower95: [8, 8.5],
            upper95: [12, 13.5],
            fitMs: 4150.2,
          },
          H2: {
            mean: [20, 21],
            lower80: [19, null],
            upper80: [21, 22],
            lower95: [18, 18.5],
            upper95: [22, 23.5],
            fitMs: 3900,
            note: "some interval bounds were not finite (written as null)",
          },
        },
      },
      stlf: {
        series: {
          H1: {
            mean: [1, 2],
            lower80: [0, 1],
            upper80: [2, 3],
            lower95: [-1, 0],
            upper95: [3, 4],
            fitMs: 12,
            note: "ets failed: boom; used snaive(y, h)",
            fallback: "snaive",
          },
          H2: {
            mean: [5, 6],
            lower80: [4, 5],
            upper80: [6, 7],
            lower95: [3, 4],
            upper95: [7, 8],
            fitMs: 15,
            note: null,
          },
        },
      },
    },
  };
}

function parseError(json: unknown): RPeerError {
  try {
    parseRPeerResults(json);
  } catch (error) {
    if (error instanceof RPeerError) return error;
    throw error;
  }
  throw new Error("expected parseRPeerResults to throw");
}

describe("parseRPeerResults", () => {
  it("reads versions, horizon and series order from a complete payload", () => {
    const results = parseRPeerResults(payload());
    expect(results.rVersion).toContain("4.2.2");
    expect(results.forecastVersion).toBe("8.20");
    expect(results.season).toBe(24);
    expect(results.horizonSteps).toBe(2);
    expect(results.workers).toBe(2);
    expect(results.complete).toBe(true);
    expect(results.elapsedMs).toBe(1234);
    expect(results.seriesIds).toEqual(["H1", "H2"]);
    expect([...results.methods.keys()]).toEqual(["ets", "stlf"]);
  });

  it("turns lowerNN/upperNN arrays into typed intervals in level order", () => {
    const h1 = parseRPeerResults(payload()).methods.get("ets")?.get("H1");
    expect(h1).toEqual({
      model: "r:ets",
      method: "ets",
      mean: [10, 11],
      intervals: [
        { level: 80, lower: [9, 9.5], upper: [11, 12.5] },
        { level: 95, lower: [8, 8.5], upper: [12, 13.5] },
      ],
      notes: [],
      fitMs: 4150.2,
    });
  });

  it("leaves out a level whose bounds R wrote as null and keeps the note that says so", () => {
    const h2 = parseRPeerResults(payload()).methods.get("ets")?.get("H2");
    expect(h2?.intervals.map((interval) => interval.level)).toEqual([95]);
    expect(h2?.notes).toEqual(["some interval bounds were not finite (written as null)"]);
  });

  it("names the fallback model while keeping the requested method", () => {
    const stlf = parseRPeerResults(payload()).methods.get("stlf");
    expect(stlf?.get("H1")).toMatchObject({ method: "stlf", model: "r:snaive", fallback: "snaive" });
    expect(stlf?.get("H2")).toMatchObject({ method: "stlf", model: "r:stlf", notes: [] });
    expect(stlf?.get("H2")).not.toHaveProperty("fallback");
  });

  it("accepts a partial file written while the run is still going", () => {
    expect(parseRPeerResults({ ...payload(), complete: false }).complete).toBe(false);
  });

  it("rejects a point forecast whose length is not the horizon, naming the field", () => {
    const json = payload();
    (json.methods as { ets: { series: { H1: { mean: number[] } } } }).ets.series.H1.mean = [1, 2, 3];
    const error = parseError(json);
    expect(error.code).toBe(RPeerErrorCode.invalidOutput);
    expect(error.message).toContain('$.methods["ets"].series["H1"].mean must have 2 values');
  });

  it("rejects null in a point forecast", () => {
    const json = payload();
    (json.methods as { ets: { series: { H1: { mean: (number | null)[] } } } }).ets.series.H1.mean = [1, null];
    expect(parseError(json).message).toContain('series["H1"].mean[1] must be a finite number, got null');
  });

  it("rejects a method that lacks a series listed in seriesIds", () => {
    const json = { ...payload(), seriesIds: ["H1", "H2", "H3"] };
    expect(parseError(json).message).toContain(
      '$.methods["ets"].series["H3"] must be an object, got nothing',
    );
  });

  it("rejects a series that is not listed in seriesIds", () => {
    const json = { ...payload(), seriesIds: ["H1"] };
    expect(parseError(json).message).toContain('$.methods["ets"].series["H2"] is not listed in $.seriesIds');
  });

  it("rejects unknown methods and fallbacks", () => {
    const json = payload();
    const methods = json.methods as Record<string, unknown>;
    methods.prophet = methods.ets;
    expect(parseError(json).message).toContain('$.methods["prophet"] is not a known method');

    const withBadFallback = payload();
    (withBadFallback.methods as { ets: { series: { H1: Record<string, unknown> } } }).ets.series.H1.fallback =
      "naive2";
    expect(parseError(withBadFallback).message).toContain('series["H1"].fallback must be a known method');
  });

  it("rejects a payload that is not an object or lacks versions", () => {
    expect(parseError([]).message).toContain("$ must be an object, got []");
    const withoutVersion = payload();
    delete withoutVersion.rVersion;
    expect(parseError(withoutVersion).message).toContain("$.rVersion must be a string, got nothing");
  });
});
