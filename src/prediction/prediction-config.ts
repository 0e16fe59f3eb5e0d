import { z } from "zod";
import { parseDurationMs } from "../config/duration.js";
import { millisecondsDurationSchema } from "../config/duration-schema.js";
import { addDuplicateNameIssues } from "../config/duplicate-name-issues.js";
import {
  ANOMALY_DETECTOR_NAMES,
  type AnomalyDetectorName,
} from "../../models/anomaly/anomaly-detector-catalog.js";
import { LABEL_NAME } from "../remediation/alerting/alertmanager-payload.js";

const duration = millisecondsDurationSchema;
const ms = (text: string): number => parseDurationMs(text) ?? Number.NaN;
const labelNames = z.array(z.string().regex(LABEL_NAME, "must be a label name")).min(1);

const failureSchema = z
  .object({
    /** PromQL; a sample > 0 of a matching series after the prediction is the failure. */
    query: z.string().min(1).optional(),
    /** Alerts (in the ledger) that are the failure, e.g. `KubePodOOMKilled`. */
    alerts: z.array(z.string().min(1)).default([]),
    /** Labels that pair failure series/alerts with the predicted series. @defaultValue every label both carry */
    on: labelNames.optional(),
  })
  .strict()
  .prefault({});

const predictionSchema = z
  .object({
    /** Names the prediction in the ledger, metrics and the `presage_prediction` label. */
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "must be 1–63 of a-z, 0-9 and '-', starting alphanumeric"),
    /** The alertname of the synthetic alert (what runbooks match). */
    alertname: z.string().regex(LABEL_NAME, "must be a valid alert name").default("PredictedExhaustion"),
    severity: z.string().min(1).default("warning"),
    /** PromQL of the resource, one series per workload (e.g. memory working set per pod). */
    query: z.string().min(1, "must not be empty"),
    /** The limit: a PromQL query (matched to the resource series by labels) or a constant. */
    limit: z
      .object({
        query: z.string().min(1).optional(),
        value: z.number().positive().optional(),
        /** Labels that pair a limit series with a resource series. @defaultValue every label both carry */
        on: labelNames.optional(),
      })
      .strict()
      .refine((limit) => (limit.query === undefined) !== (limit.value === undefined), {
        error: "must set exactly one of query and value",
      }),
    horizon: duration.default("20m"),
    threshold: z.number().gt(0).max(1).default(0.8),
    /** The runbook to run; it must match the alert (alertname, severity, label matchers). */
    runbook: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "must be a runbook name"),
    /** Static labels added to the alert (e.g. `team`). */
    labels: z.record(z.string().regex(LABEL_NAME, "must be a label name"), z.string()).default({}),
    /** How the failure shows when it happens anyway (besides the resource reaching its limit). */
    failure: failureSchema,
    /** Effective memory of the trend fit, in points. */
    memoryPoints: z.number().int().min(2).default(120),
    /** Points before a series is forecast. */
    minPoints: z.number().int().min(3).default(10),
  })
  .strict();

const anomalySchema = z
  .object({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "must be 1–63 of a-z, 0-9 and '-', starting alphanumeric"),
    alertname: z.string().regex(LABEL_NAME, "must be a valid alert name").default("PredictedAnomaly"),
    severity: z.string().min(1).default("warning"),
    /** PromQL of the signal, one series per workload (error ratio, p99 latency, throughput). */
    query: z.string().min(1, "must not be empty"),
    detector: z
      .enum(ANOMALY_DETECTOR_NAMES, { error: `must be one of ${ANOMALY_DETECTOR_NAMES.join(", ")}` })
      .default("presage"),
    /** Anomaly score (0–1, calibrated) at or above which a prediction is raised. */
    threshold: z.number().gt(0).max(1).default(0.99),
    /** Points a series learns from before it may raise (its daily/weekly pattern). */
    warmupPoints: z.number().int().min(1).default(288),
    /** How long after acting the failure is watched for (prevented / missed). */
    horizon: duration.default("30m"),
    runbook: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "must be a runbook name"),
    labels: z.record(z.string().regex(LABEL_NAME, "must be a label name"), z.string()).default({}),
    failure: failureSchema,
  })
  .strict();

/** The `prediction:` section of the config file: the failure predictor. */
export const predictionConfigSchema = z
  .object({
    /** How often the predictor reads Prometheus. */
    interval: duration.default("30s"),
    /** Resolution of the queries (at least the scrape interval). */
    step: duration.default("30s"),
    /** History read when the predictor starts, so forecasts are ready at once. */
    lookback: duration.default("30m"),
    /** After the horizon, how long a failure still counts as not prevented. */
    grace: duration.default("5m"),
    /** A series whose newest point is older than this is not predicted on (no data: do nothing). */
    staleAfter: duration.default("5m"),
    /** A fall by more than this share of the limit between two points is a restart: the fit starts over. */
    resetDropFraction: z.number().gt(0).max(1).default(0.25),
    /** Most series tracked per prediction (memory bound); more are ignored and counted. */
    maxSeries: z.number().int().min(1).default(10_000),
    predictions: z.array(predictionSchema).default([]),
    /** Anomaly predictions: a seasonal-residual score per series mapped to a runbook. */
    anomalies: z.array(anomalySchema).default([]),
  })
  .strict()
  .superRefine((section, context) => {
    if (section.predictions.length === 0 && section.anomalies.length === 0) {
      context.addIssue({
        code: "custom",
        path: ["predictions"],
        message: "must list at least one prediction (or anomaly)",
      });
    }
    // Anomalies and predictions share one namespace of names.
    const seen = addDuplicateNameIssues(context, "anomalies", section.anomalies);
    addDuplicateNameIssues(context, "predictions", section.predictions, { seen });
    section.predictions.forEach((prediction, index) => {
      const horizonMs = ms(prediction.horizon);
      const stepMs = ms(section.step);
      if (horizonMs < stepMs) {
        context.addIssue({
          code: "custom",
          path: ["predictions", index, "horizon"],
          input: prediction.horizon,
          message: `must be at least one step (${section.step})`,
        });
      }
    });
  });

