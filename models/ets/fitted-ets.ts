import { assertHorizon, ModelError, ModelErrorCode } from "../errors.js";
import { DEFAULT_LEVELS, type Forecast, type PredictionInterval, type PredictOptions } from "../forecast.js";
import type { FittedModel, ModelState } from "../forecaster.js";
import { normalIntervals, simulatedIntervals } from "../math/intervals.js";
import { SeededRandom } from "../math/seeded-random.js";
import {
  etsFilter,
  etsKernel,
  etsLinearVariances,
  etsPointForecast,
  etsSimulatePaths,
  type EtsKernel,
  type EtsParameters,
  type EtsStateVector,
} from "./ets-recursion.js";
import { ETS_ERROR_TYPES, ETS_SEASON_TYPES, ETS_TREND_TYPES, type EtsSpec } from "./ets-spec.js";

/**
 * How the fitted model forecasts: `ets` runs the state recursion; `mean` is the fallback for series
 * too short for ETS (a flat forecast at the running mean).
 */
export type EtsMethod = "ets" | "mean";

/** JSON-safe state of a fitted ETS model; {@link restoreEts} rebuilds it. */
export interface EtsState extends ModelState {
  readonly kind: "ets";
  readonly version: 1;
  readonly method: EtsMethod;
  /** e.g. `ETS(M,Ad,N)`, or `mean` for the fallback. */
  readonly name: string;
  readonly spec: EtsSpec;
  /** Seasonal period of the spec (1 when non-seasonal). */
  readonly period: number;
  readonly parameters: EtsParameters;
  /** States before the first training observation. */
  readonly initial: EtsStateVector;
  /** States after the last observation seen (training or update). */
  readonly current: EtsStateVector;
  /** One-step error variance (relative errors for multiplicative error). */
  readonly sigma2: number;
  /** Observations seen: training plus updates. */
  readonly observations: number;
  /** Log-likelihood up to R's constant; `null` when not estimated. */
  readonly logLikelihood: number | null;
  /** AICc; `null` when undefined (too few observations or not estimated). */
  readonly aicc: number | null;
  /** Missing values met by `update`, replaced by their one-step forecasts. */
  readonly missingInUpdates: number;
  readonly simulationPaths: number;
  readonly seed: number;
  /** Notes made while fitting. */
  readonly notes: readonly string[];
}

/** An ETS model fitted to one series. Immutable: `update` returns a new instance. */
export class FittedEts implements FittedModel {
  readonly name: string;
  readonly notes: readonly string[];
  private readonly kernel: EtsKernel;

  constructor(private readonly state: EtsState) {
    this.name = state.name;
    this.kernel = etsKernel(state.spec, state.period);
    this.notes =
      state.missingInUpdates > 0
        ? [
            ...state.notes,
            `update replaced ${state.missingInUpdates} missing values by their one-step forecasts`,
          ]
        : state.notes;
  }

  get spec(): EtsSpec {
    return this.state.spec;
  }

  get parameters(): EtsParameters {
    return this.state.parameters;
  }

  get initialStates(): EtsStateVector {
    return this.state.initial;
  }

  get currentStates(): EtsStateVector {
    return this.state.current;
  }

  get sigma2(): number {
    return this.state.sigma2;
  }

  /** AICc of the fit (`Infinity` when undefined), for comparing ETS fits of one series. */
  get aicc(): number {
    return this.state.aicc ?? Number.POSITIVE_INFINITY;
  }

  get method(): EtsMethod {
    return this.state.method;
  }

  /** Whether intervals come from analytic variances (additive error, no multiplicative season). */
  get hasAnalyticIntervals(): boolean {
    return !this.kernel.multiplicativeError && this.kernel.seasonKind !== 2;
  }

  predict(horizonSteps: number, options: PredictOptions = {}): Forecast {
    assertHorizon(horizonSteps);
    const levels = options.levels ?? DEFAULT_LEVELS;
    for (const level of levels) {
      if (!(level > 0 && level < 100)) {
        throw new ModelError(ModelErrorCode.invalidOption, `levels (${level}) must each be in (0, 100)`);
      }
    }
    const mean = etsPointForecast(this.kernel, this.state.parameters, this.state.current, horizonSteps);
    return { model: this.name, mean, intervals: this.intervals(mean, levels), notes: this.notes };
  }

  update(newValues: readonly number[]): FittedEts {
    if (newValues.length === 0) return this;
    if (this.state.method === "mean") return this.updateMean(newValues);
    const filtered = etsFilter(newValues, this.kernel, this.state.parameters, this.state.current);
    return new FittedEts({
      ...this.state,
      current: filtered.final,
      observations: this.state.observations + newValues.length - filtered.missing,
      missingInUpdates: this.state.missingInUpdates + filtered.missing,
    });
  }

