import { describe, expect, it } from "vitest";
import { labelsAgree, seriesKey } from "../../src/prediction/labelled-series.js";
import { parsePredictionConfig } from "../../src/prediction/prediction-config.js";
import { anomalyAlert, predictionAlert } from "../../src/prediction/prediction-alert.js";
import type {
  IncidentEvent,
  IncidentEventBody,
  PredictionMark,
} from "../../src/remediation/ledger/incident-event.js";
import { foldIncident } from "../../src/remediation/ledger/incident.js";
import { computeRemediationStats } from "../../src/remediation/ledger/remediation-stats.js";
import { receivedAlert } from "../support/remediation-fixtures.js";

const START = Date.parse("2026-11-28T02:00:00Z");
const MARK: PredictionMark = {
  name: "memory-oom",
  kind: "exhaustion",
  runbook: "predicted-oom",
  probability: 0.93,
  horizonMs: 1_200_000,
  graceMs: 300_000,
  timeToLimitMs: 600_000,
  limit: 1,
  level: 0.8,
};

function incident(id: string, events: IncidentEventBody[]) {
  const timeline = [
    { type: "received", alert: receivedAlert({ alertname: "PredictedMemoryExhaustion" }), atMs: START },
    ...events.map((event, index) => ({ ...event, atMs: START + 60_000 * (index + 1) })),
  ] as IncidentEvent[];
  return foldIncident(id, timeline)!;
}

const acted: IncidentEventBody[] = [
  { type: "predicted", prediction: MARK },
  { type: "matched", runbook: "predicted-oom", mode: "auto", steps: [] },
  { type: "acted", step: 0, description: "restart", detail: "ok" },
  { type: "verified", step: 0, detail: "rolled out" },
  { type: "healed" },
];

describe("preventive incidents in the ledger", () => {
  it("are marked preventive with what was predicted and, once judged, the verdict", () => {
    const pending = incident("a", acted);
    expect(pending).toMatchObject({ preventive: true, prediction: MARK, state: "healed" });
    expect(pending.predictionOutcome).toBeUndefined();
    const judged = incident("b", [...acted, { type: "prediction-judged", outcome: "missed", detail: "OOM" }]);
    expect(judged.predictionOutcome).toBe("missed");
    expect(incident("c", [{ type: "matched", runbook: "x", mode: "auto", steps: [] }]).preventive).toBe(
      false,
    );
  });

  it("count prevented and missed in the stats, and the prevention rate", () => {
    const stats = computeRemediationStats([
      incident("p1", [...acted, { type: "prediction-judged", outcome: "prevented", detail: "" }]),
      incident("p2", [...acted, { type: "prediction-judged", outcome: "prevented", detail: "" }]),
      incident("m1", [...acted, { type: "prediction-judged", outcome: "missed", detail: "" }]),
      incident("open", acted),
      incident("alert", [{ type: "matched", runbook: "x", mode: "auto", steps: [] }]),
    ]);
    expect(stats).toMatchObject({ incidents: 5, preventive: 4, prevented: 2, missed: 1 });
    expect(stats.preventionRate).toBeCloseTo(2 / 3, 12);
  });
});

describe("prediction alerts", () => {
  const config = parsePredictionConfig({
    predictions: [
      {
        name: "memory-oom",
        alertname: "PredictedMemoryExhaustion",
        query: "q",
        limit: { value: 1 },
        horizon: "20m",
        runbook: "predicted-oom",
        labels: { team: "shop" },
      },
    ],
    anomalies: [{ name: "errors", query: "e", runbook: "r" }],
  });
  if (!config.ok) throw new Error(config.problems.join("; "));

  it("carry the series' labels, the prediction's, and the time to exhaustion", () => {
    const { alert, mark } = predictionAlert({
      spec: config.config.predictions[0]!,
      graceMs: 300_000,
      seriesLabels: { namespace: "shop", deployment: "web", alertname: "ignored" },
      limit: 1,
      estimate: {
        level: 0.8,
        slopePerSecond: 0.0005,
        slopeStandardError: 0.00001,
        residualSigma: 0.01,
        timeToLimitMs: 400_000,
        points: 40,
      },
      probability: 0.97,
      atMs: START,
    });
    expect(alert).toMatchObject({
      status: "firing",
      startsAtMs: START,
      labels: {
        namespace: "shop",
        deployment: "web",
        team: "shop",
        alertname: "PredictedMemoryExhaustion",
        severity: "warning",
        presage_prediction: "memory-oom",
        presage_preventive: "true",
      },
      annotations: { time_to_exhaustion: "6m40s", time_to_exhaustion_seconds: "400", probability: "0.970" },
    });
    expect(alert.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(alert.annotations.summary).toBe("memory-oom: web reaches its limit in ~6m40s (97% within 20m00s)");
    expect(mark).toMatchObject({ kind: "exhaustion", runbook: "predicted-oom", timeToLimitMs: 400_000 });
  });

  it("say never for a flat trend, and carry an anomaly's score", () => {
    const flat = predictionAlert({
      spec: config.config.predictions[0]!,
      graceMs: 0,
      seriesLabels: {},
      limit: 1,
      estimate: {
        level: 1,
        slopePerSecond: 0,
        slopeStandardError: 0,
        residualSigma: 0,
        timeToLimitMs: Number.POSITIVE_INFINITY,
        points: 40,
      },
      probability: 1,
      atMs: START,
    });
    expect(flat.alert.annotations.time_to_exhaustion_seconds).toBe("+Inf");
    expect(flat.mark.timeToLimitMs).toBeNull();
    const spike = anomalyAlert({
      spec: config.config.anomalies[0]!,
      graceMs: 0,
      seriesLabels: { service: "api" },
      score: 0.9991,
      value: 0.12,
      atMs: START,
    });
    expect(spike.alert.labels).toMatchObject({ alertname: "PredictedAnomaly", presage_prediction: "errors" });
    expect(spike.alert.annotations).toMatchObject({
      anomaly_score: "0.9991",
      detector: "presage",
      value: "0.12",
    });
    expect(spike.mark).toMatchObject({ kind: "anomaly", probability: 0.9991, horizonMs: 1_800_000 });
  });
});

describe("series labels", () => {
  it("pair when every label both carry agrees, or the `on` labels do", () => {
    const pod = { namespace: "shop", pod: "web-1", container: "app" };
    expect(labelsAgree(pod, { namespace: "shop", pod: "web-1" })).toBe(true);
    expect(labelsAgree(pod, { namespace: "shop", pod: "web-2" })).toBe(false);
    expect(labelsAgree(pod, { node: "n1" })).toBe(false);
    expect(labelsAgree({}, {})).toBe(true);
    expect(labelsAgree(pod, { namespace: "shop", pod: "web-1", container: "x" }, ["namespace", "pod"])).toBe(
      true,
    );
    expect(labelsAgree(pod, { namespace: "shop" }, ["namespace", "pod"])).toBe(false);
  });

  it("key a series by its sorted labels", () => {
    expect(seriesKey({ b: "2", a: "1" })).toBe('{a="1",b="2"}');
    expect(seriesKey({})).toBe("{}");
  });
});
