import { SeededRandom } from "../../models/math/seeded-random.js";
import type { EtsSpec } from "../../models/ets/ets-spec.js";

/** A fully specified ETS process to draw from. */
export interface EtsProcess {
  readonly spec: EtsSpec;
  /** Seasonal period (ignored for non-seasonal specs). */
  readonly period?: number;
  readonly alpha: number;
  readonly beta?: number;
  readonly gamma?: number;
  /** Damping; used only for `Ad` trends. */
  readonly phi?: number;
  readonly level: number;
  readonly slope?: number;
  /** Seasonal states for the first `period` observations (additive offsets or multiplicative factors). */
  readonly season?: readonly number[];
  /** Error standard deviation (relative for multiplicative errors). */
  readonly sigma: number;
}

/**
 * Draws `length` observations from an ETS process, written independently of the model code in the
 * textbook error-correction form (Hyndman et al. 2008, Tables 2.2 and 2.3) so that tests compare
 * two implementations.
 */
export function simulateEts(process: EtsProcess, length: number, seed: number): number[] {
  const random = new SeededRandom(seed);
  return runEts(process, length, () => random.normal() * process.sigma).observations;
}

/** Result of {@link runEts}: observations and the states after the last one. */
export interface EtsRun {
  readonly observations: number[];
  readonly level: number;
  readonly slope: number;
  /** Seasonal states, `season[j]` for the observation `j + 1` steps after the last. */
  readonly season: number[];
}

/**
 * Runs the ETS equations with errors from `nextError`, or, when `observed` is given, with the errors
 * those observations imply (filtering).
 */
export function runEts(
  process: EtsProcess,
  length: number,
  nextError: (t: number) => number,
  observed?: readonly number[],
): EtsRun {
  const { spec, alpha } = process;
  const beta = process.beta ?? 0;
  const gamma = process.gamma ?? 0;
  const phi = spec.trend === "Ad" ? (process.phi ?? 1) : 1;
  const trended = spec.trend !== "N";
  const seasonal = spec.season !== "N";
  const m = seasonal ? (process.period ?? 1) : 1;
  const season = seasonal ? [...(process.season ?? [])] : [];
  let level = process.level;
  let slope = trended ? (process.slope ?? 0) : 0;
  const observations: number[] = [];
  for (let t = 0; t < length; t++) {
    const phase = t % m;
    const damped = phi * slope;
    const base = level + damped;
    const s = seasonal ? season[phase]! : 0;
    const mean = spec.season === "M" ? base * s : base + s;
    let y: number;
    let error: number;
    if (observed !== undefined) {
      y = observed[t]!;
      error = spec.error === "M" ? (y - mean) / mean : y - mean;
    } else {
      error = nextError(t);
      y = spec.error === "M" ? mean * (1 + error) : mean + error;
    }
    observations.push(y);
    // Error-correction form: the additive error e_t equals μ_t·ε_t for multiplicative errors.
    const e = spec.error === "M" ? mean * error : error;
    if (spec.season === "M") {
      level = base + (alpha * e) / s;
      slope = damped + (beta * e) / s;
      season[phase] = s + (gamma * e) / base;
    } else {
      level = base + alpha * e;
      slope = damped + beta * e;
      if (seasonal) season[phase] = s + gamma * e;
    }
  }
  const rotated = seasonal ? season.map((_, j) => season[(length + j) % m]!) : [];
  return { observations, level, slope, season: rotated };
}

/** Gaussian white noise with standard deviation `sd`. */
export function gaussianNoise(length: number, sd: number, seed: number): number[] {
  const random = new SeededRandom(seed);
  return Array.from({ length }, () => sd * random.normal());
}
