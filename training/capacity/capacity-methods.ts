import type { Forecaster } from "../../models/forecaster.js";
import { createForecaster } from "../model-catalog.js";
import { createCapacityForecaster } from "./capacity-forecaster.js";
import type { CapacityMethod } from "./evaluate-capacity.js";

/** Models `presage eval capacity` offers: the capacity model and baselines configured for daily data. */
export const CAPACITY_MODEL_NAMES = [
  "capacity",
  "naive",
  "snaive",
  "drift",
  "ets",
  "theta",
  "mstl",
  "auto",
] as const;
export type CapacityModelName = (typeof CAPACITY_MODEL_NAMES)[number];

/** @defaultValue the models `eval capacity` runs without `--models` */
export const DEFAULT_CAPACITY_MODELS: readonly CapacityModelName[] = [
  "capacity",
  "naive",
  "snaive",
  "drift",
  "ets",
  "theta",
];

export function isCapacityModelName(name: string): name is CapacityModelName {
  return (CAPACITY_MODEL_NAMES as readonly string[]).includes(name);
}

/**
 * The forecaster behind a model name for daily data and a `horizonDays` horizon: `capacity` is
 * {@link createCapacityForecaster}; the others come from the model catalog with a weekly period
 * (`snaive` repeats the last week; `auto` selects among the catalog's candidates).
 */
export function createCapacityModel(name: CapacityModelName, horizonDays: number): Forecaster {
  if (name === "capacity") return createCapacityForecaster({ horizonDays });
  return createForecaster(name, { period: 7, horizonSteps: horizonDays, stepSeconds: 86_400 });
}

/** A method for `evaluateCapacity` that fits `name` afresh at every origin. */
export function capacityMethod(name: CapacityModelName, horizonDays: number): CapacityMethod {
  const forecaster = createCapacityModel(name, horizonDays);
  return {
    name,
    forecast: (task) => forecaster.fit(task.train).predict(task.horizonSteps, { levels: [80] }),
  };
}
