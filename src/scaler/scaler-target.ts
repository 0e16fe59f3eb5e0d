import { parseDurationSeconds } from "../config/duration.js";
import { formatHpaRef, PresageAnnotation, type AnnotatedHpa, type HpaRef } from "./scaler-actuator.js";
import { ScalerError, ScalerErrorCode } from "./scaler-error.js";

/** `shadow` records decisions and touches nothing (the default for a new target); `active` acts. */
export const ScalerMode = { shadow: "shadow", active: "active" } as const;
export type ScalerMode = (typeof ScalerMode)[keyof typeof ScalerMode];

/** Where a target was declared. */
export type ScalerTargetOrigin = "config" | "annotation";

/** One workload the scaler loop manages, as declared (config or annotations); optional fields default. */
export interface ScalerTargetSpec {
  /** Model-registry target name (the training target that forecasts this workload's load). */
  readonly name: string;
  readonly hpa: HpaRef;
  /** The load query (PromQL for Prometheus; a column for CSV; ignored by the synthetic source). */
  readonly loadQuery: string;
  /** Load one pod serves, in the load query's unit. */
  readonly podCapacity: number;
  /** Quantile of the forecast the floor is sized for, 0.5 ≤ q < 1. @defaultValue 0.9 */
  readonly quantile?: number;
  /** Pod start-up time (created → Ready): how far ahead the floor must be in place. @defaultValue 180 000 (3 min) */
  readonly leadMs?: number;
  /** Length of the forecast window after the lead time. @defaultValue 900 000 (15 min) */
  readonly windowMs?: number;
  /** @defaultValue `shadow` */
  readonly mode?: ScalerMode;
  /** Most replicas the floor may rise in one tick. @defaultValue 10 */
  readonly maxStepUp?: number;
  /** Most replicas the floor may fall in one step down. @defaultValue 1 */
  readonly maxStepDown?: number;
  /** How long the forecast must stay below the floor before each step down. @defaultValue 600 000 (10 min) */
  readonly scaleDownCooldownMs?: number;
  /**
   * A forecast whose newest observed data point is older than this is stale. @defaultValue three
   * steps of the target's model, at least 5 minutes (resolved by the loop, which knows the step)
   */
  readonly maxForecastAgeMs?: number;
  /** @defaultValue `config` */
  readonly origin?: ScalerTargetOrigin;
  /** Error-ratio query of the outage guard. @defaultValue none (no outage guard) */
  readonly outageQuery?: string;
  /** Error ratio above which the service counts as failing. @defaultValue 0.05 */
  readonly outageThreshold?: number;
  /**
   * Size floors on quantiles calibrated online from this target's past forecast errors (once a day of
   * them is known; the model's interval until then). `false`: always the model's interval.
   * @defaultValue true
   */
  readonly calibrate?: boolean;
  /** How forecast errors grow with the load (see `FloorCalibrationOptions.noiseExponent`). @defaultValue 0.5 */
  readonly noiseExponent?: number;
}

/** {@link ScalerTargetSpec} checked, with defaults applied (`maxForecastAgeMs` may stay unset). */
export interface ScalerTarget {
  readonly name: string;
  readonly hpa: HpaRef;
  readonly loadQuery: string;
  readonly podCapacity: number;
  readonly quantile: number;
  readonly leadMs: number;
  /**
   * Whether `leadMs` was declared (config or annotation) rather than defaulted: a declared lead is a
   * lower bound for a lead measured from kube-state-metrics, a default one is replaced by it.
   */
  readonly leadDeclared: boolean;
  readonly windowMs: number;
  readonly mode: ScalerMode;
  readonly maxStepUp: number;
  readonly maxStepDown: number;
  readonly scaleDownCooldownMs: number;
  readonly maxForecastAgeMs?: number;
  readonly origin: ScalerTargetOrigin;
  readonly outageQuery?: string;
  readonly outageThreshold: number;
  readonly calibrate: boolean;
  readonly noiseExponent: number;
}

export const SCALER_TARGET_DEFAULTS = {
  quantile: 0.9,
  leadMs: 180_000,
  windowMs: 900_000,
  mode: ScalerMode.shadow,
  maxStepUp: 10,
  maxStepDown: 1,
  scaleDownCooldownMs: 600_000,
  outageThreshold: 0.05,
  calibrate: true,
  noiseExponent: 0.5,
} as const;

