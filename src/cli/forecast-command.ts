import type { Forecast } from "../../models/forecast.js";
import type { ForecastView, SeriesView } from "../api/presage-backend.js";
import { parseDurationSeconds } from "../config/duration.js";
import { CliError } from "./cli-error.js";
import { parseCliArgs } from "./parse-cli-args.js";
import { renderForecastChart } from "./terminal-chart.js";
import { formatTable } from "./text-table.js";

/** Where `presage serve` listens unless told otherwise. */
const DEFAULT_API_URL = "http://127.0.0.1:8080";
/** Most table rows printed; longer forecasts are shown every k-th step. */
const MAX_TABLE_ROWS = 48;
/** The chart shows at least this many steps of history, and at least three horizons. */
const MIN_HISTORY_STEPS = 48;
/** The API's history limit (api-schemas.ts MAX_HISTORY_SECONDS). */
const MAX_HISTORY_SECONDS = 35 * 86_400;

/** A failed API call, said in a line a person can act on (exit code 1, no stack). */
class ApiClientError extends Error {
  override readonly name = "ApiClientError";
}

/**
 * `presage forecast <target> --horizon 30m`: asks a running presage API for the target's forecast
 * and prints it as a table (time, forecast, interval bounds) and a terminal chart with recent
 * history; `--json` prints the API's forecast document instead. Returns the exit code: 0, 1 when
 * the API could not be reached or refused (connection refused, 401, 404… each said plainly); bad
 * flags throw `CliError` (exit 2).
 */
export async function runForecastCommand(argv: readonly string[]): Promise<number> {
  const [target, ...rest] = argv;
  if (target === undefined || target.startsWith("-")) {
    throw new CliError("forecast needs a target name first: presage forecast <target> [--horizon 30m]");
  }
  const values = parseCliArgs(rest, {
    horizon: { type: "string", default: "30m" },
    levels: { type: "string", default: "80,95" },
    url: { type: "string" },
    token: { type: "string" },
    json: { type: "boolean", default: false },
    "timeout-ms": { type: "string", default: "10000" },
  });
  if (parseDurationSeconds(values.horizon) === undefined) {
    throw new CliError(
      `--horizon (${JSON.stringify(values.horizon)}) must be a duration such as 30m, 2h or 1d`,
    );
  }
  const levels = parseLevels(values.levels);
  const timeoutMs = Number(values["timeout-ms"]);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
    throw new CliError(`--timeout-ms (${values["timeout-ms"]}) must be a positive integer`);
  }
  const baseUrl = parseBaseUrl(values.url ?? process.env.PRESAGE_API_URL ?? DEFAULT_API_URL);
  const token = values.token ?? process.env.PRESAGE_API_TOKEN;
  const client = new ApiClient(baseUrl, token, timeoutMs);

  try {
    const query = new URLSearchParams({ horizon: values.horizon, levels: levels.join(",") });
    const forecast = await client.get<ForecastView>(
      `/api/v1/targets/${encodeURIComponent(target)}/forecast?${query.toString()}`,
      target,
    );
    if (values.json) {
      process.stdout.write(`${JSON.stringify(forecast, null, 2)}\n`);
      return 0;
    }
    const history = await client
      .get<SeriesView>(
        `/api/v1/targets/${encodeURIComponent(target)}/history?range=${historyRangeSeconds(forecast)}s`,
        target,
      )
      .catch((error: unknown) => {
        // The chart can do without history; the forecast itself arrived.
        process.stderr.write(`presage forecast: no history for the chart: ${errorText(error)}\n`);
        return undefined;
      });
    process.stdout.write(formatForecastReport(forecast, history, { color: process.stdout.isTTY }));
    return 0;
  } catch (error) {
    if (error instanceof ApiClientError) {
      process.stderr.write(`presage forecast: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

/** The header, table, chart and notes printed for one forecast. */
export function formatForecastReport(
  forecast: ForecastView,
  history: SeriesView | undefined,
  options: { readonly color?: boolean; readonly width?: number } = {},
): string {
  const lines: string[] = [
    `${forecast.target}: ${forecast.model} v${forecast.modelVersion}, ${forecast.mean.length} steps of ` +
      `${forecast.stepSeconds} s from ${isoMinute(forecast.dataEndMs)} (computed ${isoMinute(forecast.computedAtMs)})`,
    "",
  ];
  const intervals = [...forecast.intervals].sort((a, b) => a.level - b.level);
  const every = Math.max(1, Math.ceil(forecast.mean.length / MAX_TABLE_ROWS));
  const rows: (string | number)[][] = [];
  for (let step = every - 1; step < forecast.mean.length; step += every) {
    rows.push([
      isoMinute(forecast.timesMs[step] ?? Number.NaN),
      orNaN(forecast.mean[step]),
      ...intervals.flatMap((interval) => [orNaN(interval.lower[step]), orNaN(interval.upper[step])]),
    ]);
  }
  lines.push(
    formatTable(
      [
        "time (UTC)",
        "forecast",
        ...intervals.flatMap((interval) => [`lo${interval.level}`, `hi${interval.level}`]),
      ],
      rows,
    ),
  );
  if (every > 1) lines.push(`(every ${every}th step of ${forecast.mean.length})`);
  const chartForecast: Forecast = {
    model: forecast.model,
    mean: forecast.mean.map(orNaN),
    intervals: intervals.map((interval) => ({
      level: interval.level,
      lower: interval.lower.map(orNaN),
      upper: interval.upper.map(orNaN),
    })),
    notes: forecast.notes,
  };
  const historyValues = (history?.values ?? []).map(orNaN);
  lines.push(
    "",
    renderForecastChart(historyValues, chartForecast, {
      color: options.color ?? false,
      width: options.width ?? Math.max(40, Math.min(100, (process.stdout.columns || 110) - 12)),
    }),
  );
  for (const note of forecast.notes) lines.push(`note: ${note}`);
  return `${lines.join("\n")}\n`;
}

class ApiClient {
  constructor(
    private readonly baseUrl: URL,
    private readonly token: string | undefined,
    private readonly timeoutMs: number,
  ) {}

  async get<T>(path: string, target: string): Promise<T> {
    const url = new URL(path, this.baseUrl);
    let response: Response;
    try {
      response = await fetch(url, {
        headers: {
          accept: "application/json",
          ...(this.token === undefined ? {} : { authorization: `Bearer ${this.token}` }),
        },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new ApiClientError(this.unreachable(error), { cause: error });
    }
    const text = await response.text().catch(() => "");
    if (!response.ok) throw new ApiClientError(this.refused(response.status, text, target));
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw new ApiClientError(`${url.origin} answered ${response.status} with a body that is not JSON`, {
        cause: error,
      });
    }
  }

  private unreachable(error: unknown): string {
    const origin = this.baseUrl.origin;
    const code = causeCode(error);
    const hint = "is `presage serve` running there? (set --url or PRESAGE_API_URL)";
    if (error instanceof DOMException && error.name === "TimeoutError") {
      return `the presage API at ${origin} did not answer within ${this.timeoutMs} ms`;
    }
    if (code === "ECONNREFUSED")
      return `cannot connect to the presage API at ${origin}: connection refused; ${hint}`;
    if (code === "ENOTFOUND" || code === "EAI_AGAIN") {
      return `cannot connect to the presage API at ${origin}: host ${this.baseUrl.hostname} not found`;
    }
    return `cannot connect to the presage API at ${origin}: ${code ?? innermostMessage(error)}; ${hint}`;
  }

  private refused(status: number, body: string, target: string): string {
    const problem = parseProblem(body);
    const said = `${status}${problem.code === undefined ? "" : ` ${problem.code}`}${
      problem.detail === undefined ? "" : `: ${problem.detail}`
    }`;
    switch (status) {
      case 401:
        return this.token === undefined
          ? `the API needs a token (${said}); pass --token or set PRESAGE_API_TOKEN (\`presage serve\` prints one)`
          : `the API rejected the token (${said}); check --token or PRESAGE_API_TOKEN`;
      case 403:
        return `the token may not read forecasts (${said}); use a token with the read or admin role`;
      case 404:
        return problem.code === "PRESAGE_API_UNKNOWN_TARGET"
          ? `unknown target ${JSON.stringify(target)} (${said}); \`curl ${this.baseUrl.origin}/api/v1/targets\` lists them`
          : `not found (${said}); is ${this.baseUrl.origin} a presage API?`;
      default:
        return `the API answered ${said}`;
    }
  }
}

function parseLevels(text: string): number[] {
  const parts = text.split(",").map((part) => part.trim());
  const levels = parts.map(Number);
  if (
    parts.length === 0 ||
    parts.length > 5 ||
    parts.some((part) => part === "") ||
    levels.some((level) => !(level >= 50 && level < 100))
  ) {
    throw new CliError(
      `--levels (${JSON.stringify(text)}) must be 1–5 comma-separated numbers, each ≥ 50 and < 100`,
    );
  }
  return levels;
}

function parseBaseUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch (error) {
    throw new CliError(`--url (${JSON.stringify(text)}) must be an http(s) URL such as ${DEFAULT_API_URL}`, {
      cause: error,
    });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new CliError(`--url (${JSON.stringify(text)}) must be an http or https URL`);
  }
  return url;
}