  toJSON(): EtsState {
    return this.state;
  }

  private intervals(mean: readonly number[], levels: readonly number[]): PredictionInterval[] {
    const { parameters, current, sigma2 } = this.state;
    const horizonSteps = mean.length;
    if (this.state.method === "mean") {
      return normalIntervals(mean, new Array<number>(horizonSteps).fill(Math.sqrt(sigma2)), levels);
    }
    if (this.hasAnalyticIntervals) {
      const variances = etsLinearVariances(this.kernel, parameters, sigma2, horizonSteps);
      return normalIntervals(mean, variances.map(Math.sqrt), levels);
    }
    const paths = etsSimulatePaths(
      this.kernel,
      parameters,
      current,
      sigma2,
      horizonSteps,
      this.state.simulationPaths,
      new SeededRandom(this.state.seed),
    );
    return simulatedIntervals(paths, horizonSteps, levels);
  }

  private updateMean(newValues: readonly number[]): FittedEts {
    let sum = this.state.current.level * this.state.observations;
    let count = this.state.observations;
    let missing = 0;
    for (const value of newValues) {
      if (Number.isFinite(value)) {
        sum += value;
        count++;
      } else {
        missing++;
      }
    }
    return new FittedEts({
      ...this.state,
      current: { ...this.state.current, level: count > 0 ? sum / count : this.state.current.level },
      observations: count,
      missingInUpdates: this.state.missingInUpdates + missing,
    });
  }
}

/** Rebuilds a fitted ETS model from {@link FittedEts.toJSON} output, checking its shape. */
export function restoreEts(state: ModelState): FittedEts {
  const candidate = state as Partial<Record<keyof EtsState, unknown>>;
  const problem = describeStateProblem(candidate);
  if (problem !== undefined) {
    throw new ModelError(ModelErrorCode.invalidState, `not an ets state: ${problem}`);
  }
  const valid = state as EtsState;
  return new FittedEts({ ...valid, notes: Array.isArray(valid.notes) ? valid.notes : [] });
}

function describeStateProblem(state: Partial<Record<keyof EtsState, unknown>>): string | undefined {
  if (state.kind !== "ets") return `kind (${String(state.kind)}) must be "ets"`;
  if (state.version !== 1) return `version (${String(state.version)}) must be 1`;
  if (state.method !== "ets" && state.method !== "mean") {
    return `method (${String(state.method)}) must be "ets" or "mean"`;
  }
  if (typeof state.name !== "string") return "name must be a string";
  const spec = state.spec as Partial<EtsSpec> | undefined;
  if (
    spec === undefined ||
    !ETS_ERROR_TYPES.includes(spec.error as EtsSpec["error"]) ||
    !ETS_TREND_TYPES.includes(spec.trend as EtsSpec["trend"]) ||
    !ETS_SEASON_TYPES.includes(spec.season as EtsSpec["season"])
  ) {
    return `spec (${JSON.stringify(spec)}) must have error A|M, trend N|A|Ad and season N|A|M`;
  }
  const period = state.period;
  if (typeof period !== "number" || !Number.isInteger(period) || period < 1) {
    return `period (${String(period)}) must be an integer ≥ 1`;
  }
  const parameters = state.parameters as Partial<EtsParameters> | undefined;
  for (const key of ["alpha", "beta", "gamma", "phi"] as const) {
    if (!Number.isFinite(parameters?.[key])) return `parameters.${key} must be a finite number`;
  }
  const seasonLength = spec.season === "N" ? 0 : period;
  for (const key of ["initial", "current"] as const) {
    const vector = state[key] as Partial<EtsStateVector> | undefined;
    if (!Number.isFinite(vector?.level) || !Number.isFinite(vector?.slope)) {
      return `${key}.level and ${key}.slope must be finite numbers`;
    }
    if (!Array.isArray(vector?.season) || vector.season.length !== seasonLength) {
      return `${key}.season must be an array of length ${seasonLength}`;
    }
    if (!vector.season.every((value) => Number.isFinite(value))) {
      return `${key}.season must hold finite numbers`;
    }
  }
  const sigma2 = state.sigma2;
  if (typeof sigma2 !== "number" || !(sigma2 >= 0) || !Number.isFinite(sigma2)) {
    return `sigma2 (${String(sigma2)}) must be a finite number ≥ 0`;
  }
  for (const key of ["observations", "missingInUpdates", "simulationPaths", "seed"] as const) {
    if (typeof state[key] !== "number" || !Number.isInteger(state[key])) {
      return `${key} (${String(state[key])}) must be an integer`;
    }
  }
  return undefined;
}
