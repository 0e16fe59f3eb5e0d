import { z } from "zod";
import { parseDurationMs, parseDurationSeconds } from "./duration.js";

/**
 * A config string that `parse` reads as a duration; anything else fails with "must be a duration such
 * as `examples`". Sections with their own units (capacity's years) pass their own parser.
 */
export function durationSchema(parse: (text: string) => number | undefined, examples: string): z.ZodString {
  return z.string().refine((text) => parse(text) !== undefined, {
    error: `must be a duration such as ${examples}`,
  });
}

/** A Prometheus-style duration: `30s`, `5m`, `1h30m`, `14d`, `1w` (see {@link parseDurationSeconds}). */
export const secondsDurationSchema = durationSchema(parseDurationSeconds, "30s, 5m, 1h, 14d or 1w");

/** A Prometheus-style duration or milliseconds: `500ms`, `30s`, `1h` (see {@link parseDurationMs}). */
export const millisecondsDurationSchema = durationSchema(parseDurationMs, "500ms, 30s, 5m or 1h");
