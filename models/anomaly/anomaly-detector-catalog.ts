import type { AnomalyDetectorContext, StreamingAnomalyDetector } from "./anomaly-detector.js";
import { SeasonalResidualDetector } from "./seasonal-residual-detector.js";
import { WindowedGaussianDetector } from "./windowed-gaussian-detector.js";

/** Detector names accepted by `presage eval anomaly --detector`. */
export const ANOMALY_DETECTOR_NAMES = ["presage", "windowedGaussian"] as const;
export type AnomalyDetectorName = (typeof ANOMALY_DETECTOR_NAMES)[number];

export function isAnomalyDetectorName(name: string): name is AnomalyDetectorName {
  return (ANOMALY_DETECTOR_NAMES as readonly string[]).includes(name);
}

/**
 * A fresh detector for one series. `presage` is the seasonal-residual detector with its global
 * defaults; `windowedGaussian` re-implements NAB's baseline (it ignores the context, as NAB's does).
 */
export function createAnomalyDetector(
  name: AnomalyDetectorName,
  context: AnomalyDetectorContext = {},
): StreamingAnomalyDetector {
  switch (name) {
    case "presage":
      return new SeasonalResidualDetector({}, context);
    case "windowedGaussian":
      return new WindowedGaussianDetector();
  }
}
