import { describe, expect, it } from "vitest";
import { hashNormal, hashUniform } from "../../src/sources/seeded-hash.js";
import { SyntheticMetricSource } from "../../src/sources/synthetic-metric-source.js";

const DAY = 86_400_000;
const MONDAY = Date.UTC(2026, 10, 2);

describe("SyntheticMetricSource", () => {
  it("agrees with itself on every timestamp two overlapping fetches share", async () => {
    const source = new SyntheticMetricSource({ seed: 7 });
    const early = await source.fetchRange({
      query: "",
      startMs: MONDAY,
      endMs: MONDAY + 2 * DAY,
      stepSeconds: 300,
    });
    const late = await source.fetchRange({
      query: "",
      startMs: MONDAY + DAY,
      endMs: MONDAY + 3 * DAY,
      stepSeconds: 300,
    });
    const shared = DAY / 300_000;
    expect(late.values.slice(0, shared + 1)).toEqual(early.values.slice(shared));
  });

  it("agrees across steps where the timestamps coincide", async () => {
    const source = new SyntheticMetricSource();
    const fine = await source.fetchRange({
      query: "",
      startMs: MONDAY,
      endMs: MONDAY + DAY,
      stepSeconds: 60,
    });
    const coarse = await source.fetchRange({
      query: "",
      startMs: MONDAY,
      endMs: MONDAY + DAY,
      stepSeconds: 900,
    });
    expect(coarse.values).toEqual(fine.values.filter((_, index) => index % 15 === 0));
  });

  it("differs between seeds and repeats for the same seed", async () => {
    const request = { query: "", startMs: MONDAY, endMs: MONDAY + DAY, stepSeconds: 900 };
    const a = await new SyntheticMetricSource({ seed: 1 }).fetchRange(request);
    const again = await new SyntheticMetricSource({ seed: 1 }).fetchRange(request);
    const b = await new SyntheticMetricSource({ seed: 2 }).fetchRange(request);
    expect(again.values).toEqual(a.values);
    expect(b.values).not.toEqual(a.values);
  });

  it("has a busy late morning, a quiet night and quieter weekends around the base rate", async () => {
    const source = new SyntheticMetricSource({ baseRps: 400, noise: 0, spikeProbability: 0 });
    const at = (timeMs: number) => source.valueAt(timeMs);
    expect(at(MONDAY + 11 * 3_600_000)).toBeGreaterThan(2 * at(MONDAY + 4 * 3_600_000));
    const growth = (hours: number) => 1 + (0.02 * hours) / 168;
    expect(at(MONDAY + 5 * DAY + 11 * 3_600_000) / at(MONDAY + 11 * 3_600_000)).toBeCloseTo(
      (0.6 * growth(131)) / growth(11),
      9,
    );
    const week = await source.fetchRange({
      query: "",
      startMs: MONDAY,
      endMs: MONDAY + 7 * DAY - 1,
      stepSeconds: 900,
    });
    expect(week.values.every((value) => value > 0 && Number.isFinite(value))).toBe(true);
  });

  it("never goes negative long before its growth origin", async () => {
    const series = await new SyntheticMetricSource().fetchRange({
      query: "",
      startMs: Date.UTC(1995, 0, 2),
      endMs: Date.UTC(1995, 0, 3),
      stepSeconds: 3600,
    });
    expect(series.values.every((value) => value >= 0)).toBe(true);
  });

  it("aligns the range down to whole steps", async () => {
    const series = await new SyntheticMetricSource().fetchRange({
      query: "",
      startMs: MONDAY + 899_999,
      endMs: MONDAY + 3_600_000,
      stepSeconds: 900,
    });
    expect(series).toMatchObject({ startMs: MONDAY, stepSeconds: 900 });
    expect(series.values).toHaveLength(5);
  });
});

describe("hashUniform / hashNormal", () => {
  it("look uniform and standard normal over consecutive epoch-ms keys", () => {
    const uniforms = Array.from({ length: 20_000 }, (_, index) => hashUniform(42, MONDAY + index * 60_000));
    const mean = uniforms.reduce((sum, value) => sum + value, 0) / uniforms.length;
    expect(mean).toBeCloseTo(0.5, 1);
    expect(Math.min(...uniforms)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...uniforms)).toBeLessThan(1);
    const normals = Array.from({ length: 20_000 }, (_, index) => hashNormal(42, MONDAY + index * 60_000));
    const normalMean = normals.reduce((sum, value) => sum + value, 0) / normals.length;
    const variance = normals.reduce((sum, value) => sum + (value - normalMean) ** 2, 0) / normals.length;
    expect(Math.abs(normalMean)).toBeLessThan(0.05);
    expect(variance).toBeCloseTo(1, 1);
  });

  it("separates keys that differ only above 32 bits", () => {
    expect(hashUniform(1, 2 ** 32 + 5)).not.toBe(hashUniform(1, 5));
  });
});
