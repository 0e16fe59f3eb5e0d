import { z } from "zod";
import { cronSchema } from "../config/cron-schema.js";
import { parseDurationMs } from "../config/duration.js";
import { millisecondsDurationSchema } from "../config/duration-schema.js";
import { NotificationKind } from "./notifications/remediation-notification.js";
import type { NotificationSink } from "./notifications/notification-outbox.js";
import { DEFAULT_GUARD_LIMITS, type GuardLimits } from "./planning/guard-limits.js";
import type { MaintenanceWindow } from "./planning/maintenance-window.js";
import { parseAllowedHost } from "./runbooks/hook-url-template.js";
import type { RunbookMode } from "./runbooks/runbook.js";

const duration = millisecondsDurationSchema;
const ms = (text: string): number => parseDurationMs(text) ?? Number.NaN;

const cron = cronSchema("0 2 * * 6");

const isoTime = z
  .string()
  .refine((text) => Number.isFinite(Date.parse(text)), { error: "must be an ISO 8601 time" });

const windowSchema = z.union([
  z
    .object({
      name: z.string().min(1),
      cron,
      duration,
      /** An IANA zone; checked here, since an unknown one makes every cron evaluation throw. */
      timezone: z
        .string()
        .min(1)
        .refine(
          (zone) => {
            try {
              new Intl.DateTimeFormat("en-US", { timeZone: zone });
              return true;
            } catch {
              return false;
            }
          },
          { error: 'must be an IANA time zone such as "Europe/Berlin"' },
        )
        .optional(),
      runbooks: z.array(z.string()).default([]),
    })
    .strict(),
  z
    .object({
      name: z.string().min(1),
      from: isoTime,
      to: isoTime,
      runbooks: z.array(z.string()).default([]),
    })
    .strict()
    .refine((window) => Date.parse(window.from) < Date.parse(window.to), {
      error: "from must be before to",
      path: ["to"],
    }),
]);

const sinkSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "must be 1–63 of a-z, 0-9 and '-'"),
    type: z.enum(["slack", "webhook"]),
    url: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }),
    headers: z.record(z.string(), z.string()).default({}),
    kinds: z
      .array(z.enum(Object.values(NotificationKind) as [NotificationKind, ...NotificationKind[]]))
      .min(1)
      .optional(),
  })
  .strict();

/** The `remediation:` section of the config file. */
export const remediationConfigSchema = z
  .object({
    /** Directory of runbook YAML files (a mounted ConfigMap). */
    runbooksDir: z.string().min(1).default("deploy/runbooks"),
    /** Mode of runbooks that set none: record only until a human trusts them. */
    defaultMode: z.enum(["dry-run", "approval", "auto"]).default("dry-run"),
    /** Embedded mode (no redis section): where guards, the ledger and the outbox live. */
    directory: z.string().min(1).default(".presage/remediation"),
    webhook: z
      .object({
        /** Bearer tokens Alertmanager sends; at least one (or tokenFile). */
        tokens: z.array(z.string().min(16, "must be at least 16 characters")).default([]),
        tokenFile: z.string().min(1).optional(),
        bodyLimitBytes: z
          .number()
          .int()
          .min(1024)
          .max(64 * 1024 * 1024)
          .default(2 * 1024 * 1024),
      })
      .strict()
      .refine((webhook) => webhook.tokens.length > 0 || webhook.tokenFile !== undefined, {
        error: "needs tokens or tokenFile: the webhook never runs unauthenticated",
      }),
    guards: z
      .object({
        cooldown: duration.default("10m"),
        maxActionsPerHour: z.number().int().min(0).default(DEFAULT_GUARD_LIMITS.maxActionsPerHour),
        maxActionsPerHourPerRunbook: z
          .number()
          .int()
          .min(0)
          .default(DEFAULT_GUARD_LIMITS.maxActionsPerHourPerRunbook),
        maxConcurrent: z.number().int().min(1).default(DEFAULT_GUARD_LIMITS.maxConcurrent),
        blastRadiusPercent: z.number().min(0).max(100).default(DEFAULT_GUARD_LIMITS.blastRadiusPercent),
        breakerThreshold: z.number().int().min(1).default(DEFAULT_GUARD_LIMITS.breakerThreshold),
        breakerOpen: duration.default("1h"),
        lease: duration.default("30m"),
      })
      .strict()
      .prefault({}),
    maintenanceWindows: z.array(windowSchema).default([]),
    alertmanager: z
      .object({
        url: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }),
        bearerToken: z.string().min(1).optional(),
        /** When silences cannot be read: `skip` (do not act, page — the default) or `act`. */
        onUnavailable: z.enum(["skip", "act"]).default("skip"),
      })
      .strict()
      .optional(),
    notifications: z
      .object({
        sinks: z.array(sinkSchema).default([]),
        maxAttempts: z.number().int().min(1).max(100).default(8),
        /** Public base URL of the API, for ledger links (`<base>/api/v1/remediation/incidents/<id>`). */
        ledgerBaseUrl: z.url().optional(),
      })
      .strict()
      .prefault({}),
    httpHooks: z
      .object({
        /**
         * Hosts `http-hook` steps may call, each `host` (any port) or `host:port`; a runbook calling
         * another is refused at load. Unset: any host (the origin is still fixed by the runbook text).
         */
        allowedHosts: z
          .array(
            z.string().refine((entry) => parseAllowedHost(entry) !== undefined, {
              error: 'must be a host or host:port such as "hooks.example.com" or "10.0.0.5:8443"',
            }),
          )
          .optional(),
      })
      .strict()
      .prefault({}),
    deliveryTtl: duration.default("7d"),
    approvalTimeout: duration.default("1h"),
    pageOnGuardDenial: z.boolean().default(true),
  })
  .strict()
  .superRefine((section, context) => {
    const names = new Set<string>();
    section.notifications.sinks.forEach((sink, index) => {
      if (names.has(sink.name)) {
        context.addIssue({
          code: "custom",
          path: ["notifications", "sinks", index, "name"],
          input: sink.name,
          message: `duplicates "${sink.name}"`,
        });
      }
      names.add(sink.name);
    });
  });

