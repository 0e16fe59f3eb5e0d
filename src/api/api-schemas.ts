import { z } from "zod";
import { parseDurationSeconds } from "../config/duration.js";
import { TARGET_NAME_PATTERN } from "../storage/target-name.js";

/**
 * Request and response schemas of the API (zod 4). Requests are validated with them; responses are
 * documented with them (OpenAPI at `/docs`) and typed by them, and serialized with `JSON.stringify`
 * (numbers that are not finite, e.g. a MASE that could not be computed, become `null`).
 */

/** Longest forecast a request may ask for, in steps (a week of 5-minute steps). */
export const MAX_HORIZON_STEPS = 2016;
/** Longest history a request may ask for. */
export const MAX_HISTORY_SECONDS = 35 * 86_400;
/** Most decisions one request returns. */
export const MAX_DECISIONS = 5000;

const metricNumber = z.number().nullable().describe("null when it could not be computed");

// ---- path parameters ----

export const targetParamsSchema = z.object({
  name: z
    .string()
    .regex(TARGET_NAME_PATTERN, "must be 1–63 of a-z, 0-9, '.', '_' or '-', starting alphanumeric"),
});

export const versionParamsSchema = targetParamsSchema.extend({
  version: z.coerce.number().int("must be an integer").min(1, "must be ≥ 1"),
});

// ---- query strings ----

/**
 * A duration text (`30m`, `2h`, `1d`) parsed once into seconds: the forecast route is the hot path,
 * and parsing the text in each of two refinements and again in the handler cost a measurable share of
 * a cached request.
 */
const durationSeconds = (maxSeconds: number, example: string) =>
  z.string().transform((text, context) => {
    const seconds = parseDurationSeconds(text);
    if (seconds === undefined || seconds > maxSeconds) {
      context.addIssue({
        code: "custom",
        input: text,
        message:
          seconds === undefined
            ? `must be a duration such as ${example}`
            : `must be at most ${maxSeconds / 86_400} days`,
      });
      return z.NEVER;
    }
    return seconds;
  });

export const forecastQuerySchema = z
  .object({
    horizon: durationSeconds(7 * 86_400, "30m or 2h")
      .optional()
      .describe("How far ahead, as a duration (30m, 2h, 1d); default 30m. Rounded up to whole steps."),
    horizonSteps: z.coerce
      .number()
      .int("must be an integer")
      .min(1, "must be ≥ 1")
      .max(MAX_HORIZON_STEPS, `must be ≤ ${MAX_HORIZON_STEPS}`)
      .optional()
      .describe("How far ahead, in steps of the target's series (instead of horizon)."),
    levels: z
      .string()
      .default("80,95")
      .describe("Interval levels in percent, comma separated, each 50 ≤ level < 100; default 80,95.")
      .transform((text, context) => {
        const parts = text.split(",").map((part) => part.trim());
        const levels = parts.map(Number);
        if (
          parts.length > 5 ||
          parts.some((part) => part === "") ||
          levels.some((level) => !(level >= 50 && level < 100))
        ) {
          context.addIssue({
            code: "custom",
            input: text,
            message: `(${JSON.stringify(text)}) must be 1–5 comma-separated numbers, each ≥ 50 and < 100`,
          });
          return z.NEVER;
        }
        return [...new Set(levels)].sort((a, b) => a - b);
      }),
  })
  .refine((query) => query.horizon === undefined || query.horizonSteps === undefined, {
    error: "give horizon or horizonSteps, not both",
    path: ["horizonSteps"],
  });

export const historyQuerySchema = z.object({
  range: durationSeconds(MAX_HISTORY_SECONDS, "6h, 1d or 7d")
    .prefault("1d")
    .describe("How far back, as a duration (6h, 1d, 7d); default 1d, at most 35d."),
});

export const decisionsQuerySchema = z.object({
  target: z
    .string()
    .min(1, "must not be empty")
    .max(253)
    .optional()
    .describe("Only decisions of this target (registry name) or HPA (namespace/name)."),
  limit: z.coerce
    .number()
    .int("must be an integer")
    .min(1, "must be ≥ 1")
    .max(MAX_DECISIONS, `must be ≤ ${MAX_DECISIONS}`)
    .default(100),
  since: z
    .string()
    .optional()
    .describe("Only decisions at or after this time: epoch milliseconds or an ISO 8601 date-time.")
    .transform((text, context) => {
      if (text === undefined) return undefined;
      const ms = /^\d{1,16}$/.test(text) ? Number(text) : Date.parse(text);
      if (!Number.isFinite(ms)) {
        context.addIssue({
          code: "custom",
          input: text,
          message: `(${JSON.stringify(text)}) must be epoch milliseconds or an ISO 8601 date-time`,
        });
        return z.NEVER;
      }
      return ms;
    }),
});

// ---- responses ----

export const backtestSummarySchema = z
  .object({
    horizonSteps: z.number(),
    originsMs: z.array(z.number()).readonly(),
    mase: metricNumber,
    smape: metricNumber,
    coverage80: metricNumber,
    coverage95: metricNumber,
  })
  .meta({ id: "BacktestSummary" });

export const modelInfoSchema = z
  .object({
    version: z.number(),
    modelName: z.string(),
    createdAt: z.string(),
    trainedUntilMs: z.number(),
    backtest: backtestSummarySchema,
  })
  .meta({ id: "ModelInfo" });

