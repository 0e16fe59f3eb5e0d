import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrometheusLabelledSeries } from "../../src/prediction/prometheus-labelled-series.js";
import { MetricSourceErrorCode } from "../../src/sources/metric-source.js";
import { startPrometheus, type RealPrometheus } from "../support/real-prometheus.js";

const STEP_SECONDS = 60;
const START_MS = Date.parse("2026-11-20T00:00:00Z");
let prometheus: RealPrometheus;

beforeAll(async () => {
  prometheus = await startPrometheus({
    series: [
      {
        name: "container_memory_working_set_bytes",
        labels: { namespace: "shop", pod: "api-1" },
        startMs: START_MS,
        stepSeconds: STEP_SECONDS,
        values: [100, 110, Number.NaN, 130, 140],
      },
      {
        name: "container_memory_working_set_bytes",
        labels: { namespace: "shop", pod: "api-2" },
        startMs: START_MS,
        stepSeconds: STEP_SECONDS,
        values: [200, 200, 200, 200, 200],
      },
    ],
  });
});

afterAll(async () => {
  await prometheus.stop();
});

describe("PrometheusLabelledSeries against a real Prometheus", () => {
  it("returns every series with its labels (no __name__) and only the samples it has", async () => {
    const source = new PrometheusLabelledSeries({ url: prometheus.url });
    const series = await source.fetchSeries({
      query: 'container_memory_working_set_bytes{namespace="shop"}',
      startMs: START_MS,
      endMs: START_MS + 4 * STEP_SECONDS * 1000,
      stepMs: STEP_SECONDS * 1000,
    });
    const byPod = new Map(series.map((one) => [one.labels.pod, one]));
    expect(byPod.get("api-1")).toEqual({
      labels: { namespace: "shop", pod: "api-1" },
      timestampsMs: [0, 1, 3, 4].map((index) => START_MS + index * STEP_SECONDS * 1000),
      values: [100, 110, 130, 140],
    });
    expect(byPod.get("api-2")?.values).toEqual([200, 200, 200, 200, 200]);
  });

  it("reports bad PromQL as a bad query, without retrying it", async () => {
    const source = new PrometheusLabelledSeries({ url: prometheus.url });
    await expect(
      source.fetchSeries({ query: "sum(", startMs: START_MS, endMs: START_MS + 60_000, stepMs: 60_000 }),
    ).rejects.toMatchObject({ code: MetricSourceErrorCode.badQuery });
  });
});
