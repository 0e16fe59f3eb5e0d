import type { Runbook } from "../remediation/runbooks/runbook.js";
import { FailurePredictor, type PredictionRemediation } from "./failure-predictor.js";
import type { ResolvedPredictionConfig } from "./prediction-config.js";
import { PredictionError, PredictionErrorCode } from "./prediction-error.js";
import { PredictionMetrics } from "./prediction-metrics.js";
import { PrometheusLabelledSeries } from "./prometheus-labelled-series.js";

/** What {@link createFailurePredictor} is built from. */
export interface CreateFailurePredictorOptions {
  readonly config: ResolvedPredictionConfig;
  /** The config's `prometheus` section. */
  readonly prometheus: {
    readonly url: string;
    readonly bearerToken?: string;
    readonly bearerTokenFile?: string;
    readonly headers?: Readonly<Record<string, string>>;
    readonly timeoutMs?: number;
  };
  /** The remediation engine (`createRemediation(...).engine`). */
  readonly remediation: PredictionRemediation;
  /** The loaded runbooks, to check each prediction's runbook at start-up. */
  readonly runbooks: readonly Runbook[];
  /** @defaultValue none */
  readonly log?: (line: string) => void;
  /** @defaultValue Date.now */
  readonly now?: () => number;
}

/** The failure predictor wired: `predictor.start()` / `stop()`; serve `metrics` on `/metrics`. */
export interface FailurePrediction {
  readonly predictor: FailurePredictor;
  readonly metrics: PredictionMetrics;
}

/**
 * Every problem with the predictions' runbooks at once: each must be loaded and match the alert the
 * prediction raises (same alertname; the severity among the runbook's, if it lists any).
 */
export function predictionRunbookProblems(
  config: ResolvedPredictionConfig,
  runbooks: readonly Runbook[],
): string[] {
  const problems: string[] = [];
  const specs = [
    ...config.predictions.map((spec, index) => ({ spec, field: `prediction.predictions[${index}].runbook` })),
    ...config.anomalies.map((spec, index) => ({ spec, field: `prediction.anomalies[${index}].runbook` })),
  ];
  specs.forEach(({ spec: prediction, field }) => {
    const runbook = runbooks.find((candidate) => candidate.name === prediction.runbook);
    if (runbook === undefined) {
      problems.push(
        `${field} (${JSON.stringify(prediction.runbook)}) is not loaded; runbooks: ${runbooks.map((one) => one.name).join(", ") || "(none)"}`,
      );
      return;
    }
    if (runbook.match.alertname !== prediction.alertname) {
      problems.push(
        `${field} (${JSON.stringify(prediction.runbook)}) matches alertname ${runbook.match.alertname}, but the prediction raises ${prediction.alertname}`,
      );
    }
    if (runbook.match.severities !== undefined && !runbook.match.severities.includes(prediction.severity)) {
      problems.push(
        `${field} (${JSON.stringify(prediction.runbook)}) matches severity ${runbook.match.severities.join(" or ")}, but the prediction raises ${prediction.severity}`,
      );
    }
  });
  return problems;
}

/**
 * The composition of the failure predictor from the `prediction:` section: the runbooks checked
 * (`PredictionError` listing every problem), Prometheus read through `PrometheusLabelledSeries`, the
 * loop raising into the given remediation engine. Not started: call `predictor.start()`.
 */
export function createFailurePredictor(options: CreateFailurePredictorOptions): FailurePrediction {
  const problems = predictionRunbookProblems(options.config, options.runbooks);
  if (problems.length > 0) {
    throw new PredictionError(
      PredictionErrorCode.runbookMismatch,
      `${problems.length} prediction runbook problem${problems.length === 1 ? "" : "s"}:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`,
    );
  }
  const metrics = new PredictionMetrics();
  const predictor = new FailurePredictor({
    config: options.config,
    source: new PrometheusLabelledSeries({
      url: options.prometheus.url,
      bearerToken: options.prometheus.bearerToken,
      bearerTokenFile: options.prometheus.bearerTokenFile,
      headers: options.prometheus.headers,
      timeoutMs: options.prometheus.timeoutMs,
    }),
    remediation: options.remediation,
    metrics,
    ...(options.log === undefined ? {} : { log: options.log }),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  return { predictor, metrics };
}
