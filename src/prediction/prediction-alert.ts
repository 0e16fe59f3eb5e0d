import type { ExhaustionEstimate } from "../../models/anomaly/exhaustion-forecaster.js";
import { labelsFingerprint, type ReceivedAlert } from "../remediation/alerting/alertmanager-payload.js";
import type { PredictionMark } from "../remediation/ledger/incident-event.js";
import { formatElapsed } from "../remediation/notifications/remediation-notification.js";
import type { AnomalySpec, PredictionSpec } from "./prediction-config.js";

/** Labels presage puts on every prediction alert. */
export const PredictionLabel = {
  /** The configured prediction's name. */
  prediction: "presage_prediction",
  /** `"true"`: the alert is a forecast, not an observed failure. */
  preventive: "presage_preventive",
} as const;

/** A raised prediction as the remediation engine takes it: a synthetic firing alert and its mark. */
export interface PredictionAlert {
  readonly alert: ReceivedAlert;
  readonly mark: PredictionMark;
}

/**
 * The synthetic alert of a prediction, pure: the series' labels plus the prediction's static labels,
 * `alertname`, `severity`, `presage_prediction` and `presage_preventive="true"`; annotations with the
 * time to exhaustion and the probability. `startsAt` is the newest point's time (when the forecast
 * crossed the threshold), so the incident id is stable for this episode.
 */
export function predictionAlert(input: {
  readonly spec: PredictionSpec;
  readonly graceMs: number;
  readonly seriesLabels: Readonly<Record<string, string>>;
  readonly limit: number;
  readonly estimate: ExhaustionEstimate;
  readonly probability: number;
  readonly atMs: number;
}): PredictionAlert {
  const { spec, estimate, probability, limit } = input;
  const labels: Record<string, string> = {
    ...input.seriesLabels,
    ...spec.labels,
    alertname: spec.alertname,
    severity: spec.severity,
    [PredictionLabel.prediction]: spec.name,
    [PredictionLabel.preventive]: "true",
  };
  const ttl = estimate.timeToLimitMs;
  const ttlText = Number.isFinite(ttl) ? formatElapsed(Math.max(0, ttl)) : "never (trend flat)";
  const subject = labels.deployment ?? labels.pod ?? labels.persistentvolumeclaim ?? labels.instance ?? "";
  const percent = `${Math.round(probability * 100)}%`;
  return {
    alert: {
      status: "firing",
      fingerprint: labelsFingerprint(labels),
      labels,
      annotations: {
        summary: `${spec.name}: ${subject === "" ? "a series" : subject} reaches its limit in ~${ttlText} (${percent} within ${formatElapsed(spec.horizonMs)})`,
        time_to_exhaustion: ttlText,
        time_to_exhaustion_seconds: Number.isFinite(ttl)
          ? String(Math.round(Math.max(0, ttl) / 1000))
          : "+Inf",
        probability: probability.toFixed(3),
        horizon: formatElapsed(spec.horizonMs),
        limit: String(limit),
        level: String(estimate.level),
      },
      startsAtMs: input.atMs,
      generatorURL: "",
      externalURL: "",
    },
    mark: {
      name: spec.name,
      kind: "exhaustion",
      runbook: spec.runbook,
      probability,
      horizonMs: spec.horizonMs,
      graceMs: input.graceMs,
      timeToLimitMs: Number.isFinite(ttl) ? ttl : null,
      limit,
      level: estimate.level,
    },
  };
}

/**
 * The synthetic alert of an anomaly prediction, pure: like {@link predictionAlert}, with the anomaly
 * score, the detector and the anomalous value as annotations; `startsAt` is the anomalous point's time.
 */
export function anomalyAlert(input: {
  readonly spec: AnomalySpec;
  readonly graceMs: number;
  readonly seriesLabels: Readonly<Record<string, string>>;
  readonly score: number;
  readonly value: number;
  readonly atMs: number;
}): PredictionAlert {
  const { spec, score } = input;
  const labels: Record<string, string> = {
    ...input.seriesLabels,
    ...spec.labels,
    alertname: spec.alertname,
    severity: spec.severity,
    [PredictionLabel.prediction]: spec.name,
    [PredictionLabel.preventive]: "true",
  };
  const subject = labels.deployment ?? labels.pod ?? labels.service ?? labels.instance ?? "";
  return {
    alert: {
      status: "firing",
      fingerprint: labelsFingerprint(labels),
      labels,
      annotations: {
        summary: `${spec.name}: ${subject === "" ? "a series" : subject} is anomalous (score ${score.toFixed(3)}, ${spec.detector} detector)`,
        anomaly_score: score.toFixed(4),
        detector: spec.detector,
        value: String(input.value),
      },
      startsAtMs: input.atMs,
      generatorURL: "",
      externalURL: "",
    },
    mark: {
      name: spec.name,
      kind: "anomaly",
      runbook: spec.runbook,
      probability: score,
      horizonMs: spec.horizonMs,
      graceMs: input.graceMs,
      timeToLimitMs: null,
      level: input.value,
    },
  };
}
