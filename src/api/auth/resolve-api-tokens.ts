import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { ConfigError, type ConfigProblem } from "../../config/presage-config.js";
import { ApiRole, type ApiToken } from "./api-token.js";

/** Environment variable with tokens as `name:role:token,…`. */
export const API_TOKENS_ENV = "PRESAGE_API_TOKENS";

/** Where tokens may come from; all given sources are combined. */
export interface ApiTokenSources {
  /** From the config file's `api.tokens`. @defaultValue none */
  readonly configured?: readonly ApiToken[];
  /**
   * A file (e.g. a mounted Kubernetes Secret) with `name:role:token` entries, one per line or comma
   * separated; blank lines and lines starting with `#` are ignored. @defaultValue none
   */
  readonly tokenFile?: string;
  /** The value of {@link API_TOKENS_ENV}. @defaultValue none */
  readonly env?: string;
  /**
   * With no token from any source, generate a read and an admin token for this run (embedded mode);
   * otherwise a service without tokens refuses to start. @defaultValue false
   */
  readonly generateWhenNone?: boolean;
}

/** The tokens the API accepts, and which of them were generated for this run (to be printed). */
export interface ResolvedApiTokens {
  readonly tokens: readonly ApiToken[];
  readonly generated: readonly ApiToken[];
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const SECRET = /^[\x21-\x7e]{16,512}$/;

/**
 * Collects the API tokens from config, a token file and the environment, checks them all at once
 * (names unique, roles read/admin, secrets of 16–512 printable ASCII characters without spaces, no
 * secret used twice) and, in embedded mode with none configured, generates a read and an
 * admin token (`presage_` and 32 random bytes, base64url).
 *
 * @throws ConfigError naming every bad entry (by source and position, never echoing a secret).
 */
export async function resolveApiTokens(sources: ApiTokenSources): Promise<ResolvedApiTokens> {
  const problems: ConfigProblem[] = [];
  const tokens: ApiToken[] = [];
  sources.configured?.forEach((token, index) => {
    tokens.push(token);
    checkToken(token, `api.tokens[${index}]`, problems);
  });
  if (sources.tokenFile !== undefined) {
    let text: string | undefined;
    try {
      text = await readFile(sources.tokenFile, "utf8");
    } catch (error) {
      problems.push({
        field: "api.tokenFile",
        value: JSON.stringify(sources.tokenFile),
        rule: `cannot be read: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
    if (text !== undefined) tokens.push(...parseTokenList(text, sources.tokenFile, problems));
  }
  if (sources.env !== undefined && sources.env.trim() !== "") {
    tokens.push(...parseTokenList(sources.env, API_TOKENS_ENV, problems));
  }
  const names = new Set<string>();
  const secrets = new Set<string>();
  for (const token of tokens) {
    if (names.has(token.name)) {
      problems.push({ field: "api tokens", value: JSON.stringify(token.name), rule: "name is used twice" });
    }
    if (secrets.has(token.token)) {
      problems.push({ field: `api token "${token.name}"`, rule: "reuses the secret of another token" });
    }
    names.add(token.name);
    secrets.add(token.token);
  }
  if (problems.length > 0) throw new ConfigError("API tokens", problems);
  if (tokens.length > 0 || sources.generateWhenNone !== true) return { tokens, generated: [] };
  const generated: ApiToken[] = [
    { name: "generated-read", role: ApiRole.read, token: randomToken() },
    { name: "generated-admin", role: ApiRole.admin, token: randomToken() },
  ];
  return { tokens: generated, generated };
}

/** Parses `name:role:token` entries (comma or newline separated) of one source. */
function parseTokenList(text: string, source: string, problems: ConfigProblem[]): ApiToken[] {
  const tokens: ApiToken[] = [];
  const entries = text
    .split(/[\n,]/)
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "" && !entry.startsWith("#"));
  entries.forEach((entry, index) => {
    const field = `${source} entry ${index + 1}`;
    const parts = entry.split(":");
    if (parts.length !== 3) {
      problems.push({ field, rule: "must be name:role:token (three parts separated by ':')" });
      return;
    }
    const [name = "", role = "", token = ""] = parts;
    const candidate = { name, role: role as ApiRole, token };
    if (checkToken(candidate, field, problems)) tokens.push(candidate);
  });
  return tokens;
}

function checkToken(token: ApiToken, field: string, problems: ConfigProblem[]): boolean {
  const before = problems.length;
  if (!NAME.test(token.name)) {
    problems.push({
      field: `${field}.name`,
      value: JSON.stringify(token.name),
      rule: "must be 1–64 of A-Z, a-z, 0-9, '.', '_' or '-', starting alphanumeric",
    });
  }
  const role: string = token.role;
  if (role !== ApiRole.read && role !== ApiRole.admin) {
    problems.push({
      field: `${field}.role`,
      value: JSON.stringify(token.role),
      rule: "must be read or admin",
    });
  }
  if (!SECRET.test(token.token)) {
    // The value is a secret: say what is wrong without echoing it.
    problems.push({
      field: `${field}.token`,
      rule: `must be 16–512 printable ASCII characters without spaces (got ${token.token.length} characters)`,
    });
  }
  return problems.length === before;
}

/**
 * `presage_` and 32 random bytes in base64url. The prefix lets secret scanners and people recognise
 * the token, and keeps it from starting with "-" (1 in 64 base64url strings does), which command-line
 * parsers take for a flag: `presage forecast --token -x…` would fail.
 */
function randomToken(): string {
  return `presage_${randomBytes(32).toString("base64url")}`;
}
