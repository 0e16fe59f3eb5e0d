import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Series } from "../../models/series.js";
import { createForecasterFor } from "../../training/model-catalog.js";
import { modelContext, trainTarget, type TrainingTarget } from "../../training/pipeline/train-target.js";
import { restoreModel } from "../../training/restore-model.js";
import { alignDownMs } from "../../src/sources/aligned-range.js";
import { parseCsvTrace } from "../../src/sources/csv-trace.js";
import { PrometheusMetricSource } from "../../src/sources/prometheus-metric-source.js";
import { syntheticWorkload } from "../../src/sources/synthetic-workload.js";
import { FileModelRegistry } from "../../src/storage/file-model-registry.js";
import { startPrometheus, type RealPrometheus } from "../support/real-prometheus.js";

const STEP_SECONDS = 300;
const STEP_MS = STEP_SECONDS * 1000;
/** Three weeks of five-minute samples. */
const POINTS = 21 * 288;
const NASA_5MIN = resolve(
  import.meta.dirname,
  "../../../shared/data/traces/nasa_http_1995_requests_per_5min.csv",
);

/** Three weeks of the NASA trace (with its missing-log gaps) when ../shared exists, else the synthetic workload. */
function realHistory(): { values: number[]; origin: string } {
  if (existsSync(NASA_5MIN)) {
    const trace = parseCsvTrace(readFileSync(NASA_5MIN, "utf8"), NASA_5MIN);
    return { values: [...(trace.columns.get("requests") ?? [])].slice(0, POINTS), origin: "NASA trace" };
  }
  return {
    values: syntheticWorkload({ stepSeconds: STEP_SECONDS, days: 21, seed: 9 }).values.slice(),
    origin: "synthetic",
  };
}

const { values: load, origin } = realHistory();
const endMs = alignDownMs(Date.now() - 3_600_000, STEP_MS);
const startMs = endMs - (POINTS - 1) * STEP_MS;
const target: TrainingTarget = {
  name: "nasa-http",
  stepSeconds: STEP_SECONDS,
  horizonSteps: 6,
  seasonalitySeconds: [86_400, 604_800],
  models: ["auto"],
};

describe(`training from a real Prometheus (${origin} history backfilled with promtool)`, () => {
  let prometheus: RealPrometheus;
  let dir = "";

  beforeAll(async () => {
    prometheus = await startPrometheus({
      series: [
        { name: "nasa_requests", labels: { job: "www" }, startMs, stepSeconds: STEP_SECONDS, values: load },
      ],
    });
    dir = await mkdtemp(join(tmpdir(), "presage-prom-train-"));
  });

  afterAll(async () => {
    await prometheus.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("stores an artifact that forecasts exactly like a direct in-process fit on the same data", async () => {
    const source = new PrometheusMetricSource({ url: prometheus.url });
    const history = await source.fetchRange({
      query: "nasa_requests",
      startMs,
      endMs,
      stepSeconds: STEP_SECONDS,
    });
    expect(history.values).toHaveLength(POINTS);
    expect(history.startMs).toBe(startMs);
    // Gaps in the trace come back as gaps, not as invented or repeated values.
    expect(history.values.map(Number.isNaN)).toEqual(load.map(Number.isNaN));

    const registry = new FileModelRegistry({ directory: dir });
    const result = await trainTarget({ target, history, registry, codeVersion: "test" });
    expect(result.promoted).toBe(true);
    const stored = await registry.current(target.name);
    expect(stored?.dataRange.endMs).toBe(endMs);
    expect(stored?.dataRange.missing).toBe(load.filter(Number.isNaN).length);

    const direct: Series = { values: load, stepSeconds: STEP_SECONDS, startMs };
    const fitted = createForecasterFor(target.models, modelContext(target)).fit(direct);
    const restored = restoreModel(stored!.state);
    expect(restored.predict(6, { levels: [80, 95] })).toEqual(fitted.predict(6, { levels: [80, 95] }));
    await registry.close();
  });
});
