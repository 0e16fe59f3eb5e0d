import { describe, expect, it } from "vitest";
import { resolveConfig } from "../../src/config/presage-config.js";
import { createMetricSource } from "../../src/sources/create-metric-source.js";
import { CsvMetricSource } from "../../src/sources/csv-metric-source.js";
import { PrometheusMetricSource } from "../../src/sources/prometheus-metric-source.js";
import { SyntheticMetricSource } from "../../src/sources/synthetic-metric-source.js";

const config = resolveConfig({
  prometheus: { url: "http://127.0.0.1:9", timeoutMs: 500 },
  targets: [
    { name: "web", query: "sum(rate(http_requests_total[5m]))", aggregate: "sum" },
    { name: "trace", source: "csv", csv: { path: "/tmp/trace.csv" } },
    { name: "demo", source: "synthetic", seed: 9 },
  ],
});

describe("createMetricSource", () => {
  it("chooses the source each target declares", () => {
    const [web, trace, demo] = config.targets;
    expect(createMetricSource(web!, config)).toBeInstanceOf(PrometheusMetricSource);
    expect(createMetricSource(trace!, config)).toBeInstanceOf(CsvMetricSource);
    expect(createMetricSource(demo!, config)).toBeInstanceOf(SyntheticMetricSource);
  });

  it("gives the synthetic source the target's seed", async () => {
    const demo = createMetricSource(config.targets[2]!, config);
    const request = { query: "", startMs: 0, endMs: 3_600_000, stepSeconds: 900 };
    expect((await demo.fetchRange(request)).values).toEqual(
      (await new SyntheticMetricSource({ seed: 9 }).fetchRange(request)).values,
    );
  });

  it("passes retry overrides to the Prometheus source", async () => {
    const delays: number[] = [];
    const source = createMetricSource(config.targets[0]!, config, {
      retry: { attempts: 2, baseDelayMs: 10 },
      sleep: (ms) => {
        delays.push(ms);
        return Promise.resolve();
      },
    });
    await expect(
      source.fetchRange({ query: "up", startMs: 0, endMs: 60_000, stepSeconds: 60 }),
    ).rejects.toMatchObject({
      code: "PRESAGE_SOURCE_UNAVAILABLE",
      retryable: true,
    });
    expect(delays).toHaveLength(1);
  });
});
