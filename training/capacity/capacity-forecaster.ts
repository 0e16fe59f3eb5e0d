import type { Forecaster } from "../../models/forecaster.js";
import { createForecaster } from "../model-catalog.js";

/** Options of {@link createCapacityForecaster}. */
export interface CapacityForecasterOptions {
  /** Longest horizon the forecaster will be asked for, in days. @defaultValue 180 */
  readonly horizonDays?: number;
}

/**
 * The forecaster capacity planning uses on daily series (one value per day) for horizons of 3–6
 * months. Provisional: automatic selection with a weekly period, until the long-horizon model lands.
 */
export function createCapacityForecaster(options: CapacityForecasterOptions = {}): Forecaster {
  const horizonSteps = options.horizonDays ?? 180;
  return createForecaster("auto", { period: 7, horizonSteps, stepSeconds: 86_400 });
}