const TARGET_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/**
 * Checks a target and applies defaults. Throws `ScalerError` (`invalidTarget`) naming every field
 * that is wrong, with its value and the rule.
 */
export function resolveScalerTarget(spec: ScalerTargetSpec): ScalerTarget {
  const target: ScalerTarget = {
    name: spec.name,
    hpa: { namespace: spec.hpa.namespace, name: spec.hpa.name },
    loadQuery: spec.loadQuery,
    podCapacity: spec.podCapacity,
    quantile: spec.quantile ?? SCALER_TARGET_DEFAULTS.quantile,
    leadMs: spec.leadMs ?? SCALER_TARGET_DEFAULTS.leadMs,
    leadDeclared: spec.leadMs !== undefined,
    windowMs: spec.windowMs ?? SCALER_TARGET_DEFAULTS.windowMs,
    mode: spec.mode ?? SCALER_TARGET_DEFAULTS.mode,
    maxStepUp: spec.maxStepUp ?? SCALER_TARGET_DEFAULTS.maxStepUp,
    maxStepDown: spec.maxStepDown ?? SCALER_TARGET_DEFAULTS.maxStepDown,
    scaleDownCooldownMs: spec.scaleDownCooldownMs ?? SCALER_TARGET_DEFAULTS.scaleDownCooldownMs,
    ...(spec.maxForecastAgeMs === undefined ? {} : { maxForecastAgeMs: spec.maxForecastAgeMs }),
    origin: spec.origin ?? "config",
    ...(spec.outageQuery === undefined ? {} : { outageQuery: spec.outageQuery }),
    outageThreshold: spec.outageThreshold ?? SCALER_TARGET_DEFAULTS.outageThreshold,
    calibrate: spec.calibrate ?? SCALER_TARGET_DEFAULTS.calibrate,
    noiseExponent: spec.noiseExponent ?? SCALER_TARGET_DEFAULTS.noiseExponent,
  };
  const problems: string[] = [];
  const check = (ok: boolean, field: string, value: unknown, rule: string): void => {
    if (!ok) problems.push(`\`${field}\` (${JSON.stringify(value)}) ${rule}`);
  };
  check(
    TARGET_NAME.test(target.name),
    "name",
    target.name,
    "must be 1–63 of a-z, 0-9, '.', '_' or '-', starting alphanumeric",
  );
  check(target.hpa.namespace.length > 0, "hpa.namespace", target.hpa.namespace, "must not be empty");
  check(target.hpa.name.length > 0, "hpa.name", target.hpa.name, "must not be empty");
  check(target.loadQuery.trim().length > 0, "loadQuery", target.loadQuery, "must not be empty");
  check(
    Number.isFinite(target.podCapacity) && target.podCapacity > 0,
    "podCapacity",
    target.podCapacity,
    "must be a number > 0",
  );
  check(target.quantile >= 0.5 && target.quantile < 1, "quantile", target.quantile, "must be ≥ 0.5 and < 1");
  check(
    target.noiseExponent >= 0 && target.noiseExponent <= 1,
    "noiseExponent",
    target.noiseExponent,
    "must be from 0 to 1",
  );
  check(Number.isFinite(target.leadMs) && target.leadMs >= 0, "leadMs", target.leadMs, "must be ≥ 0");
  check(Number.isFinite(target.windowMs) && target.windowMs > 0, "windowMs", target.windowMs, "must be > 0");
  check(Object.values(ScalerMode).includes(target.mode), "mode", target.mode, "must be shadow or active");
  check(
    Number.isSafeInteger(target.maxStepUp) && target.maxStepUp >= 1,
    "maxStepUp",
    target.maxStepUp,
    "must be an integer ≥ 1",
  );
  check(
    Number.isSafeInteger(target.maxStepDown) && target.maxStepDown >= 1,
    "maxStepDown",
    target.maxStepDown,
    "must be an integer ≥ 1",
  );
  check(
    Number.isFinite(target.scaleDownCooldownMs) && target.scaleDownCooldownMs >= 0,
    "scaleDownCooldownMs",
    target.scaleDownCooldownMs,
    "must be ≥ 0",
  );
  check(
    target.outageThreshold > 0 && target.outageThreshold < 1,
    "outageThreshold",
    target.outageThreshold,
    "must be > 0 and < 1",
  );
  if (target.outageQuery !== undefined) {
    check(target.outageQuery.trim().length > 0, "outageQuery", target.outageQuery, "must not be empty");
  }
  if (target.maxForecastAgeMs !== undefined) {
    check(
      Number.isFinite(target.maxForecastAgeMs) && target.maxForecastAgeMs > 0,
      "maxForecastAgeMs",
      target.maxForecastAgeMs,
      "must be > 0",
    );
  }
  if (problems.length > 0) {
    throw new ScalerError(
      ScalerErrorCode.invalidTarget,
      `scaler target ${target.name} (${formatHpaRef(target.hpa)}): ${problems.join("; ")}`,
    );
  }
  return Object.freeze(target);
}

