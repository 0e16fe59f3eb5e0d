import type {
  AnomalyDetectorContext,
  StreamingAnomalyDetector,
} from "../../models/anomaly/anomaly-detector.js";
import type { NabSeries } from "./nab-csv.js";
import { nabProbationRows } from "./nab-scorer.js";

/** Makes a fresh detector for one series, given what NAB tells every detector up front. */
export type AnomalyDetectorFactory = (context: AnomalyDetectorContext) => StreamingAnomalyDetector;

/**
 * Runs a fresh detector over one series point by point, as NAB does: the detector is told the
 * probationary length (its warm-up) and nothing else about the file. Returns the score per row.
 */
export function runAnomalyDetector(series: NabSeries, create: AnomalyDetectorFactory): Float64Array {
  const rowCount = series.values.length;
  const detector = create({ warmupPoints: nabProbationRows(rowCount) });
  const scores = new Float64Array(rowCount);
  for (let i = 0; i < rowCount; i++) {
    const score = detector.update(series.timestampsMs[i]!, series.values[i]!);
    scores[i] = Number.isFinite(score) ? Math.min(1, Math.max(0, score)) : 0;
  }
  return scores;
}