export type ParsedPredictionConfig = z.infer<typeof predictionConfigSchema>;

/** One configured prediction, durations in ms. */
export interface PredictionSpec {
  readonly name: string;
  readonly alertname: string;
  readonly severity: string;
  readonly query: string;
  readonly limit: {
    readonly query?: string;
    readonly value?: number;
    readonly on?: readonly string[];
  };
  readonly horizonMs: number;
  readonly threshold: number;
  readonly runbook: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly failure: {
    readonly query?: string;
    readonly alerts: readonly string[];
    readonly on?: readonly string[];
  };
  readonly memoryPoints: number;
  readonly minPoints: number;
}

/** One configured anomaly prediction, durations in ms. */
export interface AnomalySpec {
  readonly name: string;
  readonly alertname: string;
  readonly severity: string;
  readonly query: string;
  readonly detector: AnomalyDetectorName;
  readonly threshold: number;
  readonly warmupPoints: number;
  readonly horizonMs: number;
  readonly runbook: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly failure: PredictionSpec["failure"];
}

/** The `prediction:` section resolved: durations in ms. */
export interface ResolvedPredictionConfig {
  readonly intervalMs: number;
  readonly stepMs: number;
  readonly lookbackMs: number;
  readonly graceMs: number;
  readonly staleAfterMs: number;
  readonly resetDropFraction: number;
  readonly maxSeries: number;
  readonly predictions: readonly PredictionSpec[];
  readonly anomalies: readonly AnomalySpec[];
}

/** Resolves a validated section. */
export function resolvePredictionConfig(section: ParsedPredictionConfig): ResolvedPredictionConfig {
  return {
    intervalMs: ms(section.interval),
    stepMs: ms(section.step),
    lookbackMs: ms(section.lookback),
    graceMs: ms(section.grace),
    staleAfterMs: ms(section.staleAfter),
    resetDropFraction: section.resetDropFraction,
    maxSeries: section.maxSeries,
    predictions: section.predictions.map((prediction) => ({
      name: prediction.name,
      alertname: prediction.alertname,
      severity: prediction.severity,
      query: prediction.query,
      limit: {
        ...(prediction.limit.query === undefined ? {} : { query: prediction.limit.query }),
        ...(prediction.limit.value === undefined ? {} : { value: prediction.limit.value }),
        ...(prediction.limit.on === undefined ? {} : { on: prediction.limit.on }),
      },
      horizonMs: ms(prediction.horizon),
      threshold: prediction.threshold,
      runbook: prediction.runbook,
      labels: prediction.labels,
      failure: {
        ...(prediction.failure.query === undefined ? {} : { query: prediction.failure.query }),
        alerts: prediction.failure.alerts,
        ...(prediction.failure.on === undefined ? {} : { on: prediction.failure.on }),
      },
      memoryPoints: prediction.memoryPoints,
      minPoints: prediction.minPoints,
    })),
    anomalies: section.anomalies.map((anomaly) => ({
      name: anomaly.name,
      alertname: anomaly.alertname,
      severity: anomaly.severity,
      query: anomaly.query,
      detector: anomaly.detector,
      threshold: anomaly.threshold,
      warmupPoints: anomaly.warmupPoints,
      horizonMs: ms(anomaly.horizon),
      runbook: anomaly.runbook,
      labels: anomaly.labels,
      failure: {
        ...(anomaly.failure.query === undefined ? {} : { query: anomaly.failure.query }),
        alerts: anomaly.failure.alerts,
        ...(anomaly.failure.on === undefined ? {} : { on: anomaly.failure.on }),
      },
    })),
  };
}

/** Parses and resolves a raw `prediction:` section (tests, embedded use); problems as `field: rule`. */
export function parsePredictionConfig(
  raw: unknown,
): { ok: true; config: ResolvedPredictionConfig } | { ok: false; problems: string[] } {
  const result = predictionConfigSchema.safeParse(raw);
  if (!result.success) {
    return {
      ok: false,
      problems: result.error.issues.map(
        (issue) => `${issue.path.length === 0 ? "(root)" : issue.path.join(".")}: ${issue.message}`,
      ),
    };
  }
  return { ok: true, config: resolvePredictionConfig(result.data) };
}
