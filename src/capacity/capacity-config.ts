import { z } from "zod";
import { cronSchema } from "../config/cron-schema.js";
import { parseDurationSeconds } from "../config/duration.js";
import { durationSchema } from "../config/duration-schema.js";
import { addDuplicateNameIssues } from "../config/duplicate-name-issues.js";

/**
 * The `capacity:` section of the presage config: capacity targets, ticket sinks and the daily
 * schedule. `presage-config.ts` embeds {@link capacitySchema} so its problems are reported with every
 * other problem of the file, with their full paths (`capacity.targets[0].headroom`).
 */

const DAY_SECONDS = 86_400;

/** Durations as elsewhere in the config, plus years (`2y` = 730 days) for long histories. */
export function parseCapacityDurationSeconds(text: string): number | undefined {
  const years = /^(\d+)y$/.exec(text.trim());
  if (years !== null) {
    const count = Number(years[1]);
    return count > 0 ? count * 365 * DAY_SECONDS : undefined;
  }
  return parseDurationSeconds(text);
}

const duration = durationSchema(parseCapacityDurationSeconds, "1h, 30d, 104w or 2y");

const cron = cronSchema("0 6 * * *");

const name = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, "must be 1–63 of a-z, 0-9, '.', '_' or '-', starting alphanumeric");

const httpUrl = z.url({ protocol: /^https?$/, error: "must be an http(s) URL" });

/** Secrets: inline (`token`) or from a mounted file (`tokenFile`), never both. */
const secretFields = {
  token: z.string().min(1, "must not be empty").optional(),
  tokenFile: z.string().min(1, "must not be empty").optional(),
};

function oneSecret(
  sink: { token?: string | undefined; tokenFile?: string | undefined },
  context: z.RefinementCtx,
) {
  if (sink.token !== undefined && sink.tokenFile !== undefined) {
    context.addIssue({ code: "custom", path: ["tokenFile"], message: "may not be set together with token" });
  }
}

function needsSecret(
  sink: { type: string; token?: string | undefined; tokenFile?: string | undefined },
  context: z.RefinementCtx,
) {
  if (sink.token === undefined && sink.tokenFile === undefined) {
    context.addIssue({
      code: "custom",
      path: ["token"],
      message: `(or tokenFile) is required for a ${sink.type} sink`,
    });
  }
}

const webhookSink = z
  .object({
    name,
    type: z.literal("webhook"),
    url: httpUrl,
    ...secretFields,
    headers: z.record(z.string(), z.string()).default({}),
  })
  .strict()
  .superRefine(oneSecret);

const githubSink = z
  .object({
    name,
    type: z.literal("github"),
    url: httpUrl.default("https://api.github.com"),
    repo: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, "must be owner/name"),
    ...secretFields,
  })
  .strict()
  .superRefine((sink, context) => {
    oneSecret(sink, context);
    needsSecret(sink, context);
  });

const jiraSink = z
  .object({
    name,
    type: z.literal("jira"),
    url: httpUrl,
    project: z.string().regex(/^[A-Z][A-Z0-9_]{0,254}$/, "must be a Jira project key such as OPS"),
    issueType: z.string().min(1).default("Task"),
    /** With `user`, basic auth (Jira Cloud: e-mail + API token); without, a bearer PAT (Data Center). */
    user: z.string().min(1).optional(),
    ...secretFields,
    resolveTransition: z.string().min(1).default("Done"),
    /** 2: plain-text descriptions (Cloud and Data Center); 3: Atlassian Document Format (Cloud). */
    apiVersion: z.union([z.literal(2), z.literal(3)], { error: "must be 2 or 3" }).default(2),
  })
  .strict()
  .superRefine((sink, context) => {
    oneSecret(sink, context);
    needsSecret(sink, context);
  });

const slackSink = z
  .object({ name, type: z.literal("slack"), url: httpUrl, ...secretFields })
  .strict()
  .superRefine(oneSecret);

const sinkSchema = z.discriminatedUnion("type", [webhookSink, githubSink, jiraSink, slackSink], {
  error: "must be one of webhook, github, jira, slack",
});

const capacityTargetSchema = z
  .object({
    name,
    /** What is running out, e.g. `cpu`; with the name it forms the ticket fingerprint. */
    resource: z.string().min(1).max(63).optional(),
    usage: z.string().min(1, "must be a PromQL query"),
    capacity: z.union([
      z.number().positive("must be > 0"),
      z.string().min(1, "must be a PromQL query or a positive number"),
    ]),
    aggregate: z.enum(["max", "p95"]).default("max"),
    step: duration.default("1h"),
    headroom: z.number().gt(0, "must be > 0").lte(1, "must be ≤ 1").default(0.8),
    thresholdDays: z.number().int().min(1, "must be ≥ 1").default(90),
    horizonDays: z.number().int().min(14, "must be ≥ 14").max(730, "must be ≤ 730").default(180),
    history: duration.default("2y"),
    labels: z.array(z.string().min(1)).default([]),
    sinks: z.array(name).optional(),
  })
  .strict()
  .superRefine((target, context) => {
    const step = parseCapacityDurationSeconds(target.step);
    if (step !== undefined && (step > DAY_SECONDS || DAY_SECONDS % step !== 0)) {
      context.addIssue({
        code: "custom",
        path: ["step"],
        input: target.step,
        message: "must divide a day (e.g. 5m, 1h, 6h, 1d)",
      });
    }
    const history = parseCapacityDurationSeconds(target.history);
    if (history !== undefined && history < 28 * DAY_SECONDS) {
      context.addIssue({
        code: "custom",
        path: ["history"],
        input: target.history,
        message: "must be at least 28d",
      });
    }
    if (target.thresholdDays > target.horizonDays) {
      context.addIssue({
        code: "custom",
        path: ["thresholdDays"],
        input: target.thresholdDays,
        message: `must be ≤ horizonDays (${target.horizonDays})`,
      });
    }
  });

