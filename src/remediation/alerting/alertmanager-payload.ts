import { createHash } from "node:crypto";
import { z } from "zod";
import { formatIssuePath } from "../../config/format-issue-path.js";

/** Prometheus label names: `[a-zA-Z_][a-zA-Z0-9_]*`. */
export const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Bounds that keep one delivery cheap to validate and store. */
const MAX_LABELS = 128;
const MAX_LABEL_VALUE_CHARS = 4096;
const MAX_ANNOTATION_VALUE_CHARS = 16_384;

/** Go's zero `time.Time`, which Alertmanager sends as `endsAt` of alerts without an end. */
const GO_ZERO_TIME_MS = Date.parse("0001-01-01T00:00:00Z");

const labelSet = (maxValueChars: number) =>
  z
    .record(
      z.string().regex(LABEL_NAME, "label names must match [a-zA-Z_][a-zA-Z0-9_]*"),
      z.string().max(maxValueChars),
    )
    .refine((labels) => Object.keys(labels).length <= MAX_LABELS, {
      error: `must have at most ${MAX_LABELS} entries`,
    });

const rfc3339 = z
  .string()
  .max(64)
  .refine((text) => /^\d{4}-\d{2}-\d{2}T/.test(text) && Number.isFinite(Date.parse(text)), {
    error: "must be an RFC 3339 time",
  });

const alertSchema = z.object({
  status: z.enum(["firing", "resolved"]),
  labels: labelSet(MAX_LABEL_VALUE_CHARS).refine(
    (labels) => typeof labels.alertname === "string" && labels.alertname !== "",
    { error: "must include a non-empty alertname" },
  ),
  annotations: labelSet(MAX_ANNOTATION_VALUE_CHARS).default({}),
  startsAt: rfc3339.refine((text) => Date.parse(text) > GO_ZERO_TIME_MS, {
    error: "must be a real time, not Go's zero time",
  }),
  endsAt: rfc3339.optional(),
  generatorURL: z.string().max(8192).default(""),
  fingerprint: z
    .string()
    .regex(/^[0-9a-f]{1,32}$/, "must be 1–32 lower-case hex digits")
    .optional(),
});

/**
 * Alertmanager's webhook payload, version 4 (`notify/webhook` in prometheus/alertmanager): a group of
 * alerts with common labels. Unknown fields are kept out of the result but tolerated, so a newer
 * Alertmanager adding fields is not refused.
 */
export const alertmanagerPayloadSchema = z.object({
  version: z.literal("4", { error: 'must be "4" (Alertmanager webhook payload version 4)' }),
  groupKey: z.string().max(8192),
  truncatedAlerts: z.number().int().min(0).default(0),
  status: z.enum(["firing", "resolved"]),
  receiver: z.string().max(1024),
  groupLabels: labelSet(MAX_LABEL_VALUE_CHARS).default({}),
  commonLabels: labelSet(MAX_LABEL_VALUE_CHARS).default({}),
  commonAnnotations: labelSet(MAX_ANNOTATION_VALUE_CHARS).default({}),
  externalURL: z.string().max(8192).default(""),
  alerts: z.array(alertSchema).min(1, "must hold at least one alert").max(1000),
});

export type AlertmanagerPayload = z.infer<typeof alertmanagerPayloadSchema>;

/** One alert as presage works with it: times in epoch ms, fingerprint always present. */
export interface ReceivedAlert {
  readonly status: "firing" | "resolved";
  /** Alertmanager's fingerprint (16 hex digits), or one derived from the labels when absent. */
  readonly fingerprint: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly startsAtMs: number;
  /** Undefined while Alertmanager knows no end (Go's zero time). */
  readonly endsAtMs?: number;
  readonly generatorURL: string;
  /** Alertmanager's external URL, for links in notifications. */
  readonly externalURL: string;
}

/** One validation problem, for a problem+json body. */
export interface PayloadProblem {
  /** Dotted path, e.g. `alerts[0].labels`. */
  readonly field: string;
  readonly rule: string;
}

export type PayloadParse =
  | { readonly ok: true; readonly alerts: readonly ReceivedAlert[]; readonly truncatedAlerts: number }
  | { readonly ok: false; readonly problems: readonly PayloadProblem[] };

/** Validates a parsed JSON body as a version 4 payload; never throws. */
export function parseAlertmanagerPayload(body: unknown): PayloadParse {
  const result = alertmanagerPayloadSchema.safeParse(body);
  if (!result.success) {
    return {
      ok: false,
      problems: result.error.issues.slice(0, 20).map((issue) => ({
        field: formatIssuePath(issue.path, "(body)"),
        rule: issue.message,
      })),
    };
  }
  const payload = result.data;
  return {
    ok: true,
    truncatedAlerts: payload.truncatedAlerts,
    alerts: payload.alerts.map((alert) => {
      const endsAtMs = alert.endsAt === undefined ? Number.NaN : Date.parse(alert.endsAt);
      return {
        status: alert.status,
        fingerprint: alert.fingerprint ?? labelsFingerprint(alert.labels),
        labels: alert.labels,
        annotations: alert.annotations,
        startsAtMs: Date.parse(alert.startsAt),
        ...(Number.isFinite(endsAtMs) && endsAtMs > GO_ZERO_TIME_MS ? { endsAtMs } : {}),
        generatorURL: alert.generatorURL,
        externalURL: payload.externalURL,
      };
    }),
  };
}

/** 16 hex digits identifying a label set (sorted `name=value` pairs hashed), when Alertmanager sent none. */
export function labelsFingerprint(labels: Readonly<Record<string, string>>): string {
  const text = Object.keys(labels)
    .sort()
    .map((name) => `${name}\u0000${labels[name] ?? ""}`)
    .join("\u0001");
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}

/**
 * The idempotency key of one notification of one alert: fingerprint + startsAt + status. HA
 * Alertmanager pairs and repeat intervals deliver the same key again; only the first is acted on.
 */
export function deliveryKey(alert: ReceivedAlert): string {
  return `${alert.fingerprint}:${alert.startsAtMs}:${alert.status}`;
}

/** The incident an alert belongs to: the same for its firing and resolved notifications. */
export function incidentIdOf(alert: ReceivedAlert): string {
  return `${alert.fingerprint}-${alert.startsAtMs.toString(36)}`;
}