export const scalerInfoSchema = z
  .object({
    hpa: z.string(),
    mode: z.enum(["shadow", "active"]),
    podCapacity: z.number(),
    quantile: z.number(),
    leadMs: z.number(),
    windowMs: z.number(),
    floor: z.number().optional(),
    baselineMinReplicas: z.number().optional(),
    maxReplicas: z.number().optional(),
    currentReplicas: z.number().optional(),
  })
  .meta({ id: "ScalerInfo" });

export const targetSummarySchema = z
  .object({
    name: z.string(),
    stepSeconds: z.number(),
    unit: z.string().optional(),
    model: modelInfoSchema.optional(),
    scaler: scalerInfoSchema.optional(),
  })
  .meta({ id: "TargetSummary" });

export const targetListSchema = z.object({ targets: z.array(targetSummarySchema).readonly() });

export const forecastViewSchema = z
  .object({
    target: z.string(),
    model: z.string(),
    modelVersion: z.number(),
    stepSeconds: z.number(),
    dataEndMs: z.number(),
    timesMs: z.array(z.number()).readonly(),
    mean: z.array(metricNumber).readonly(),
    intervals: z
      .array(
        z.object({
          level: z.number(),
          lower: z.array(metricNumber).readonly(),
          upper: z.array(metricNumber).readonly(),
        }),
      )
      .readonly(),
    notes: z.array(z.string()).readonly(),
    computedAtMs: z.number(),
  })
  .meta({ id: "ForecastView" });

export const seriesViewSchema = z
  .object({
    target: z.string(),
    stepSeconds: z.number(),
    timesMs: z.array(z.number()).readonly(),
    values: z.array(z.number().nullable()).readonly(),
  })
  .meta({ id: "SeriesView" });

const floorChangeSchema = z.object({
  previousMinReplicas: z.number(),
  minReplicas: z.number(),
  changed: z.boolean(),
});

export const decisionRecordSchema = z
  .object({
    atMs: z.number(),
    target: z.string(),
    hpa: z.string(),
    mode: z.enum(["shadow", "active"]),
    leader: z.boolean(),
    acting: z.boolean(),
    currentFloor: z.number(),
    baselineMinReplicas: z.number(),
    maxReplicas: z.number(),
    currentReplicas: z.number(),
    outage: z.boolean(),
    lead: z
      .object({
        leadMs: z.number(),
        source: z.enum(["measured", "configured"]),
        measuredMs: z.number().optional(),
        pods: z.number(),
      })
      .optional()
      .describe("The lead the forecast window started after: measured from pod start-ups, or configured."),
    decision: z.object({
      floor: z.number(),
      reason: z.enum([
        "raise",
        "hold",
        "hold-cooldown",
        "lower",
        "hold-outage",
        "baseline-no-forecast",
        "clamped",
      ]),
      detail: z.string(),
      lowSinceMs: z.number().optional(),
    }),
    forecast: z
      .object({
        requiredReplicas: z.number(),
        peakLoad: z.number(),
        quantile: z.number(),
        model: z.string(),
        modelVersion: z.number(),
        dataEndMs: z.number(),
        fromStep: z.number(),
        toStep: z.number(),
      })
      .optional(),
    forecastError: z.string().optional(),
    change: floorChangeSchema.optional(),
    actionError: z.string().optional(),
  })
  .meta({ id: "DecisionRecord" });

export const decisionListSchema = z.object({ decisions: z.array(decisionRecordSchema).readonly() });

export const artifactSummarySchema = z
  .object({
    target: z.string(),
    version: z.number(),
    createdAt: z.string(),
    codeVersion: z.string(),
    modelKind: z.string(),
    modelName: z.string(),
    dataRange: z.object({
      startMs: z.number(),
      endMs: z.number(),
      stepSeconds: z.number(),
      points: z.number(),
      missing: z.number(),
    }),
    backtest: backtestSummarySchema,
    decision: z.object({
      promoted: z.boolean(),
      reason: z.string(),
      championVersion: z.number().optional(),
      championMase: metricNumber.optional(),
      challengerMase: metricNumber.optional(),
      decidedAt: z.string(),
    }),
    current: z.boolean(),
  })
  .meta({ id: "ArtifactSummary" });

export const modelListSchema = z.object({ models: z.array(artifactSummarySchema).readonly() });

export const trainingEnqueuedSchema = z
  .object({
    target: z.string(),
    jobId: z.string(),
    queued: z
      .boolean()
      .describe("false when an identical job (same target and window) was already queued or done"),
  })
  .meta({ id: "TrainingEnqueued" });

export const readinessSchema = z.object({
  ready: z.boolean(),
  checks: z.array(z.object({ name: z.string(), ok: z.boolean(), detail: z.string().optional() })).readonly(),
});

export const livenessSchema = z.object({ status: z.literal("ok") });

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number(),
    detail: z.string(),
    code: z.string(),
    instance: z.string().optional(),
  })
  .meta({ id: "Problem", description: "RFC 9457 problem details (application/problem+json)" });

/** Error responses of every route, documented as RFC 9457 problem documents. */
export const problemResponses = {
  "4xx": {
    description: "The request was refused (problem details with a stable `code`)",
    content: { "application/problem+json": { schema: problemSchema } },
  },
  "5xx": {
    description: "The service failed (problem details; no internals)",
    content: { "application/problem+json": { schema: problemSchema } },
  },
} as const;
