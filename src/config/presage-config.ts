import { readFile } from "node:fs/promises";
import { dirname, resolve as resolvePath } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { isModelName, MODEL_NAMES } from "../../training/model-catalog.js";
import { cronSchema } from "./cron-schema.js";
import { parseDurationSeconds } from "./duration.js";
import { secondsDurationSchema } from "./duration-schema.js";
import { addDuplicateNameIssues } from "./duplicate-name-issues.js";
import { formatIssuePath } from "./format-issue-path.js";
import { apiConfigSchema, resolveApiConfig, type ResolvedApiConfig } from "../api/api-config.js";
import {
  resolveScalerConfig,
  scalerConfigIssues,
  scalerConfigSchema,
  type ResolvedScalerConfig,
} from "./scaler-config.js";
import { capacitySchema, resolveCapacity, type ResolvedCapacityConfig } from "../capacity/capacity-config.js";
import {
  remediationConfigSchema,
  resolveRemediationConfig,
  type ResolvedRemediationConfig,
} from "../remediation/remediation-config.js";
import {
  predictionConfigSchema,
  resolvePredictionConfig,
  type ResolvedPredictionConfig,
} from "../prediction/prediction-config.js";

/** Environment variable naming the config file when `--config` is not given. */
export const CONFIG_ENV = "PRESAGE_CONFIG";

const duration = secondsDurationSchema;

const cron = cronSchema("0 */6 * * *");

const targetSchema = z
  .object({
    name: z
      .string()
      .regex(
        /^[a-z0-9][a-z0-9._-]{0,62}$/,
        "must be 1–63 of a-z, 0-9, '.', '_' or '-', starting alphanumeric",
      ),
    source: z.enum(["prometheus", "csv", "synthetic"]).default("prometheus"),
    query: z.string().min(1, "must not be empty").optional(),
    csv: z
      .object({ path: z.string().min(1), column: z.string().min(1).default("requests") })
      .strict()
      .optional(),
    seed: z.number().int().default(42),
    step: duration.default("5m"),
    history: duration.default("14d"),
    horizons: z.array(duration).min(1, "must list at least one horizon").default(["30m"]),
    seasonality: z.array(duration).default(["1d", "1w"]),
    models: z
      .array(z.string().refine(isModelName, { error: `must be one of ${MODEL_NAMES.join(", ")}` }))
      .min(1)
      .default(["auto"]),
    schedule: cron.default("0 */6 * * *"),
    aggregate: z.enum(["sum", "mean", "max", "min"]).optional(),
  })
  .strict()
  .superRefine((target, context) => {
    if (target.source === "prometheus" && target.query === undefined) {
      context.addIssue({ code: "custom", path: ["query"], message: "is required when source is prometheus" });
    }
    if (target.source === "csv" && target.csv === undefined) {
      context.addIssue({ code: "custom", path: ["csv"], message: "is required when source is csv" });
    }
    const step = parseDurationSeconds(target.step);
    const history = parseDurationSeconds(target.history);
    if (step !== undefined && history !== undefined && history < 10 * step) {
      context.addIssue({
        code: "custom",
        path: ["history"],
        input: target.history,
        message: `must span at least 10 steps (${target.step})`,
      });
    }
    target.horizons.forEach((horizon, index) => {
      const seconds = parseDurationSeconds(horizon);
      if (step !== undefined && seconds !== undefined && seconds < step) {
        context.addIssue({
          code: "custom",
          path: ["horizons", index],
          input: horizon,
          message: `must be at least one step (${target.step})`,
        });
      }
    });
  });

