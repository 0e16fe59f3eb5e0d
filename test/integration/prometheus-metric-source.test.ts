import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SeededRandom } from "../../models/math/seeded-random.js";
import { alignDownMs } from "../../src/sources/aligned-range.js";
import { parseCsvTrace } from "../../src/sources/csv-trace.js";
import { MetricSourceError, MetricSourceErrorCode } from "../../src/sources/metric-source.js";
import {
  PrometheusMetricSource,
  type PrometheusMetricSourceOptions,
} from "../../src/sources/prometheus-metric-source.js";
import { SyntheticMetricSource } from "../../src/sources/synthetic-metric-source.js";
import { startPrometheus, type RealPrometheus } from "../support/real-prometheus.js";

const STEP_SECONDS = 300;
const STEP_MS = STEP_SECONDS * 1000;
/** More than Prometheus' 11,000 points per query at this step, so the adapter must chunk. */
const POINTS = 13_000;
const repoRoot = resolve(import.meta.dirname, "../..");
const NASA_5MIN = resolve(repoRoot, "../shared/data/traces/nasa_http_1995_requests_per_5min.csv");

/**
 * The history to backfill: the first 13,000 five-minute bins of the NASA trace (which include the
 * missing-log days and the hurricane shutdown, kept as absent samples) when ../shared/data exists, else
 * the seeded synthetic workload with gaps punched in.
 */
function history(): { values: number[]; origin: string } {
  if (existsSync(NASA_5MIN)) {
    const trace = parseCsvTrace(readFileSync(NASA_5MIN, "utf8"), NASA_5MIN);
    return { values: [...(trace.columns.get("requests") ?? [])].slice(0, POINTS), origin: "NASA trace" };
  }
  const synthetic = new SyntheticMetricSource({ seed: 11 });
  const values = Array.from({ length: POINTS }, (_, index) => synthetic.valueAt(index * STEP_MS));
  const random = new SeededRandom(11);
  values.forEach((_, index) => {
    if (random.next() < 0.02 || (index >= 8_000 && index < 8_300)) values[index] = Number.NaN;
  });
  return { values, origin: "generated" };
}

const { values: load, origin } = history();
// Shift the slice so it ends three hours before now, on the step grid.
const endMs = alignDownMs(Date.now() - 3 * 3_600_000, STEP_MS);
const startMs = endMs - (POINTS - 1) * STEP_MS;
const PODS = 2_000;
const podA = Array.from({ length: PODS }, (_, index) => (index % 7 === 0 ? Number.NaN : index));
const podB = Array.from({ length: PODS }, (_, index) =>
  index % 7 === 0 || index % 5 === 0 ? Number.NaN : 0.5 * index,
);
const podsStartMs = endMs - (PODS - 1) * STEP_MS;

describe(`PrometheusMetricSource against a real Prometheus (${origin} history)`, () => {
  let prometheus: RealPrometheus | undefined;
  const source = (options: Partial<PrometheusMetricSourceOptions> = {}) =>
    new PrometheusMetricSource({
      url: prometheus!.url,
      retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 40 },
      ...options,
    });

  beforeAll(async () => {
    prometheus = await startPrometheus({
      series: [
        {
          name: "presage_requests",
          labels: { job: "nasa" },
          startMs,
          stepSeconds: STEP_SECONDS,
          values: load,
        },
        {
          name: "presage_pod_load",
          labels: { pod: "a" },
          startMs: podsStartMs,
          stepSeconds: STEP_SECONDS,
          values: podA,
        },
        {
          name: "presage_pod_load",
          labels: { pod: "b" },
          startMs: podsStartMs,
          stepSeconds: STEP_SECONDS,
          values: podB,
        },
      ],
    });
  }, 60_000);
  afterAll(async () => {
    await prometheus?.stop();
  });

  it("returns the backfilled value at every timestamp of a range needing several chunks, gaps as NaN", async () => {
    expect(load.filter(Number.isNaN).length).toBeGreaterThan(100);
    for (const maxPointsPerRequest of [10_000, 997]) {
      const series = await source({ maxPointsPerRequest }).fetchRange({
        query: 'presage_requests{job="nasa"}',
        startMs: startMs + 1234,
        endMs: endMs + STEP_MS - 1,
        stepSeconds: STEP_SECONDS,
      });
      expect(series).toMatchObject({ startMs, stepSeconds: STEP_SECONDS });
      expect(series.values).toEqual(load);
    }
  });

  it("keeps NaN before the first and after the last sample", async () => {
    const series = await source().fetchRange({
      query: "presage_requests",
      startMs: startMs - 3 * STEP_MS,
      endMs: startMs + STEP_MS,
      stepSeconds: STEP_SECONDS,
    });
    expect(series.values.slice(0, 3).every(Number.isNaN)).toBe(true);
    expect(series.values.slice(3)).toEqual(load.slice(0, 2));
  });

  it("refuses a query returning two series, and sums them per timestamp with aggregate: sum", async () => {
    const request = { query: "presage_pod_load", startMs: podsStartMs, endMs, stepSeconds: STEP_SECONDS };
    const error = await source()
      .fetchRange(request)
      .catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(MetricSourceError);
    expect(error).toMatchObject({ code: MetricSourceErrorCode.multipleSeries, retryable: false });
    expect((error as Error).message).toContain('presage_pod_load{pod="a"}, presage_pod_load{pod="b"}');
    const summed = await source({ aggregate: "sum" }).fetchRange(request);
    const expected = podA.map((a, index) => {
      const b = podB[index] ?? Number.NaN;
      return Number.isNaN(a) && Number.isNaN(b)
        ? Number.NaN
        : (Number.isNaN(a) ? 0 : a) + (Number.isNaN(b) ? 0 : b);
    });
    expect(summed.values).toEqual(expected);
  });

  it("returns all NaN for a metric Prometheus has never seen", async () => {
    const series = await source().fetchRange({
      query: "presage_absent",
      startMs,
      endMs: startMs + STEP_MS,
      stepSeconds: 300,
    });
    expect(series.values).toEqual([Number.NaN, Number.NaN]);
  });

  it("reports bad PromQL as a non-retryable bad query carrying Prometheus' message", async () => {
    const error = await source()
      .fetchRange({ query: "rate(presage_requests)", startMs, endMs, stepSeconds: STEP_SECONDS })
      .catch((thrown: unknown) => thrown);
    expect(error).toMatchObject({ code: MetricSourceErrorCode.badQuery, retryable: false });
    expect((error as Error).message).toMatch(/HTTP 400: .*expected type range vector/);
  });

  it("reports a killed Prometheus as unavailable and retryable after retrying, and reads again once it is back", async () => {
    await prometheus!.kill();
    const request = {
      query: "presage_requests",
      startMs: endMs - 10 * STEP_MS,
      endMs,
      stepSeconds: STEP_SECONDS,
    };
    const error = await source()
      .fetchRange(request)
      .catch((thrown: unknown) => thrown);
    expect(error).toMatchObject({ code: MetricSourceErrorCode.unavailable, retryable: true });
    expect((error as Error).message).toContain("gave up after 3 attempts");
    await prometheus!.restart();
    expect((await source().fetchRange(request)).values).toEqual(load.slice(-11));
  });
});