export type ParsedRemediationConfig = z.infer<typeof remediationConfigSchema>;

/** The `remediation:` section resolved: durations in ms, paths absolute. */
export interface ResolvedRemediationConfig {
  readonly runbooksDir: string;
  readonly defaultMode: RunbookMode;
  readonly directory: string;
  readonly webhook: {
    readonly tokens: readonly string[];
    readonly tokenFile?: string;
    readonly bodyLimitBytes: number;
  };
  readonly limits: GuardLimits;
  readonly maintenanceWindows: readonly MaintenanceWindow[];
  readonly alertmanager?: {
    readonly url: string;
    readonly bearerToken?: string;
    readonly actWithoutSilences: boolean;
  };
  readonly notifications: {
    readonly sinks: readonly NotificationSink[];
    readonly maxAttempts: number;
    readonly ledgerBaseUrl?: string;
  };
  /** `httpHooks.allowedHosts`. @defaultValue undefined: any host */
  readonly httpHookAllowedHosts?: readonly string[];
  readonly deliveryTtlMs: number;
  readonly approvalTimeoutMs: number;
  readonly pageOnGuardDenial: boolean;
}

/** Resolves a validated section; `resolvePath` makes relative paths relative to the config file. */
export function resolveRemediationConfig(
  section: ParsedRemediationConfig,
  resolvePath: (path: string) => string,
): ResolvedRemediationConfig {
  const { guards } = section;
  return {
    runbooksDir: resolvePath(section.runbooksDir),
    defaultMode: section.defaultMode,
    directory: resolvePath(section.directory),
    webhook: {
      tokens: section.webhook.tokens,
      ...(section.webhook.tokenFile === undefined
        ? {}
        : { tokenFile: resolvePath(section.webhook.tokenFile) }),
      bodyLimitBytes: section.webhook.bodyLimitBytes,
    },
    limits: {
      cooldownMs: ms(guards.cooldown),
      maxActionsPerHour: guards.maxActionsPerHour,
      maxActionsPerHourPerRunbook: guards.maxActionsPerHourPerRunbook,
      maxConcurrent: guards.maxConcurrent,
      blastRadiusPercent: guards.blastRadiusPercent,
      breakerThreshold: guards.breakerThreshold,
      breakerOpenMs: ms(guards.breakerOpen),
      leaseMs: ms(guards.lease),
    },
    maintenanceWindows: section.maintenanceWindows.map((window) =>
      "cron" in window
        ? {
            name: window.name,
            cron: window.cron,
            durationMs: ms(window.duration),
            ...(window.timezone === undefined ? {} : { timezone: window.timezone }),
            runbooks: window.runbooks,
          }
        : {
            name: window.name,
            fromMs: Date.parse(window.from),
            toMs: Date.parse(window.to),
            runbooks: window.runbooks,
          },
    ),
    ...(section.alertmanager === undefined
      ? {}
      : {
          alertmanager: {
            url: section.alertmanager.url,
            ...(section.alertmanager.bearerToken === undefined
              ? {}
              : { bearerToken: section.alertmanager.bearerToken }),
            actWithoutSilences: section.alertmanager.onUnavailable === "act",
          },
        }),
    notifications: {
      sinks: section.notifications.sinks.map((sink) => ({
        name: sink.name,
        format: sink.type,
        url: sink.url,
        headers: sink.headers,
        ...(sink.kinds === undefined ? {} : { kinds: sink.kinds }),
      })),
      maxAttempts: section.notifications.maxAttempts,
      ...(section.notifications.ledgerBaseUrl === undefined
        ? {}
        : { ledgerBaseUrl: section.notifications.ledgerBaseUrl }),
    },
    ...(section.httpHooks.allowedHosts === undefined
      ? {}
      : { httpHookAllowedHosts: section.httpHooks.allowedHosts }),
    deliveryTtlMs: ms(section.deliveryTtl),
    approvalTimeoutMs: ms(section.approvalTimeout),
    pageOnGuardDenial: section.pageOnGuardDenial,
  };
}
