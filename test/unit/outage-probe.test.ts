import { describe, expect, it } from "vitest";
import type { Series } from "../../models/series.js";
import type { MetricSource, RangeRequest } from "../../src/sources/metric-source.js";
import { createOutageProbe } from "../../src/scaler/outage-probe.js";
import { PresageAnnotation } from "../../src/scaler/scaler-actuator.js";
import { parseTargetAnnotations, resolveScalerTarget } from "../../src/scaler/scaler-target.js";

/** Serves fixed error-ratio samples ending at the requested end, and records the queries. */
class ErrorRatioSource implements MetricSource {
  readonly kind = "fixed";
  readonly queries: string[] = [];
  constructor(private readonly values: number[]) {}
  fetchRange(request: RangeRequest): Promise<Series> {
    this.queries.push(request.query);
    const count = Math.round((request.endMs - request.startMs) / (request.stepSeconds * 1000)) + 1;
    const values = Array.from(
      { length: count },
      (_, i) => this.values[this.values.length - count + i] ?? Number.NaN,
    );
    return Promise.resolve({ values, stepSeconds: request.stepSeconds, startMs: request.startMs });
  }
}

const base = {
  name: "shop.web",
  hpa: { namespace: "shop", name: "web" },
  loadQuery: "rps",
  podCapacity: 100,
};
const NOW = Date.parse("2026-11-28T12:00:00Z");

describe("the outage guard", () => {
  it("reports an outage while the latest error ratio is above the threshold", async () => {
    const target = resolveScalerTarget({ ...base, outageQuery: "errors", outageThreshold: 0.1 });
    expect(await createOutageProbe(new ErrorRatioSource([0, 0.02, 0.3]), { now: () => NOW })(target)).toBe(
      true,
    );
    expect(await createOutageProbe(new ErrorRatioSource([0.5, 0.4, 0.05]), { now: () => NOW })(target)).toBe(
      false,
    );
  });

  it("uses the latest sample present when the newest are missing", async () => {
    const target = resolveScalerTarget({ ...base, outageQuery: "errors" });
    const probe = createOutageProbe(new ErrorRatioSource([0.2, Number.NaN, Number.NaN]), { now: () => NOW });
    expect(await probe(target)).toBe(true);
  });

  it("never reports an outage for a target without a query, or without samples", async () => {
    const source = new ErrorRatioSource([0.9]);
    expect(await createOutageProbe(source, { now: () => NOW })(resolveScalerTarget(base))).toBe(false);
    expect(source.queries).toEqual([]);
    const empty = createOutageProbe(new ErrorRatioSource([]), { now: () => NOW });
    expect(await empty(resolveScalerTarget({ ...base, outageQuery: "errors" }))).toBe(false);
  });

  it("reads the query and threshold from HPA annotations and rejects a bad threshold", () => {
    const annotations = {
      [PresageAnnotation.enabled]: "true",
      [PresageAnnotation.loadQuery]: "rps",
      [PresageAnnotation.podCapacity]: "100",
      [PresageAnnotation.outageQuery]:
        "sum(rate(http_errors_total[1m])) / sum(rate(http_requests_total[1m]))",
      [PresageAnnotation.outageThreshold]: "0.02",
    };
    const target = parseTargetAnnotations({ ref: { namespace: "shop", name: "web" }, annotations });
    expect(target.outageQuery).toContain("http_errors_total");
    expect(target.outageThreshold).toBe(0.02);
    expect(() => resolveScalerTarget({ ...base, outageThreshold: 1.5 })).toThrow(
      /outageThreshold.*must be > 0 and < 1/,
    );
  });
});
