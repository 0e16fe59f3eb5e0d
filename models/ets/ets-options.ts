import { ModelError, ModelErrorCode } from "../errors.js";
import {
  allEtsSpecs,
  ETS_ERROR_TYPES,
  ETS_SEASON_TYPES,
  ETS_TREND_TYPES,
  etsName,
  forbiddenReason,
  sameSpec,
  type EtsErrorType,
  type EtsSeasonType,
  type EtsSpec,
  type EtsTrendType,
} from "./ets-spec.js";

/** Settings of the ETS family. Components set to `Z` are chosen automatically by AICc, as R's `ets`. */
export interface EtsOptions {
  /**
   * Seasonal period in steps (24 for hourly data with a daily cycle). 1 means non-seasonal.
   * Periods above 24 are allowed (R refuses them).
   * @defaultValue `1`
   */
  readonly period?: number;
  /**
   * Error component, or `Z` to choose.
   * @defaultValue `"Z"`
   */
  readonly error?: EtsErrorType | "Z";
  /**
   * Trend component, or `Z` to choose among `N`, `A` and `Ad`.
   * @defaultValue `"Z"`
   */
  readonly trend?: EtsTrendType | "Z";
  /**
   * Seasonal component, or `Z` to choose.
   * @defaultValue `"Z"`
   */
  readonly season?: EtsSeasonType | "Z";
  /**
   * Restricts the automatic search to these specs (further filtered by `error`, `trend` and `season`).
   * Fewer candidates fit faster.
   * @defaultValue every allowed combination (15; additive error with multiplicative season is excluded)
   */
  readonly candidates?: readonly EtsSpec[];
  /**
   * Sample paths simulated for the intervals of models with a multiplicative error or season.
   * @defaultValue `2000`
   */
  readonly simulationPaths?: number;
  /**
   * Seed of the simulation, fixed so that intervals are reproducible.
   * @defaultValue `20080101`
   */
  readonly seed?: number;
}

/** {@link EtsOptions} validated once, with defaults applied. */
export interface ResolvedEtsOptions {
  readonly period: number;
  /** Specs to try, in order; never empty. */
  readonly specs: readonly EtsSpec[];
  /** Whether more than one spec is tried (automatic selection). */
  readonly automatic: boolean;
  readonly simulationPaths: number;
  readonly seed: number;
}

export const DEFAULT_SIMULATION_PATHS = 2000;
export const DEFAULT_SIMULATION_SEED = 20080101;

/** Validates options, throwing a {@link ModelError} that names the field, the value and the rule. */
export function resolveEtsOptions(options: EtsOptions = {}): ResolvedEtsOptions {
  const period = options.period ?? 1;
  if (!Number.isInteger(period) || period < 1) {
    throw invalid(`period (${period}) must be an integer ≥ 1`);
  }
  const error = options.error ?? "Z";
  const trend = options.trend ?? "Z";
  const season = options.season ?? "Z";
  if (error !== "Z" && !ETS_ERROR_TYPES.includes(error)) {
    throw invalid(`error (${error}) must be one of A, M, Z`);
  }
  if (trend !== "Z" && !ETS_TREND_TYPES.includes(trend)) {
    throw invalid(`trend (${trend}) must be one of N, A, Ad, Z`);
  }
  if (season !== "Z" && !ETS_SEASON_TYPES.includes(season)) {
    throw invalid(`season (${season}) must be one of N, A, M, Z`);
  }
  if (period === 1 && (season === "A" || season === "M")) {
    throw invalid(`season (${season}) needs period > 1, got period ${period}`);
  }
  if (error === "A" && season === "M") {
    throw invalid("error (A) with season (M) is not allowed: additive error needs an additive or no season");
  }

  let pool = allEtsSpecs();
  if (options.candidates !== undefined) {
    if (options.candidates.length === 0) throw invalid("candidates must not be empty");
    options.candidates.forEach((spec, index) => {
      if (
        !ETS_ERROR_TYPES.includes(spec.error) ||
        !ETS_TREND_TYPES.includes(spec.trend) ||
        !ETS_SEASON_TYPES.includes(spec.season)
      ) {
        throw invalid(
          `candidates[${index}] (${JSON.stringify(spec)}) must have error A|M, trend N|A|Ad and season N|A|M`,
        );
      }
      const reason = forbiddenReason(spec);
      if (reason !== undefined) throw invalid(`candidates[${index}]: ${reason}`);
    });
    pool = options.candidates.filter(
      (spec, index) => options.candidates?.findIndex((other) => sameSpec(spec, other)) === index,
    );
  }
  const specs = pool.filter(
    (spec) =>
      (error === "Z" || spec.error === error) &&
      (trend === "Z" || spec.trend === trend) &&
      (season === "Z" || spec.season === season),
  );
  if (specs.length === 0) {
    throw invalid(
      `no candidate (${pool.map(etsName).join(", ")}) matches error ${error}, trend ${trend}, season ${season}`,
    );
  }

  const simulationPaths = options.simulationPaths ?? DEFAULT_SIMULATION_PATHS;
  if (!Number.isInteger(simulationPaths) || simulationPaths < 100) {
    throw invalid(`simulationPaths (${simulationPaths}) must be an integer ≥ 100`);
  }
  const seed = options.seed ?? DEFAULT_SIMULATION_SEED;
  if (!Number.isInteger(seed)) throw invalid(`seed (${seed}) must be an integer`);

  return { period, specs, automatic: specs.length > 1, simulationPaths, seed };
}

function invalid(message: string): ModelError {
  return new ModelError(ModelErrorCode.invalidOption, message);
}