/** The `capacity:` section as written, validated. */
export const capacitySchema = z
  .object({
    schedule: cron.default("0 6 * * *"),
    /** Ticket state, outbox and ledger in embedded mode (no `redis:`). */
    stateFile: z.string().min(1).default(".presage/capacity-state.json"),
    /** An open ticket is updated when its p90 runway moved by this many days… */
    updateShiftDays: z.number().min(1).default(7),
    /** …or by this fraction of the days left it last reported. */
    updateShiftFraction: z.number().gt(0).lte(1).default(0.2),
    /** Resolve only once the p90 runway is ≥ thresholdDays × (1 + resolveMargin), or beyond the horizon. */
    resolveMargin: z.number().min(0).max(4).default(0.25),
    delivery: z
      .object({
        baseDelayMs: z.number().int().min(0).default(5000),
        maxDelayMs: z.number().int().min(1).default(3_600_000),
        perSinkPerMinute: z.number().int().min(1).default(30),
        leaseMs: z.number().int().min(1000).default(60_000),
      })
      .strict()
      .default({ baseDelayMs: 5000, maxDelayMs: 3_600_000, perSinkPerMinute: 30, leaseMs: 60_000 }),
    sinks: z.array(sinkSchema).default([]),
    targets: z.array(capacityTargetSchema).min(1, "must declare at least one capacity target"),
  })
  .strict()
  .superRefine((capacity, context) => {
    const sinkNames = addDuplicateNameIssues(context, "sinks", capacity.sinks);
    addDuplicateNameIssues(context, "targets", capacity.targets, {
      keyOf: (target) => ticketFingerprint(target.name, target.resource),
    });
    capacity.targets.forEach((target, index) => {
      (target.sinks ?? []).forEach((sink, sinkIndex) => {
        if (!sinkNames.has(sink)) {
          context.addIssue({
            code: "custom",
            path: ["targets", index, "sinks", sinkIndex],
            input: sink,
            message: `names no sink in capacity.sinks (${[...sinkNames].join(", ") || "none declared"})`,
          });
        }
      });
    });
  });

export type ParsedCapacity = z.infer<typeof capacitySchema>;
export type ResolvedSink = ParsedCapacity["sinks"][number];
export type SinkType = ResolvedSink["type"];

/** One capacity target with durations resolved. */
export interface ResolvedCapacityTarget {
  readonly name: string;
  /** Defaults to the target name. */
  readonly resource: string;
  /** `<name>/<resource>`: one open ticket per fingerprint. */
  readonly fingerprint: string;
  readonly usageQuery: string;
  /** A PromQL query (capacity over time; its latest sample is used) or a constant. */
  readonly capacity: { readonly query: string } | { readonly constant: number };
  readonly aggregate: "max" | "p95";
  readonly stepSeconds: number;
  readonly headroom: number;
  readonly thresholdDays: number;
  readonly horizonDays: number;
  readonly historyDays: number;
  readonly labels: readonly string[];
  /** Names of the sinks tickets of this target go to (all configured sinks unless listed). */
  readonly sinks: readonly string[];
}

export interface ResolvedCapacityConfig {
  readonly schedule: string;
  readonly stateFile: string;
  readonly updateShiftDays: number;
  readonly updateShiftFraction: number;
  readonly resolveMargin: number;
  readonly delivery: ParsedCapacity["delivery"];
  readonly sinks: readonly ResolvedSink[];
  readonly targets: readonly ResolvedCapacityTarget[];
}

/** The fingerprint of a target's ticket. */
export function ticketFingerprint(target: string, resource: string | undefined): string {
  return `${target}/${resource ?? target}`;
}

/** Applies defaults and resolves durations; relative `stateFile`/`tokenFile` paths resolve with `resolvePath`. */
export function resolveCapacity(
  capacity: ParsedCapacity,
  resolvePath: (path: string) => string,
): ResolvedCapacityConfig {
  const seconds = (text: string): number => parseCapacityDurationSeconds(text) ?? Number.NaN;
  return {
    schedule: capacity.schedule,
    stateFile: resolvePath(capacity.stateFile),
    updateShiftDays: capacity.updateShiftDays,
    updateShiftFraction: capacity.updateShiftFraction,
    resolveMargin: capacity.resolveMargin,
    delivery: capacity.delivery,
    sinks: capacity.sinks.map((sink) =>
      sink.tokenFile === undefined ? sink : { ...sink, tokenFile: resolvePath(sink.tokenFile) },
    ),
    targets: capacity.targets.map((target) => ({
      name: target.name,
      resource: target.resource ?? target.name,
      fingerprint: ticketFingerprint(target.name, target.resource),
      usageQuery: target.usage,
      capacity:
        typeof target.capacity === "number" ? { constant: target.capacity } : { query: target.capacity },
      aggregate: target.aggregate,
      stepSeconds: seconds(target.step),
      headroom: target.headroom,
      thresholdDays: target.thresholdDays,
      horizonDays: target.horizonDays,
      historyDays: Math.floor(seconds(target.history) / DAY_SECONDS),
      labels: target.labels,
      sinks: target.sinks ?? capacity.sinks.map((sink) => sink.name),
    })),
  };
}