const configSchema = z
  .object({
    prometheus: z
      .object({
        url: z.url({ error: "must be an http(s) URL" }),
        bearerToken: z.string().min(1).optional(),
        bearerTokenFile: z.string().min(1).optional(),
        headers: z.record(z.string(), z.string()).default({}),
        timeoutMs: z.number().int().positive().default(10_000),
      })
      .strict()
      .refine(
        (prometheus) => prometheus.bearerToken === undefined || prometheus.bearerTokenFile === undefined,
        {
          error: "may set bearerToken or bearerTokenFile, not both",
        },
      )
      .optional(),
    redis: z
      .object({ url: z.string().regex(/^rediss?:\/\//, "must start with redis:// or rediss://") })
      .strict()
      .optional(),
    registry: z
      .object({ directory: z.string().min(1).default(".presage/models") })
      .strict()
      .default({ directory: ".presage/models" }),
    training: z
      .object({
        concurrency: z.number().int().min(1).max(64).default(2),
        attempts: z.number().int().min(1).max(20).default(3),
        backoffMs: z.number().int().min(0).default(5000),
      })
      .strict()
      .default({ concurrency: 2, attempts: 3, backoffMs: 5000 }),
    // Required unless a capacity section is the whole point of the file (checked below).
    targets: z.array(targetSchema).default([]),
    scaler: scalerConfigSchema.optional(),
    capacity: capacitySchema.optional(),
    api: apiConfigSchema.optional(),
    remediation: remediationConfigSchema.optional(),
    prediction: predictionConfigSchema.optional(),
  })
  .strict()
  .superRefine((config, context) => {
    if (config.targets.length === 0 && config.capacity === undefined && config.remediation === undefined) {
      context.addIssue({ code: "custom", path: ["targets"], message: "must declare at least one target" });
    }
    if (config.capacity !== undefined && config.prometheus === undefined) {
      context.addIssue({
        code: "custom",
        path: ["capacity"],
        message: "reads usage from Prometheus but no prometheus section is configured",
      });
    }
    if (config.prediction !== undefined) {
      if (config.prometheus === undefined) {
        context.addIssue({
          code: "custom",
          path: ["prediction"],
          message: "reads resources from Prometheus but no prometheus section is configured",
        });
      }
      if (config.remediation === undefined) {
        context.addIssue({
          code: "custom",
          path: ["prediction"],
          message: "acts through runbooks but no remediation section is configured",
        });
      }
    }
    if (config.scaler !== undefined) {
      for (const issue of scalerConfigIssues(config.scaler, config.targets))
        context.addIssue({ code: "custom", ...issue });
    }
    config.targets.forEach((target, index) => {
      if (target.source === "prometheus" && config.prometheus === undefined) {
        context.addIssue({
          code: "custom",
          path: ["targets", index, "source"],
          message: "is prometheus but no prometheus section is configured",
        });
      }
    });
    addDuplicateNameIssues(context, "targets", config.targets);
  });

type ParsedConfig = z.infer<typeof configSchema>;
type ParsedTarget = z.infer<typeof targetSchema>;

/** One forecast target with durations resolved to seconds. */
export interface ResolvedTarget {
  readonly name: string;
  readonly source: ParsedTarget["source"];
  readonly query: string;
  readonly csv?: { readonly path: string; readonly column: string };
  readonly seed: number;
  readonly stepSeconds: number;
  readonly historySeconds: number;
  readonly horizonsSeconds: readonly number[];
  readonly seasonalitySeconds: readonly number[];
  readonly models: readonly string[];
  readonly schedule: string;
  readonly aggregate?: "sum" | "mean" | "max" | "min";
}

/** The whole configuration after validation: defaults applied, durations in seconds, deeply frozen. */
export interface ResolvedConfig {
  readonly prometheus?: {
    readonly url: string;
    readonly bearerToken?: string;
    readonly bearerTokenFile?: string;
    readonly headers: Readonly<Record<string, string>>;
    readonly timeoutMs: number;
  };
  /** Absent means embedded mode: no Redis, jobs run in-process, models are files. */
  readonly redis?: { readonly url: string };
  readonly registry: { readonly directory: string };
  readonly training: { readonly concurrency: number; readonly attempts: number; readonly backoffMs: number };
  readonly targets: readonly ResolvedTarget[];
  /** The in-cluster scaler (`presage scale --kubernetes`); absent when the section is. */
  readonly scaler?: ResolvedScalerConfig;
  /** Capacity planning (`presage capacity`); absent when the section is. */
  readonly capacity?: ResolvedCapacityConfig;
  /** Self-healing (Alertmanager webhook, runbooks, guards); absent when the section is. */
  readonly remediation?: ResolvedRemediationConfig;
  /** The HTTP API (`presage serve`); absent when the section is. */
  readonly api?: ResolvedApiConfig;
  /** The failure predictor (preventive runbooks); absent when the section is. */
  readonly prediction?: ResolvedPredictionConfig;
}

/** One thing wrong with the configuration. */
export interface ConfigProblem {
  /** Dotted path, e.g. `targets[1].step`. */
  readonly field: string;
  /** The offending value as written (JSON), when there is one. */
  readonly value?: string;
  readonly rule: string;
}

/** Every problem found in a configuration, reported at once. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(
    readonly source: string,
    readonly problems: readonly ConfigProblem[],
  ) {
    super(
      `${source}: ${problems.length} problem${problems.length === 1 ? "" : "s"}\n${problems
        .map(
          (problem) =>
            `  - ${problem.field}${problem.value === undefined ? "" : ` (${problem.value})`} ${problem.rule}`,
        )
        .join("\n")}`,
    );
  }
}

/**
 * Reads and validates a YAML config file; throws `ConfigError` listing every problem. Relative CSV
 * paths are taken relative to the config file's folder, so a config and its data can travel together.
 */
export async function loadConfigFile(path: string): Promise<ResolvedConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new ConfigError(path, [
      { field: "(file)", rule: `cannot be read: ${error instanceof Error ? error.message : String(error)}` },
    ]);
  }
  return parseConfigText(text, path, dirname(resolvePath(path)));
}

/** Validates YAML text; `source` names it in error messages; relative CSV paths resolve against `baseDir`. */
export function parseConfigText(text: string, source = "config", baseDir?: string): ResolvedConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new ConfigError(source, [
      { field: "(yaml)", rule: error instanceof Error ? error.message : String(error) },
    ]);
  }
  return resolveConfig(raw, source, baseDir);
}

