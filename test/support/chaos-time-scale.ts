import { parse, parseAllDocuments, stringify } from "yaml";

/**
 * The chaos test's time compression of the shipped alert rules and runbooks. Production timings
 * (`for: 10m`, `rate(...[5m])`, verification timeouts of minutes, cooldowns of half an hour) would
 * make 25 faults take hours, so the test runs the *shipped files* through one documented
 * transformation instead of keeping hand-edited copies:
 *
 * - every duration is divided by `factor` (40: one production minute is 1.5 test seconds) —
 *   alert `for:`, rule group `interval:`, range selectors and subquery ranges in PromQL (rules and
 *   runbook queries), runbook `verify.timeout` / `verify.interval` (runbook-wide and per step) and
 *   `guards.cooldown`;
 * - range selectors are kept at least `minRangeMs` long (4 scrape intervals), so `rate()` always has
 *   samples to work with;
 * - nothing else changes: expressions, thresholds, labels, steps, modes and matchers are the shipped
 *   ones.
 */
export interface TimeScale {
  /** Production duration ÷ test duration. */
  readonly factor: number;
  /** Shortest range selector after scaling (≥ 4 scrape intervals). */
  readonly minRangeMs: number;
}

/**
 * 1 production minute = 1.5 test seconds, with 500 ms scrapes (ranges ≥ 2 s). 1/40 rather than 1/60
 * leaves the shortest verification (5 min → 7.5 s, after a restart that needs about 2.5 s to show)
 * a threefold margin on a loaded 2-core machine.
 */
export const CHAOS_TIME_SCALE: TimeScale = { factor: 40, minRangeMs: 2000 };

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
};

/** A Prometheus duration (`1h30m`, `500ms`) in ms; undefined when it is not one. */
export function durationMs(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^(\d+(ms|s|m|h|d|w|y))+$/.test(trimmed)) return undefined;
  let total = 0;
  for (const [, amount, unit] of trimmed.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)) {
    total += Number(amount) * (UNIT_MS[unit ?? ""] ?? Number.NaN);
  }
  return total;
}

/** A duration divided by the factor (at least `floorMs`, at least 1 ms), as `<n>ms`. */
export function scaleDuration(text: string, scale: TimeScale, floorMs = 0): string {
  const ms = durationMs(text);
  if (ms === undefined) throw new Error(`chaos time scale: ${JSON.stringify(text)} is not a duration`);
  return `${Math.max(1, floorMs, Math.round(ms / scale.factor))}ms`;
}

/** Scales every range selector (`[5m]`) and subquery (`[30m:1m]`) of a PromQL expression. */
export function scalePromqlRanges(expression: string, scale: TimeScale): string {
  return expression.replace(
    /\[(\d+(?:ms|[smhdwy])(?:\d+(?:ms|[smhdwy]))*)(?::(\d+(?:ms|[smhdwy])(?:\d+(?:ms|[smhdwy]))*)?)?\]/g,
    (_match, range: string, step: string | undefined) =>
      `[${scaleDuration(range, scale, scale.minRangeMs)}${step === undefined ? "" : `:${scaleDuration(step, scale)}`}]`,
  );
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** The Prometheus rule file with every duration scaled (see {@link TimeScale}). */
export function scaleAlertRules(text: string, scale: TimeScale): string {
  const document = record(parse(text));
  const groups = document?.groups;
  if (!Array.isArray(groups)) throw new Error("chaos time scale: the rule file has no groups");
  for (const group of groups.map(record)) {
    if (group === undefined) continue;
    if (typeof group.interval === "string") group.interval = scaleDuration(group.interval, scale);
    for (const rule of Array.isArray(group.rules) ? group.rules.map(record) : []) {
      if (rule === undefined) continue;
      if (typeof rule.expr === "string") rule.expr = scalePromqlRanges(rule.expr, scale);
      if (typeof rule.for === "string") rule.for = scaleDuration(rule.for, scale);
      if (typeof rule.keep_firing_for === "string")
        rule.keep_firing_for = scaleDuration(rule.keep_firing_for, scale);
    }
  }
  return stringify(document, { lineWidth: 0 });
}

function scaleVerify(verify: unknown, scale: TimeScale): void {
  const fields = record(verify);
  if (fields === undefined) return;
  if (typeof fields.timeout === "string") fields.timeout = scaleDuration(fields.timeout, scale);
  if (typeof fields.interval === "string") fields.interval = scaleDuration(fields.interval, scale);
  const promql = record(fields.promql);
  if (promql !== undefined && typeof promql.query === "string") {
    promql.query = scalePromqlRanges(promql.query, scale);
  }
}

/** A runbook file (one or more YAML documents) with every duration scaled (see {@link TimeScale}). */
export function scaleRunbooks(text: string, scale: TimeScale): string {
  const documents = parseAllDocuments(text);
  if (!Array.isArray(documents)) throw new Error("chaos time scale: the runbook file is empty");
  return documents
    .map((document) => {
      const runbook = record(document.toJS());
      if (runbook === undefined) return "";
      scaleVerify(runbook.verify, scale);
      for (const step of Array.isArray(runbook.steps) ? runbook.steps.map(record) : []) {
        if (step !== undefined) scaleVerify(step.verify, scale);
      }
      const guards = record(runbook.guards);
      if (guards !== undefined && typeof guards.cooldown === "string") {
        guards.cooldown = scaleDuration(guards.cooldown, scale);
      }
      return stringify(runbook, { lineWidth: 0 });
    })
    .filter((document) => document !== "")
    .join("---\n");
}
