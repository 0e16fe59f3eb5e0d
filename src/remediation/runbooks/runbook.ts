import { z } from "zod";
import { parseDurationMs } from "../../config/duration.js";
import { millisecondsDurationSchema } from "../../config/duration-schema.js";
import { formatIssuePath } from "../../config/format-issue-path.js";
import { compileMatcher, parseMatcher, type CompiledMatcher } from "../alerting/label-matcher.js";
import { hookHostAllowed, parseHookUrlTemplate, shownHookTemplate } from "./hook-url-template.js";
import { stringsIn, templateSyntaxProblems } from "./label-template.js";
import { ACTION_KINDS, ActionKind, actionParamSchemas } from "./remediation-action.js";

/** How a runbook acts: record only, wait for an admin's approval, or act at once. */
export const RunbookMode = { dryRun: "dry-run", approval: "approval", auto: "auto" } as const;
export type RunbookMode = (typeof RunbookMode)[keyof typeof RunbookMode];

/** What to do when a step's action fails or its verification does not pass in time. */
export const OnFailure = { undo: "undo", next: "next", escalate: "escalate" } as const;
export type OnFailure = (typeof OnFailure)[keyof typeof OnFailure];

const duration = millisecondsDurationSchema;

const verifySchema = z
  .object({
    timeout: duration.default("5m"),
    interval: duration.default("15s"),
    /** The step's Deployment has rolled out: every replica updated and available. */
    rollout: z.boolean().default(false),
    /** A PromQL query whose (single) value must be below or above a threshold. */
    promql: z
      .object({
        query: z.string().min(1, "must not be empty"),
        below: z.number().optional(),
        above: z.number().optional(),
      })
      .strict()
      .refine((promql) => (promql.below === undefined) !== (promql.above === undefined), {
        error: "must set exactly one of below and above",
      })
      .optional(),
    /** Alertmanager has sent the alert's `resolved` notification. */
    alertResolved: z.boolean().default(false),
  })
  .strict()
  .refine((verify) => verify.rollout || verify.promql !== undefined || verify.alertResolved, {
    error: "must check something: rollout, promql or alertResolved",
  });

const stepSchema = z
  .object({
    action: z.enum(ACTION_KINDS as [ActionKind, ...ActionKind[]], {
      error: `must be one of ${ACTION_KINDS.join(", ")}`,
    }),
    params: z.record(z.string(), z.unknown()).default({}),
    onFailure: z.enum(["undo", "next", "escalate"]).default("escalate"),
    verify: verifySchema.optional(),
  })
  .strict();

const guardOverrides = z
  .object({
    cooldown: duration.optional(),
    maxActionsPerHour: z.number().int().min(0).optional(),
    blastRadiusPercent: z.number().min(0).max(100).optional(),
    breakerThreshold: z.number().int().min(1).optional(),
  })
  .strict();

const runbookSchema = z
  .object({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "must be 1–63 of a-z, 0-9 and '-', starting alphanumeric"),
    description: z.string().default(""),
    mode: z.enum(["dry-run", "approval", "auto"]).optional(),
    /** Higher wins when several runbooks match one alert. */
    priority: z.number().int().default(0),
    match: z
      .object({
        alertname: z.string().min(1, "must not be empty"),
        severity: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
        labels: z.array(z.string()).default([]),
      })
      .strict(),
    steps: z.array(stepSchema).min(1, "must list at least one step").max(10),
    verify: verifySchema.optional(),
    guards: guardOverrides.default({}),
  })
  .strict();

type ParsedRunbook = z.infer<typeof runbookSchema>;
type ParsedVerify = z.infer<typeof verifySchema>;

/** A verification with durations in ms. Strings may hold `{{ labels.x }}`. */
export interface Verification {
  readonly timeoutMs: number;
  readonly intervalMs: number;
  readonly rollout: boolean;
  readonly promql?: { readonly query: string; readonly below?: number; readonly above?: number };
  readonly alertResolved: boolean;
}

