import { z } from "zod";
import { parseDurationSeconds } from "./duration.js";
import { secondsDurationSchema } from "./duration-schema.js";

/**
 * The `scaler:` section of the YAML config (validated by presage-config.ts together with the rest):
 * how the in-cluster scaler loop runs and which HPAs it manages besides annotated ones. Durations are
 * strings (`3m`); target fields left out take the scaler's own defaults (scaler-target.ts).
 */

const duration = secondsDurationSchema;

/** A Kubernetes namespace: a DNS-1123 label. */
const namespaceName = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "must be a DNS-1123 label (a-z, 0-9, '-', ≤ 63)");
/** A Kubernetes object name: a DNS-1123 subdomain. */
const objectName = z
  .string()
  .max(253, "must be at most 253 characters")
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "must be a DNS-1123 subdomain (a-z, 0-9, '-', '.')");

const scalerTargetSchema = z
  .object({
    /** The training target (model-registry name) whose model forecasts this workload's load. */
    name: z.string().min(1, "must not be empty"),
    hpa: z.object({ namespace: namespaceName, name: objectName }).strict(),
    /** Defaults to the training target's `query` when that target reads Prometheus. */
    loadQuery: z.string().trim().min(1, "must not be empty").optional(),
    podCapacity: z.number().positive("must be > 0"),
    quantile: z.number().min(0.5, "must be ≥ 0.5").lt(1, "must be < 1").optional(),
    lead: duration.optional(),
    window: duration.optional(),
    mode: z.enum(["shadow", "active"]).optional(),
    maxStepUp: z.number().int().min(1).optional(),
    maxStepDown: z.number().int().min(1).optional(),
    scaleDownCooldown: duration.optional(),
    maxForecastAge: duration.optional(),
    outageQuery: z.string().trim().min(1, "must not be empty").optional(),
    outageThreshold: z.number().gt(0, "must be > 0").lt(1, "must be < 1").optional(),
    /** Size floors on quantiles calibrated from past forecast errors (default true). */
    calibrate: z.boolean().optional(),
    /** How forecast errors grow with the load: 0 additive, 0.5 counts (default), 1 proportional. */
    noiseExponent: z.number().min(0, "must be ≥ 0").max(1, "must be ≤ 1").optional(),
  })
  .strict();

/** Schema of the `scaler:` section. */
export const scalerConfigSchema = z
  .object({
    tick: duration.default("60s"),
    lease: z
      .object({ namespace: namespaceName.optional(), name: objectName.default("presage-scaler") })
      .strict()
      .default({ name: "presage-scaler" }),
    discovery: z.boolean().default(true),
    startupLead: z
      .object({
        enabled: z.boolean().default(true),
        quantile: z.number().min(0.5, "must be ≥ 0.5").lt(1, "must be < 1").default(0.9),
        lookback: duration.default("1d"),
        refresh: duration.default("5m"),
        minPods: z.number().int().min(1).default(3),
        maxStartup: duration.default("30m"),
      })
      .strict()
      .default({
        enabled: true,
        quantile: 0.9,
        lookback: "1d",
        refresh: "5m",
        minPods: 3,
        maxStartup: "30m",
      }),
    targets: z.array(scalerTargetSchema).default([]),
  })
  .strict();

type ParsedScalerConfig = z.infer<typeof scalerConfigSchema>;

/** One HPA the scaler manages from config; unset fields take the scaler's defaults. */
export interface ResolvedScalerTargetConfig {
  readonly name: string;
  readonly hpa: { readonly namespace: string; readonly name: string };
  readonly loadQuery: string;
  readonly podCapacity: number;
  readonly quantile?: number;
  readonly leadMs?: number;
  readonly windowMs?: number;
  readonly mode?: "shadow" | "active";
  readonly maxStepUp?: number;
  readonly maxStepDown?: number;
  readonly scaleDownCooldownMs?: number;
  readonly maxForecastAgeMs?: number;
  readonly outageQuery?: string;
  readonly outageThreshold?: number;
}

/** How lead time is measured from kube-state-metrics (see src/scaler/startup/). */
export interface ResolvedStartupLeadConfig {
  readonly enabled: boolean;
  /** Quantile of per-pod start-up times used as the lead. */
  readonly quantile: number;
  /** Pods created this far back are sampled. */
  readonly lookbackMs: number;
  /** How often the measurement is refreshed. */
  readonly refreshMs: number;
  /** Fewer sampled pods than this: no measurement (the configured lead is used). */
  readonly minPods: number;
  /** Longer created → Ready spans are not start-ups (a pod that went unready later) and are dropped. */
  readonly maxStartupMs: number;
}

