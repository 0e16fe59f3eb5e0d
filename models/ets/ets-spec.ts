/** Error component: additive (`A`) or multiplicative (`M`). */
export type EtsErrorType = "A" | "M";
/** Trend component: none (`N`), additive (`A`) or additive damped (`Ad`). Multiplicative trends are not offered. */
export type EtsTrendType = "N" | "A" | "Ad";
/** Seasonal component: none (`N`), additive (`A`) or multiplicative (`M`). */
export type EtsSeasonType = "N" | "A" | "M";

/** One concrete member of the ETS family, e.g. `{ error: "M", trend: "Ad", season: "N" }` for ETS(M,Ad,N). */
export interface EtsSpec {
  readonly error: EtsErrorType;
  readonly trend: EtsTrendType;
  readonly season: EtsSeasonType;
}

export const ETS_ERROR_TYPES: readonly EtsErrorType[] = ["A", "M"];
export const ETS_TREND_TYPES: readonly EtsTrendType[] = ["N", "A", "Ad"];
export const ETS_SEASON_TYPES: readonly EtsSeasonType[] = ["N", "A", "M"];

/** The conventional name, e.g. `ETS(M,Ad,N)`. */
export function etsName(spec: EtsSpec): string {
  return `ETS(${spec.error},${spec.trend},${spec.season})`;
}

/**
 * Why a combination is excluded whatever the data (R's `restrict = TRUE`): additive errors with a
 * multiplicative season give infinite-variance forecasts. Returns `undefined` for allowed combinations.
 */
export function forbiddenReason(spec: EtsSpec): string | undefined {
  if (spec.error === "A" && spec.season === "M") {
    return `${etsName(spec)} is excluded: additive error with multiplicative season is numerically unstable`;
  }
  return undefined;
}

/** Every allowed spec, in the order models are tried (R's order: error, trend, season). */
export function allEtsSpecs(): EtsSpec[] {
  const specs: EtsSpec[] = [];
  for (const error of ETS_ERROR_TYPES) {
    for (const trend of ETS_TREND_TYPES) {
      for (const season of ETS_SEASON_TYPES) {
        const spec = { error, trend, season };
        if (forbiddenReason(spec) === undefined) specs.push(spec);
      }
    }
  }
  return specs;
}

export function sameSpec(a: EtsSpec, b: EtsSpec): boolean {
  return a.error === b.error && a.trend === b.trend && a.season === b.season;
}

/**
 * Count of estimated quantities as R's `ets` counts them for information criteria: smoothing
 * parameters, damping, initial level and trend, `period − 1` free initial seasonal states, and sigma.
 */
export function etsParameterCount(spec: EtsSpec, period: number): number {
  let count = 1 + 1 + 1; // alpha, initial level, sigma
  if (spec.trend !== "N") count += 2; // beta, initial slope
  if (spec.trend === "Ad") count += 1; // phi
  if (spec.season !== "N") count += 1 + (period - 1); // gamma, initial seasonal states
  return count;
}
