import { cleanValues } from "../cleaning/clean-values.js";
import { ModelError, ModelErrorCode } from "../errors.js";
import { resolveEtsOptions, type EtsOptions, type ResolvedEtsOptions } from "./ets-options.js";
import { etsName, sameSpec, type EtsSpec } from "./ets-spec.js";
import { fitEtsModel, type EtsModelFit } from "./fit-ets-model.js";
import { FittedEts, type EtsState } from "./fitted-ets.js";

/** Seasonal specs need two whole seasons plus this many observations. */
export const SEASONAL_EXTRA_OBSERVATIONS = 4;
/** Fewest observations for which an ETS(A,N,N) is still estimated; shorter series get the mean. */
export const MIN_ETS_OBSERVATIONS = 3;
/** α of the model fitted to a constant series (R fits SES with α = 0.99999 there). */
const CONSTANT_SERIES_ALPHA = 0.9999;

const SIMPLEST: EtsSpec = { error: "A", trend: "N", season: "N" };

/**
 * Fits the ETS family to `values` (missing values repaired first). With several candidate specs the
 * one with the smallest AICc wins, as R's `ets`. Never fails on data that has at least one finite
 * value: inadmissible specs are simplified, short series get ETS(A,N,N) or the mean, and constant
 * series a flat forecast; every such step is recorded in `notes`.
 * @throws ModelError `invalidOption` for bad options, `insufficientData` when no value is finite.
 */
export function fitEts(values: readonly number[], options: EtsOptions = {}): FittedEts {
  return fitEtsResolved(values, resolveEtsOptions(options));
}

/** {@link fitEts} with options already resolved (lets a forecaster validate once). */
export function fitEtsResolved(values: readonly number[], options: ResolvedEtsOptions): FittedEts {
  const cleaned = cleanValues(values);
  const y = Float64Array.from(cleaned.values);
  const n = y.length;
  if (n === 0) throw new ModelError(ModelErrorCode.insufficientData, "series has no observations");
  const notes = [...cleaned.notes];

  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let sum = 0;
  for (const value of y) {
    min = Math.min(min, value);
    max = Math.max(max, value);
    sum += value;
  }
  const meanValue = sum / n;
  if (n < MIN_ETS_OBSERVATIONS) {
    notes.push(`series has ${n} observations, fewer than ${MIN_ETS_OBSERVATIONS}: forecasting the mean`);
    return meanModel(y, meanValue, notes, options);
  }
  if (max - min <= 1e-12 * Math.max(1, Math.abs(max))) {
    notes.push(
      `series is constant (${max}): fitted ETS(A,N,N) with α ${CONSTANT_SERIES_ALPHA} and zero variance`,
    );
    return constantModel(max, n, notes, options);
  }

  const positive = min > 0;
  const data = { n, period: options.period, positive };
  const admissible: EtsSpec[] = [];
  const skipped = new Map<string, number>();
  for (const spec of options.specs) {
    const reason = inadmissibleReason(spec, data);
    if (reason === undefined) admissible.push(spec);
    else skipped.set(reason, (skipped.get(reason) ?? 0) + 1);
  }
  if (admissible.length === 0) {
    const simplified: EtsSpec[] = [];
    for (const spec of options.specs) {
      const simpler = simplify(spec, data);
      if (simpler !== undefined && !simplified.some((other) => sameSpec(other, simpler))) {
        simplified.push(simpler);
      }
    }
    const requested = options.specs.map(etsName).join(", ");
    const reasons = [...skipped.keys()].join("; ");
    if (simplified.length > 0) {
      notes.push(
        `requested ${requested} not admissible (${reasons}): tried ${simplified.map(etsName).join(", ")}`,
      );
      admissible.push(...simplified);
    } else {
      notes.push(`requested ${requested} not admissible (${reasons}): fell back to ETS(A,N,N)`);
      admissible.push(SIMPLEST);
    }
  } else if (skipped.size > 0) {
    for (const [reason, count] of skipped) notes.push(`skipped ${count} candidate(s): ${reason}`);
  }

  let best: EtsModelFit | undefined;
  const failed: string[] = [];
  for (const spec of admissible) {
    const fit = fitEtsModel(y, spec, options.period);
    if (fit === undefined) {
      failed.push(etsName(spec));
      continue;
    }
    if (best === undefined || isBetter(fit, best)) best = fit;
  }
  if (failed.length > 0) notes.push(`fit failed (no finite likelihood) for ${failed.join(", ")}`);
  if (best === undefined && !admissible.some((spec) => sameSpec(spec, SIMPLEST))) {
    best = fitEtsModel(y, SIMPLEST, options.period);
    if (best !== undefined) notes.push("fell back to ETS(A,N,N)");
  }
  if (best === undefined) {
    notes.push("no ETS model could be estimated: forecasting the mean");
    return meanModel(y, meanValue, notes, options);
  }
  if (admissible.length > 1) {
    notes.push(
      `selected ${etsName(best.spec)} by AICc (${best.aicc.toFixed(1)}) among ${admissible.length} candidates`,
    );
  }
  return new FittedEts(stateOf(best, n, notes, options));
}