/**
 * Reads a target from an HPA's presage annotations (see {@link PresageAnnotation}). Throws
 * `ScalerError` (`invalidTarget`) naming every annotation that is missing or malformed.
 */
export function parseTargetAnnotations(hpa: AnnotatedHpa): ScalerTarget {
  const annotations = hpa.annotations;
  const where = `HPA ${formatHpaRef(hpa.ref)}`;
  const problems: string[] = [];
  const text = (key: string): string | undefined => annotations[key]?.trim();
  const duration = (key: string): number | undefined => {
    const value = text(key);
    if (value === undefined) return undefined;
    const seconds = parseDurationSeconds(value);
    if (seconds === undefined) {
      problems.push(`annotation ${key} (${JSON.stringify(value)}) must be a duration such as 180s or 3m`);
      return undefined;
    }
    return seconds * 1000;
  };
  const number = (key: string): number | undefined => {
    const value = text(key);
    if (value === undefined) return undefined;
    const parsed = value === "" ? Number.NaN : Number(value);
    if (!Number.isFinite(parsed)) {
      problems.push(`annotation ${key} (${JSON.stringify(value)}) must be a number`);
      return undefined;
    }
    return parsed;
  };

  if (text(PresageAnnotation.enabled) !== "true") {
    problems.push(`annotation ${PresageAnnotation.enabled} must be "true"`);
  }
  const loadQuery = text(PresageAnnotation.loadQuery);
  if (loadQuery === undefined || loadQuery === "") {
    problems.push(`annotation ${PresageAnnotation.loadQuery} is required`);
  }
  const podCapacity = number(PresageAnnotation.podCapacity);
  if (podCapacity === undefined && text(PresageAnnotation.podCapacity) === undefined) {
    problems.push(`annotation ${PresageAnnotation.podCapacity} is required`);
  }
  const quantile = number(PresageAnnotation.quantile);
  const leadMs = duration(PresageAnnotation.lead);
  const windowMs = duration(PresageAnnotation.window);
  const mode = text(PresageAnnotation.mode);
  const outageQuery = text(PresageAnnotation.outageQuery);
  const outageThreshold = number(PresageAnnotation.outageThreshold);
  if (mode !== undefined && mode !== ScalerMode.shadow && mode !== ScalerMode.active) {
    problems.push(`annotation ${PresageAnnotation.mode} (${JSON.stringify(mode)}) must be shadow or active`);
  }
  if (problems.length > 0) {
    throw new ScalerError(ScalerErrorCode.invalidTarget, `${where}: ${problems.join("; ")}`);
  }
  return resolveScalerTarget({
    name: text(PresageAnnotation.target) ?? defaultTargetName(hpa.ref),
    hpa: hpa.ref,
    loadQuery: loadQuery ?? "",
    podCapacity: podCapacity ?? Number.NaN,
    ...(quantile === undefined ? {} : { quantile }),
    ...(leadMs === undefined ? {} : { leadMs }),
    ...(windowMs === undefined ? {} : { windowMs }),
    ...(mode === undefined ? {} : { mode: mode as ScalerMode }),
    ...(outageQuery === undefined ? {} : { outageQuery }),
    ...(outageThreshold === undefined ? {} : { outageThreshold }),
    origin: "annotation",
  });
}

/** The registry target name of an annotated HPA without `presage.io/target`: `<namespace>.<name>`. */
export function defaultTargetName(ref: HpaRef): string {
  return `${ref.namespace}.${ref.name}`;
}

/** Stable key of a target in the loop's state: the HPA it scales. */
export function targetKey(target: ScalerTarget): string {
  return formatHpaRef(target.hpa);
}
