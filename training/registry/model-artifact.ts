import type { ModelState } from "../../models/forecaster.js";

/** The time span and quality of the history a model was trained on. */
export interface DataRange {
  /** Epoch ms of the first training sample. */
  readonly startMs: number;
  /** Epoch ms of the last training sample. */
  readonly endMs: number;
  readonly stepSeconds: number;
  readonly points: number;
  /** Samples that were missing and repaired (interpolated or carried forward). */
  readonly missing: number;
}

/** Rolling-origin backtest scores of a trained model. */
export interface BacktestSummary {
  readonly horizonSteps: number;
  /** Epoch ms of each forecast origin. */
  readonly originsMs: readonly number[];
  readonly mase: number;
  readonly smape: number;
  readonly coverage80: number;
  readonly coverage95: number;
}

/** Champion/challenger outcome: why a trained model was, or was not, made current. */
export interface PromotionDecision {
  readonly promoted: boolean;
  /** Human-readable reason, e.g. "challenger MASE 0.61 beats champion v3 0.74 on 4 origins". */
  readonly reason: string;
  /** Version that was current when the decision was made. */
  readonly championVersion?: number;
  readonly championMase?: number;
  readonly challengerMase?: number;
  readonly decidedAt: string;
}

/** A versioned, self-describing trained model as the registry stores it. */
export interface ModelArtifact {
  readonly target: string;
  /** 1, 2, 3… per target, assigned by the registry on save. */
  readonly version: number;
  readonly createdAt: string;
  /** presage version (package.json) plus git commit when known. */
  readonly codeVersion: string;
  /** Catalog name the model was built from (`auto`, `ets`, …). */
  readonly modelKind: string;
  /** Name of the fitted model, e.g. `auto[mstl(24,168;log)+damped-trend+snaive(168)]`. */
  readonly modelName: string;
  readonly dataRange: DataRange;
  readonly backtest: BacktestSummary;
  readonly decision: PromotionDecision;
  /** Fitted state; `restoreModel(state)` rebuilds a model that predicts the same. */
  readonly state: ModelState;
}

/** An artifact before the registry has given it a version. */
export type NewModelArtifact = Omit<ModelArtifact, "version">;

/** A row of `listVersions`: everything but the (possibly large) fitted state. */
export type ArtifactSummary = Omit<ModelArtifact, "state"> & { readonly current: boolean };