/** Seconds of history for the chart: three horizons, at least MIN_HISTORY_STEPS steps, at most 35 days. */
function historyRangeSeconds(forecast: ForecastView): number {
  const horizonSeconds = forecast.mean.length * forecast.stepSeconds;
  return Math.min(
    MAX_HISTORY_SECONDS,
    Math.max(3 * horizonSeconds, MIN_HISTORY_STEPS * forecast.stepSeconds),
  );
}

function parseProblem(body: string): { code?: string; detail?: string } {
  try {
    const parsed = JSON.parse(body) as { code?: unknown; detail?: unknown };
    return {
      ...(typeof parsed.code === "string" ? { code: parsed.code } : {}),
      ...(typeof parsed.detail === "string" ? { detail: parsed.detail } : {}),
    };
  } catch {
    return {};
  }
}

/** undici wraps socket errors: `TypeError: fetch failed` with the system error (and its code) as cause. */
function causeCode(error: unknown): string | undefined {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") return code;
    if (current instanceof AggregateError) {
      const inner: unknown = current.errors[0];
      const innerCode = (inner as { code?: unknown } | undefined)?.code;
      if (typeof innerCode === "string") return innerCode;
    }
  }
  return undefined;
}

/** The message of the deepest `cause` ("fetch failed" says less than the "bad port" under it). */
function innermostMessage(error: unknown): string {
  let current: unknown = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return errorText(current);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function orNaN(value: number | null | undefined): number {
  return value === null || value === undefined ? Number.NaN : value;
}

function isoMinute(epochMs: number): string {
  return Number.isFinite(epochMs) ? new Date(epochMs).toISOString().slice(0, 16).replace("T", " ") : "—";
}
