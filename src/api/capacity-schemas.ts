import { z } from "zod";
import { TARGET_NAME_PATTERN } from "../storage/target-name.js";

/**
 * Schemas of the capacity routes (zod 4): the query of `GET /capacity/:name` is validated with them;
 * responses are documented (OpenAPI) and typed by them. They mirror capacity-status-view.ts.
 */

/** Most days of daily usage one response carries. */
export const MAX_CAPACITY_HISTORY_DAYS = 1100;

const nullableNumber = z.number().nullable();
const isoDay = z.string().describe("YYYY-MM-DD (UTC)");

export const capacityQuerySchema = z.object({
  historyDays: z.coerce
    .number()
    .int("must be an integer")
    .min(7, "must be ≥ 7")
    .max(MAX_CAPACITY_HISTORY_DAYS, `must be ≤ ${MAX_CAPACITY_HISTORY_DAYS}`)
    .optional()
    .describe("Only the newest this many days of daily usage; default all the planner used."),
  resource: z
    .string()
    .regex(TARGET_NAME_PATTERN, "must be 1–63 of a-z, 0-9, '.', '_' or '-', starting alphanumeric")
    .optional()
    .describe("Only this resource of the target (e.g. cpu); default every resource."),
});

const crossingSchema = z.object({
  days: nullableNumber.describe("days after the last observed day; null: not within the horizon"),
  date: isoDay.nullable(),
});

const ledgerSchema = z
  .object({
    fingerprint: z.string(),
    horizons: z
      .array(
        z.object({
          horizonDays: z.number(),
          scored: z.number(),
          pending: z.number(),
          mape: nullableNumber,
          within15: nullableNumber,
          belowP90: nullableNumber,
        }),
      )
      .readonly(),
    runway: z.object({ scored: z.number(), right: nullableNumber }),
    tickets: z.object({ recorded: z.number(), scored: z.number(), right: nullableNumber }),
  })
  .meta({ id: "CapacityLedgerSummary" });

const capacityTargetSummaryShape = {
  name: z.string(),
  resource: z.string(),
  fingerprint: z.string(),
  unit: z.string().optional(),
  status: z.enum(["planned", "unplanned"]),
  problem: z.object({ code: z.string(), reason: z.string() }).optional(),
  headroom: z.number(),
  thresholdDays: z.number(),
  horizonDays: z.number(),
  capacity: nullableNumber,
  capacitySource: z.enum(["constant", "latest"]).nullable(),
  limit: nullableNumber.describe("capacity × headroom"),
  lastObservedDay: isoDay.nullable(),
  lastObserved: nullableNumber,
  runway: z.object({ p50: crossingSchema, p90: crossingSchema }).nullable(),
  model: z.string().nullable(),
  backtest: z
    .object({
      horizonDays: z.number(),
      mape: nullableNumber.describe("mean absolute percentage error of the 7-day mean (0.08 = 8%)"),
      folds: z
        .array(
          z.object({
            lastTrainDay: isoDay,
            predicted: z.number(),
            actual: z.number(),
            absolutePercentError: z.number(),
            belowP90: z.boolean(),
          }),
        )
        .readonly(),
      failures: z.number(),
    })
    .nullable(),
  decision: z
    .object({ action: z.enum(["open", "update", "resolve", "none"]), reason: z.string() })
    .nullable(),
  ticket: z
    .object({
      status: z.enum(["open", "resolved"]),
      generation: z.number(),
      openedAtMs: z.number(),
      updatedAtMs: z.number(),
      resolvedAtMs: nullableNumber,
      reportedP50Date: isoDay.nullable(),
      reportedP90Date: isoDay.nullable(),
      pendingDeliveries: z.number(),
    })
    .nullable(),
  sinks: z.array(z.string()).readonly(),
  ledger: ledgerSchema.nullable(),
};

export const capacityTargetSummarySchema = z
  .object(capacityTargetSummaryShape)
  .meta({ id: "CapacityTargetSummary" });

export const capacityTargetViewSchema = z
  .object({
    ...capacityTargetSummaryShape,
    usage: z.object({
      timesMs: z.array(z.number()).readonly(),
      values: z.array(nullableNumber).readonly(),
    }),
    forecast: z
      .object({
        timesMs: z.array(z.number()).readonly(),
        p50: z.array(z.number()).readonly(),
        lower80: z.array(z.number()).readonly(),
        upper80: z.array(z.number()).readonly().describe("the p90"),
        notes: z.array(z.string()).readonly(),
      })
      .nullable(),
  })
  .meta({ id: "CapacityTargetView" });

export const capacityListSchema = z
  .object({
    plannedAtMs: z.number(),
    targets: z.array(capacityTargetSummarySchema).readonly(),
    pendingDeliveries: z.number(),
    notes: z.array(z.string()).readonly(),
  })
  .meta({ id: "CapacityList" });

export const capacityTargetResponseSchema = z
  .object({
    name: z.string(),
    plannedAtMs: z.number(),
    resources: z.array(capacityTargetViewSchema).readonly(),
    notes: z.array(z.string()).readonly(),
  })
  .meta({ id: "CapacityTarget" });