export interface RunbookStep {
  readonly action: ActionKind;
  /** Raw parameters; strings may hold `{{ labels.x }}`. */
  readonly params: Readonly<Record<string, unknown>>;
  readonly onFailure: OnFailure;
  /** The step's own verification, else the runbook's; none → the step counts as done once applied. */
  readonly verify?: Verification;
}

/** A validated runbook, its matchers compiled. */
export interface Runbook {
  readonly name: string;
  readonly description: string;
  /** Undefined: the configured default mode. */
  readonly mode?: RunbookMode;
  readonly priority: number;
  /** Where it was loaded from (file name), for messages. */
  readonly source: string;
  readonly match: {
    readonly alertname: string;
    readonly severities?: readonly string[];
    readonly matchers: readonly CompiledMatcher[];
  };
  readonly steps: readonly RunbookStep[];
  readonly guards: {
    readonly cooldownMs?: number;
    readonly maxActionsPerHour?: number;
    readonly blastRadiusPercent?: number;
    readonly breakerThreshold?: number;
  };
}

/** One problem in one runbook file. */
export interface RunbookProblem {
  readonly file: string;
  /** Dotted path inside the runbook, e.g. `steps[1].params.deployment`. */
  readonly field: string;
  readonly rule: string;
}

/** Site rules runbooks are checked against when loaded. */
export interface RunbookLoadOptions {
  /**
   * Hosts `http-hook` steps may call, each `host` (any port) or `host:port`
   * (`remediation.httpHooks.allowedHosts`). @defaultValue undefined: any host
   */
  readonly httpHookAllowedHosts?: readonly string[];
}

/** Validates one parsed runbook document; returns it or every problem found. */
export function parseRunbook(
  raw: unknown,
  file: string,
  options: RunbookLoadOptions = {},
): { ok: true; runbook: Runbook } | { ok: false; problems: RunbookProblem[] } {
  const result = runbookSchema.safeParse(raw);
  if (!result.success) {
    return {
      ok: false,
      problems: result.error.issues.map((issue) => ({
        file,
        field: formatIssuePath(issue.path),
        rule: issue.message,
      })),
    };
  }
  const parsed = result.data;
  const problems: RunbookProblem[] = [];
  const matchers: CompiledMatcher[] = [];
  parsed.match.labels.forEach((text, index) => {
    const matcher = parseMatcher(text);
    const compiled = typeof matcher === "string" ? matcher : compileMatcher(matcher);
    if (typeof compiled === "string")
      problems.push({ file, field: `match.labels[${index}]`, rule: compiled });
    else matchers.push(compiled);
  });
  parsed.steps.forEach((step, index) => {
    for (const { path, text } of stringsIn(step.params)) {
      for (const rule of templateSyntaxProblems(text)) {
        problems.push({ file, field: `steps[${index}].params.${path}`, rule });
      }
    }
    problems.push(...untemplatedParamProblems(step.action, step.params, file, index));
    if (step.action === ActionKind.httpHook) {
      problems.push(...hookUrlProblems(step.params.url, parsed.name, file, index, options));
    }
    const verify = step.verify ?? parsed.verify;
    if (verify?.promql !== undefined) {
      for (const rule of templateSyntaxProblems(verify.promql.query)) {
        problems.push({ file, field: `${step.verify ? `steps[${index}].` : ""}verify.promql.query`, rule });
      }
    }
    if (step.onFailure === OnFailure.undo && step.action === "http-hook") {
      problems.push({
        file,
        field: `steps[${index}].onFailure`,
        rule: "undo is not possible for http-hook (nothing to revert)",
      });
    }
  });
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, runbook: toRunbook(parsed, file, matchers) };
}

/**
 * Checks parameters that hold no placeholder against the action's schema now, so a typo fails at load
 * rather than at 02:00. Templated values are checked after rendering (a plan error).
 */