/** Validates an already parsed object against the schema, once, and freezes the result. */
export function resolveConfig(raw: unknown, source = "config", baseDir?: string): ResolvedConfig {
  const result = configSchema.safeParse(raw, { reportInput: true });
  if (!result.success) {
    throw new ConfigError(
      source,
      result.error.issues.map((issue) => ({
        field: formatIssuePath(issue.path),
        ...(issue.input === undefined || (typeof issue.input === "object" && issue.input !== null)
          ? {}
          : { value: JSON.stringify(issue.input) }),
        rule: issue.message,
      })),
    );
  }
  return deepFreeze(toResolved(result.data, baseDir));
}

function toResolved(config: ParsedConfig, baseDir: string | undefined): ResolvedConfig {
  const seconds = (text: string): number => parseDurationSeconds(text) ?? Number.NaN;
  return {
    ...(config.prometheus === undefined ? {} : { prometheus: config.prometheus }),
    ...(config.redis === undefined ? {} : { redis: config.redis }),
    registry: config.registry,
    training: config.training,
    targets: config.targets.map((target) => ({
      name: target.name,
      source: target.source,
      query: target.query ?? target.csv?.column ?? target.name,
      ...(target.csv === undefined
        ? {}
        : {
            csv: {
              ...target.csv,
              path: baseDir === undefined ? target.csv.path : resolvePath(baseDir, target.csv.path),
            },
          }),
      seed: target.seed,
      stepSeconds: seconds(target.step),
      historySeconds: seconds(target.history),
      horizonsSeconds: target.horizons.map(seconds),
      seasonalitySeconds: target.seasonality.map(seconds),
      models: target.models,
      schedule: target.schedule,
      ...(target.aggregate === undefined ? {} : { aggregate: target.aggregate }),
    })),
    ...(config.scaler === undefined ? {} : { scaler: resolveScalerConfig(config.scaler, config.targets) }),
    ...(config.capacity === undefined
      ? {}
      : {
          capacity: resolveCapacity(config.capacity, (path) =>
            baseDir === undefined ? path : resolvePath(baseDir, path),
          ),
        }),
    ...(config.api === undefined
      ? {}
      : {
          api: resolveApiConfig(config.api, (path) =>
            baseDir === undefined ? path : resolvePath(baseDir, path),
          ),
        }),
    ...(config.remediation === undefined
      ? {}
      : {
          remediation: resolveRemediationConfig(config.remediation, (path) =>
            baseDir === undefined ? path : resolvePath(baseDir, path),
          ),
        }),
    ...(config.prediction === undefined ? {} : { prediction: resolvePredictionConfig(config.prediction) }),
  };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object") {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