/** The `scaler:` section after validation, durations in ms. */
export interface ResolvedScalerConfig {
  readonly tickMs: number;
  /** Namespace unset: `--lease-namespace`, else `POD_NAMESPACE`, else `presage`. */
  readonly lease: { readonly namespace?: string; readonly name: string };
  /** Also manage HPAs annotated `presage.io/enabled: "true"`. */
  readonly discovery: boolean;
  readonly startupLead: ResolvedStartupLeadConfig;
  readonly targets: readonly ResolvedScalerTargetConfig[];
}

/** What the scaler checks need to know of one training target. */
export interface TrainingTargetRef {
  readonly name: string;
  readonly source: string;
  readonly query?: string | undefined;
}

/** One cross-field problem of the scaler section: path relative to the config root. */
export interface ScalerConfigIssue {
  readonly path: (string | number)[];
  readonly input?: unknown;
  readonly message: string;
}

/**
 * Checks that need the rest of the config: every scaler target names a declared training target,
 * has a load query (its own, or its Prometheus training target's), and no HPA is listed twice.
 */
export function scalerConfigIssues(
  scaler: ParsedScalerConfig,
  trainingTargets: readonly TrainingTargetRef[],
): ScalerConfigIssue[] {
  const issues: ScalerConfigIssue[] = [];
  const byName = new Map(trainingTargets.map((target) => [target.name, target]));
  const seenHpas = new Set<string>();
  scaler.targets.forEach((target, index) => {
    const path = ["scaler", "targets", index];
    const training = byName.get(target.name);
    if (training === undefined) {
      issues.push({
        path: [...path, "name"],
        input: target.name,
        message: "must name a target declared under targets (the model that forecasts this HPA's load)",
      });
    }
    if (target.loadQuery === undefined && (training === undefined || training.source !== "prometheus")) {
      issues.push({
        path: [...path, "loadQuery"],
        message: "is required unless the training target it names reads Prometheus (its query is used)",
      });
    }
    const hpa = `${target.hpa.namespace}/${target.hpa.name}`;
    if (seenHpas.has(hpa)) {
      issues.push({ path: [...path, "hpa"], message: `duplicates HPA ${hpa}` });
    }
    seenHpas.add(hpa);
  });
  return issues;
}

/** The validated section with durations in ms; training targets supply default load queries. */
export function resolveScalerConfig(
  scaler: ParsedScalerConfig,
  trainingTargets: readonly TrainingTargetRef[],
): ResolvedScalerConfig {
  const ms = (text: string): number => (parseDurationSeconds(text) ?? Number.NaN) * 1000;
  const optionalMs = <K extends string>(key: K, text: string | undefined): Partial<Record<K, number>> =>
    text === undefined ? {} : ({ [key]: ms(text) } as Record<K, number>);
  const queries = new Map(
    trainingTargets.filter((target) => target.source === "prometheus").map((t) => [t.name, t.query]),
  );
  return {
    tickMs: ms(scaler.tick),
    lease: {
      ...(scaler.lease.namespace === undefined ? {} : { namespace: scaler.lease.namespace }),
      name: scaler.lease.name,
    },
    discovery: scaler.discovery,
    startupLead: {
      enabled: scaler.startupLead.enabled,
      quantile: scaler.startupLead.quantile,
      lookbackMs: ms(scaler.startupLead.lookback),
      refreshMs: ms(scaler.startupLead.refresh),
      minPods: scaler.startupLead.minPods,
      maxStartupMs: ms(scaler.startupLead.maxStartup),
    },
    targets: scaler.targets.map((target) => ({
      name: target.name,
      hpa: { namespace: target.hpa.namespace, name: target.hpa.name },
      loadQuery: target.loadQuery ?? queries.get(target.name) ?? "",
      podCapacity: target.podCapacity,
      ...(target.quantile === undefined ? {} : { quantile: target.quantile }),
      ...optionalMs("leadMs", target.lead),
      ...optionalMs("windowMs", target.window),
      ...(target.mode === undefined ? {} : { mode: target.mode }),
      ...(target.maxStepUp === undefined ? {} : { maxStepUp: target.maxStepUp }),
      ...(target.maxStepDown === undefined ? {} : { maxStepDown: target.maxStepDown }),
      ...optionalMs("scaleDownCooldownMs", target.scaleDownCooldown),
      ...optionalMs("maxForecastAgeMs", target.maxForecastAge),
      ...(target.outageQuery === undefined ? {} : { outageQuery: target.outageQuery }),
      ...(target.outageThreshold === undefined ? {} : { outageThreshold: target.outageThreshold }),
      ...(target.calibrate === undefined ? {} : { calibrate: target.calibrate }),
      ...(target.noiseExponent === undefined ? {} : { noiseExponent: target.noiseExponent }),
    })),
  };
}