/** What admissibility depends on. */
export interface EtsDataFacts {
  readonly n: number;
  readonly period: number;
  readonly positive: boolean;
}

/** Why `spec` cannot be fitted to this data, or `undefined` when it can. */
export function inadmissibleReason(spec: EtsSpec, data: EtsDataFacts): string | undefined {
  if ((spec.error === "M" || spec.season === "M") && !data.positive) {
    return "multiplicative components need strictly positive data";
  }
  if (spec.season !== "N") {
    if (data.period === 1) return "seasonal components need period > 1";
    const needed = 2 * data.period + SEASONAL_EXTRA_OBSERVATIONS;
    if (data.n < needed) {
      return `seasonal components need ${needed} observations (two seasons of ${data.period} + ${SEASONAL_EXTRA_OBSERVATIONS}), got ${data.n}`;
    }
  }
  // R's rule: more than (states + smoothing parameters + 4) observations.
  let count = 2;
  if (spec.trend !== "N") count += 2;
  if (spec.trend === "Ad") count += 1;
  if (spec.season !== "N") count += data.period;
  if (data.n <= count + 4) {
    return `${etsName(spec)} needs at least ${count + 5} observations, got ${data.n}`;
  }
  return undefined;
}

/** Nearest admissible simpler spec: additive instead of multiplicative, then drop season, damping, trend. */
function simplify(spec: EtsSpec, data: EtsDataFacts): EtsSpec | undefined {
  let current: EtsSpec = spec;
  if (!data.positive) {
    current = { error: "A", trend: current.trend, season: current.season === "M" ? "A" : current.season };
  }
  const steps: ((s: EtsSpec) => EtsSpec)[] = [
    (s) => ({ ...s, season: "N" }),
    (s) => ({ ...s, trend: s.trend === "Ad" ? "A" : s.trend }),
    (s) => ({ ...s, trend: "N" }),
  ];
  for (const step of steps) {
    if (inadmissibleReason(current, data) === undefined) return current;
    current = step(current);
  }
  return inadmissibleReason(current, data) === undefined ? current : undefined;
}

function isBetter(fit: EtsModelFit, best: EtsModelFit): boolean {
  if (fit.aicc !== best.aicc) return fit.aicc < best.aicc;
  // Equal (e.g. both infinite on very short series): the higher likelihood, then the simpler model.
  if (fit.logLikelihood !== best.logLikelihood) return fit.logLikelihood > best.logLikelihood;
  return fit.parameterCount < best.parameterCount;
}

function stateOf(fit: EtsModelFit, n: number, notes: string[], options: ResolvedEtsOptions): EtsState {
  return {
    kind: "ets",
    version: 1,
    method: "ets",
    name: etsName(fit.spec),
    spec: fit.spec,
    period: fit.period,
    parameters: fit.parameters,
    initial: fit.initial,
    current: fit.final,
    sigma2: fit.sigma2,
    observations: n,
    logLikelihood: Number.isFinite(fit.logLikelihood) ? fit.logLikelihood : null,
    aicc: Number.isFinite(fit.aicc) ? fit.aicc : null,
    missingInUpdates: 0,
    simulationPaths: options.simulationPaths,
    seed: options.seed,
    notes,
  };
}

function meanModel(y: Float64Array, mean: number, notes: string[], options: ResolvedEtsOptions): FittedEts {
  let sumSquares = 0;
  for (const value of y) sumSquares += (value - mean) ** 2;
  const sigma2 = y.length > 1 ? sumSquares / (y.length - 1) : 0;
  if (y.length === 1) notes.push("one observation: intervals have zero width");
  const states = { level: mean, slope: 0, season: [] };
  return new FittedEts({
    kind: "ets",
    version: 1,
    method: "mean",
    name: "mean",
    spec: SIMPLEST,
    period: 1,
    parameters: { alpha: 0, beta: 0, gamma: 0, phi: 1 },
    initial: states,
    current: states,
    sigma2,
    observations: y.length,
    logLikelihood: null,
    aicc: null,
    missingInUpdates: 0,
    simulationPaths: options.simulationPaths,
    seed: options.seed,
    notes,
  });
}

function constantModel(value: number, n: number, notes: string[], options: ResolvedEtsOptions): FittedEts {
  const states = { level: value, slope: 0, season: [] };
  return new FittedEts({
    kind: "ets",
    version: 1,
    method: "ets",
    name: etsName(SIMPLEST),
    spec: SIMPLEST,
    period: 1,
    parameters: { alpha: CONSTANT_SERIES_ALPHA, beta: 0, gamma: 0, phi: 1 },
    initial: states,
    current: states,
    sigma2: 0,
    observations: n,
    logLikelihood: null,
    aicc: null,
    missingInUpdates: 0,
    simulationPaths: options.simulationPaths,
    seed: options.seed,
    notes,
  });
}