function untemplatedParamProblems(
  action: ActionKind,
  params: Record<string, unknown>,
  file: string,
  index: number,
): RunbookProblem[] {
  const schema = actionParamSchemas[action];
  const result = schema.safeParse(params);
  if (result.success) return [];
  return result.error.issues
    .filter((issue) => {
      const value = valueAt(params, issue.path);
      return !(typeof value === "string" && value.includes("{{")) && !containsTemplate(value);
    })
    .map((issue) => ({
      file,
      field: `steps[${index}].params${issue.path.length === 0 ? "" : `.${issue.path.join(".")}`}`,
      rule: issue.message,
    }));
}

/**
 * An http-hook URL must fix its origin and user info in the runbook text (labels may fill the path,
 * query or fragment only) and, with an allow-list, name an allowed host. Non-strings are left to the
 * parameter schema.
 */
function hookUrlProblems(
  url: unknown,
  runbook: string,
  file: string,
  index: number,
  options: RunbookLoadOptions,
): RunbookProblem[] {
  if (typeof url !== "string") return [];
  const field = `steps[${index}].params.url`;
  const parsed = parseHookUrlTemplate(url);
  if (!parsed.ok) {
    // A placeholder-free URL the schema refuses is already reported by untemplatedParamProblems.
    if (!url.includes("{{") && !actionParamSchemas[ActionKind.httpHook].shape.url.safeParse(url).success) {
      return [];
    }
    return [
      {
        file,
        field,
        rule: `(${JSON.stringify(shownHookTemplate(url))}) of runbook ${runbook} ${parsed.rule}`,
      },
    ];
  }
  const allowed = options.httpHookAllowedHosts;
  if (allowed !== undefined && !hookHostAllowed(parsed.url, allowed)) {
    return [
      {
        file,
        field,
        rule: `(${JSON.stringify(shownHookTemplate(url))}) of runbook ${runbook} calls ${parsed.url.hostname}:${parsed.url.port}, which remediation.httpHooks.allowedHosts (${allowed.join(", ") || "empty"}) does not list`,
      },
    ];
  }
  return [];
}

function containsTemplate(value: unknown): boolean {
  return stringsIn(value).some(({ text }) => text.includes("{{"));
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const key of path) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

function toVerification(verify: ParsedVerify): Verification {
  return {
    timeoutMs: parseDurationMs(verify.timeout) ?? 300_000,
    intervalMs: parseDurationMs(verify.interval) ?? 15_000,
    rollout: verify.rollout,
    ...(verify.promql === undefined ? {} : { promql: verify.promql }),
    alertResolved: verify.alertResolved,
  };
}

function toRunbook(parsed: ParsedRunbook, file: string, matchers: CompiledMatcher[]): Runbook {
  const severity = parsed.match.severity;
  const cooldownMs =
    parsed.guards.cooldown === undefined ? undefined : parseDurationMs(parsed.guards.cooldown);
  return {
    name: parsed.name,
    description: parsed.description,
    ...(parsed.mode === undefined ? {} : { mode: parsed.mode }),
    priority: parsed.priority,
    source: file,
    match: {
      alertname: parsed.match.alertname,
      ...(severity === undefined ? {} : { severities: typeof severity === "string" ? [severity] : severity }),
      matchers,
    },
    steps: parsed.steps.map((step) => {
      const verify = step.verify ?? parsed.verify;
      return {
        action: step.action,
        params: step.params,
        onFailure: step.onFailure,
        ...(verify === undefined ? {} : { verify: toVerification(verify) }),
      };
    }),
    guards: {
      ...(cooldownMs === undefined ? {} : { cooldownMs }),
      ...(parsed.guards.maxActionsPerHour === undefined
        ? {}
        : { maxActionsPerHour: parsed.guards.maxActionsPerHour }),
      ...(parsed.guards.blastRadiusPercent === undefined
        ? {}
        : { blastRadiusPercent: parsed.guards.blastRadiusPercent }),
      ...(parsed.guards.breakerThreshold === undefined
        ? {}
        : { breakerThreshold: parsed.guards.breakerThreshold }),
    },
  };
}
