import { ThetaForecaster } from "../../models/theta/theta-forecaster.js";
import type { ModelState } from "../../models/forecaster.js";
import type { NewModelArtifact } from "../../training/registry/model-artifact.js";
import { seasonalSeries } from "./seasonal-series.js";

const STEP_SECONDS = 3600;
const START_MS = Date.UTC(2024, 0, 1);

let cachedState: ModelState | undefined;

/** A real fitted state (Theta on a week of hourly data), so round trips cover nested numbers. */
export function fittedState(): ModelState {
  cachedState ??= new ThetaForecaster({ period: 24 })
    .fit({ values: seasonalSeries({ length: 24 * 14, seed: 7 }).values, stepSeconds: STEP_SECONDS })
    .toJSON();
  return cachedState;
}

/** A complete, realistic artifact for `target`; `overrides` replace top-level fields. */
export function newArtifact(target: string, overrides: Partial<NewModelArtifact> = {}): NewModelArtifact {
  const points = 24 * 14;
  return {
    target,
    createdAt: "2024-01-15T00:00:00.000Z",
    codeVersion: "0.1.0+test",
    modelKind: "theta",
    modelName: "theta(24)",
    dataRange: {
      startMs: START_MS,
      endMs: START_MS + (points - 1) * STEP_SECONDS * 1000,
      stepSeconds: STEP_SECONDS,
      points,
      missing: 3,
    },
    backtest: {
      horizonSteps: 24,
      originsMs: [START_MS + 240 * 3600_000, START_MS + 264 * 3600_000, START_MS + 288 * 3600_000],
      mase: 0.6123456789,
      smape: 0.0734,
      coverage80: 0.79,
      coverage95: 0.94,
    },
    decision: {
      promoted: true,
      reason: "no champion yet",
      challengerMase: 0.6123456789,
      decidedAt: "2024-01-15T00:00:01.000Z",
    },
    state: fittedState(),
    ...overrides,
  };
}
