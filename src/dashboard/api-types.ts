/**
 * The JSON the dashboard reads from the presage API (`/api/v1`), as far as it uses it. These mirror
 * the backend port in src/api/presage-backend.ts, which the browser build cannot import (its types
 * pull in Node-side modules); test/e2e/dashboard-browser.test.ts checks at compile time that every
 * backend type is assignable to its mirror here, so the two cannot drift apart silently.
 */

/** Scores are null in JSON when they could not be computed (the API serializes NaN as null). */
export interface BacktestJson {
  readonly horizonSteps: number;
  readonly mase: number | null;
  readonly smape: number | null;
  readonly coverage80: number | null;
  readonly coverage95: number | null;
}

export interface ModelInfoJson {
  readonly version: number;
  readonly modelName: string;
  readonly createdAt: string;
  readonly trainedUntilMs: number;
  readonly backtest: BacktestJson;
}

export interface ScalerInfoJson {
  readonly hpa: string;
  readonly mode: "shadow" | "active";
  readonly podCapacity: number;
  readonly quantile: number;
  readonly leadMs: number;
  readonly windowMs: number;
  readonly floor?: number;
  readonly baselineMinReplicas?: number;
  readonly maxReplicas?: number;
  readonly currentReplicas?: number;
}

/** `GET /api/v1/targets` rows and `GET /api/v1/targets/:name`. */
export interface TargetJson {
  readonly name: string;
  readonly stepSeconds: number;
  readonly unit?: string;
  readonly model?: ModelInfoJson;
  readonly scaler?: ScalerInfoJson;
}

export interface IntervalJson {
  readonly level: number;
  readonly lower: readonly (number | null)[];
  readonly upper: readonly (number | null)[];
}

/** `GET /api/v1/targets/:name/forecast`. */
export interface ForecastJson {
  readonly target: string;
  readonly model: string;
  readonly modelVersion: number;
  readonly stepSeconds: number;
  readonly dataEndMs: number;
  readonly timesMs: readonly number[];
  /** Null where the model produced no finite value. */
  readonly mean: readonly (number | null)[];
  readonly intervals: readonly IntervalJson[];
  readonly notes: readonly string[];
  readonly computedAtMs: number;
}

/** `GET /api/v1/targets/:name/history`. */
export interface SeriesJson {
  readonly target: string;
  readonly stepSeconds: number;
  readonly timesMs: readonly number[];
  readonly values: readonly (number | null)[];
}

/** One row of `GET /api/v1/decisions` (DecisionRecord in src/scaler/scaler-loop.ts). */
export interface DecisionJson {
  readonly atMs: number;
  readonly target: string;
  readonly hpa: string;
  readonly mode: "shadow" | "active";
  readonly acting: boolean;
  readonly currentFloor: number;
  readonly baselineMinReplicas: number;
  readonly maxReplicas: number;
  readonly currentReplicas: number;
  readonly outage: boolean;
  readonly decision: { readonly floor: number; readonly reason: string; readonly detail: string };
  readonly forecast?: {
    readonly requiredReplicas: number;
    readonly peakLoad: number;
    readonly quantile: number;
  };
  readonly forecastError?: string;
  readonly actionError?: string;
}

/** One row of `GET /api/v1/targets/:name/models` (ArtifactSummary in training/registry). */
export interface ModelVersionJson {
  readonly target: string;
  readonly version: number;
  readonly createdAt: string;
  readonly modelKind: string;
  readonly modelName: string;
  readonly backtest: BacktestJson;
  readonly decision: { readonly promoted: boolean; readonly reason: string };
  readonly current: boolean;
}

/** An `application/problem+json` error body. */
export interface ProblemJson {
  readonly status?: number;
  readonly title?: string;
  readonly detail?: string;
  readonly code?: string;
}
