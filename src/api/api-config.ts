import { z } from "zod";

/** Defaults of the `api:` config section (and of `presage serve`). */
export const API_DEFAULTS = {
  port: 8080,
  host: "0.0.0.0",
  /** Per token; generous for people and dashboards, low enough to stop a runaway client. */
  requestsPerSecond: 100,
  bodyLimitBytes: 64 * 1024,
} as const;

/** The `api:` section of the config file: the HTTP API of the service. */
export const apiConfigSchema = z
  .object({
    port: z.number().int().min(0).max(65_535).default(API_DEFAULTS.port),
    host: z.string().min(1, "must not be empty").default(API_DEFAULTS.host),
    tokens: z
      .array(
        z
          .object({
            name: z.string().min(1, "must not be empty"),
            role: z.enum(["read", "admin"]),
            // Checked by resolveApiTokens, whose messages never echo a secret (config errors quote values).
            token: z.string(),
          })
          .strict(),
      )
      .default([]),
    /** A file (e.g. a mounted Secret) with `name:role:token` entries. */
    tokenFile: z.string().min(1, "must not be empty").optional(),
    rateLimit: z
      .object({
        /** Sustained requests per second per token; 0 turns the limit off. */
        requestsPerSecond: z.number().min(0).default(API_DEFAULTS.requestsPerSecond),
        /** Bucket size. Defaults to twice `requestsPerSecond`. */
        burst: z.number().min(1).optional(),
      })
      .strict()
      .default({ requestsPerSecond: API_DEFAULTS.requestsPerSecond }),
    bodyLimitBytes: z
      .number()
      .int()
      .min(1024)
      .max(16 * 1024 * 1024)
      .default(API_DEFAULTS.bodyLimitBytes),
  })
  .strict();

/** The `api:` section after validation, defaults applied. */
export interface ResolvedApiConfig {
  readonly port: number;
  readonly host: string;
  readonly tokens: readonly {
    readonly name: string;
    readonly role: "read" | "admin";
    readonly token: string;
  }[];
  readonly tokenFile?: string;
  readonly rateLimit: { readonly requestsPerSecond: number; readonly burst?: number };
  readonly bodyLimitBytes: number;
}

/** The parsed section as the resolved config carries it; the token file path resolves against `resolvePath`. */
export function resolveApiConfig(
  parsed: z.infer<typeof apiConfigSchema>,
  resolvePath: (path: string) => string,
): ResolvedApiConfig {
  return {
    port: parsed.port,
    host: parsed.host,
    tokens: parsed.tokens,
    ...(parsed.tokenFile === undefined ? {} : { tokenFile: resolvePath(parsed.tokenFile) }),
    rateLimit: {
      requestsPerSecond: parsed.rateLimit.requestsPerSecond,
      ...(parsed.rateLimit.burst === undefined ? {} : { burst: parsed.rateLimit.burst }),
    },
    bodyLimitBytes: parsed.bodyLimitBytes,
  };
}
