import { z } from "zod";
import { errorMessage, RemediationError, RemediationErrorCode } from "../remediation-error.js";
import { compileMatcher, type CompiledMatcher, type MatchOperator } from "./label-matcher.js";
import type { Silence } from "./silence.js";

/** Where silences come from (Alertmanager's API; a fixed list in tests). */
export interface SilenceSource {
  /** Active silences; throws `RemediationError` (`silencesUnavailable`) when they cannot be read. */
  activeSilences(): Promise<readonly Silence[]>;
}

/** Options of {@link AlertmanagerSilences}. */
export interface AlertmanagerSilencesOptions {
  /** Alertmanager's base URL, e.g. `http://alertmanager:9093`. */
  readonly url: string;
  /** Deadline of one request. @defaultValue 3000 */
  readonly timeoutMs?: number;
  /** How long a successful read is reused. @defaultValue 5000 */
  readonly cacheMs?: number;
  /** Sent as `Authorization: Bearer …` when set. */
  readonly bearerToken?: string;
  /** @defaultValue globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** @defaultValue Date.now */
  readonly now?: () => number;
}

const silencesSchema = z.array(
  z.object({
    id: z.string(),
    status: z.object({ state: z.string() }),
    matchers: z.array(
      z.object({
        name: z.string(),
        value: z.string(),
        isRegex: z.boolean(),
        isEqual: z.boolean().default(true),
      }),
    ),
    startsAt: z.string(),
    endsAt: z.string(),
    createdBy: z.string().default(""),
    comment: z.string().default(""),
  }),
);

/**
 * Alertmanager's silences through its v2 API (`GET /api/v2/silences`), the active ones only, compiled
 * to matchers exactly as Alertmanager applies them (`isEqual: false` negates; regexes anchored). A read
 * is cached for `cacheMs`. Any failure — no answer, non-2xx, unreadable body — throws
 * `silencesUnavailable`: the engine then does not act (fail safe) and pages a human.
 */
export class AlertmanagerSilences implements SilenceSource {
  private readonly url: string;
  private readonly timeoutMs: number;
  private readonly cacheMs: number;
  private readonly headers: Record<string, string>;
  private readonly fetch: typeof fetch;
  private readonly now: () => number;
  private cached: { atMs: number; silences: readonly Silence[] } | undefined;

  constructor(options: AlertmanagerSilencesOptions) {
    this.url = options.url.replace(/\/+$/, "");
    this.timeoutMs = options.timeoutMs ?? 3000;
    this.cacheMs = options.cacheMs ?? 5000;
    this.headers =
      options.bearerToken === undefined ? {} : { authorization: `Bearer ${options.bearerToken}` };
    this.fetch = options.fetch ?? globalThis.fetch;
    this.now = options.now ?? Date.now;
  }

  async activeSilences(): Promise<readonly Silence[]> {
    const nowMs = this.now();
    if (this.cached !== undefined && nowMs - this.cached.atMs < this.cacheMs) return this.cached.silences;
    const where = `${this.url}/api/v2/silences`;
    let body: unknown;
    try {
      const response = await this.fetch(where, {
        headers: this.headers,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      body = await response.json();
    } catch (error) {
      throw new RemediationError(
        RemediationErrorCode.silencesUnavailable,
        `GET ${where} failed: ${errorMessage(error)}`,
        { cause: error },
      );
    }
    const parsed = silencesSchema.safeParse(body);
    if (!parsed.success) {
      throw new RemediationError(
        RemediationErrorCode.silencesUnavailable,
        `GET ${where} answered something other than a list of silences`,
      );
    }
    const silences: Silence[] = [];
    for (const silence of parsed.data) {
      if (silence.status.state !== "active") continue;
      const matchers: CompiledMatcher[] = [];
      for (const matcher of silence.matchers) {
        const operator: MatchOperator = matcher.isRegex
          ? matcher.isEqual
            ? "=~"
            : "!~"
          : matcher.isEqual
            ? "="
            : "!=";
        const compiled = compileMatcher({ name: matcher.name, operator, value: matcher.value });
        // A matcher JavaScript cannot compile (RE2-only syntax such as `(?i)`) matches every alert:
        // the silence then matches more alerts, never fewer — erring towards not acting. (Dropping it
        // would leave a silence of such matchers only with none, which matches nothing.)
        matchers.push(
          typeof compiled === "string"
            ? { name: matcher.name, operator, value: matcher.value, test: () => true }
            : compiled,
        );
      }
      silences.push({
        id: silence.id,
        matchers,
        startsAtMs: Date.parse(silence.startsAt),
        endsAtMs: Date.parse(silence.endsAt),
        createdBy: silence.createdBy,
        comment: silence.comment,
      });
    }
    this.cached = { atMs: nowMs, silences };
    return silences;
  }
}
