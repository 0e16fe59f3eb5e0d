import type {
  CapacityListJson,
  CapacityTargetResponseJson,
  DecisionJson,
  ForecastJson,
  GuardStateJson,
  IncidentJson,
  ModelVersionJson,
  ProblemJson,
  RemediationStatsJson,
  SeriesJson,
  TargetJson,
} from "./api-types.js";

/**
 * What went wrong talking to the API. `unauthorized`, `forbidden` and `network` concern the whole
 * dashboard (shown in the banner); the others concern one panel (shown in it).
 */
export const DashboardApiErrorKind = {
  /** 401: no token, or a token the server does not know. */
  unauthorized: "unauthorized",
  /** 403: the token is valid but may not read this. */
  forbidden: "forbidden",
  /** The server could not be reached, or did not answer in time. */
  network: "network",
  /** 404: no such target, or a part the server does not run (its `code` says which). */
  notFound: "not-found",
  /** Any other non-2xx answer (409 no model yet, 503 dependency down…). */
  http: "http",
  /** A 2xx answer that is not the JSON expected. */
  badResponse: "bad-response",
} as const;
export type DashboardApiErrorKind = (typeof DashboardApiErrorKind)[keyof typeof DashboardApiErrorKind];

export class DashboardApiError extends Error {
  override readonly name = "DashboardApiError";
  constructor(
    readonly kind: DashboardApiErrorKind,
    message: string,
    readonly status?: number,
    readonly code?: string,
  ) {
    super(message);
  }

  /** True for failures that make every panel fail alike, so they belong in the page banner. */
  get global(): boolean {
    return (
      this.kind === DashboardApiErrorKind.unauthorized ||
      this.kind === DashboardApiErrorKind.forbidden ||
      this.kind === DashboardApiErrorKind.network
    );
  }
}

export interface DashboardApiOptions {
  /** Origin and path prefix of the API. @defaultValue `""` (same origin as the page) */
  readonly baseUrl?: string;
  /** Bearer token sent with every request. */
  readonly token: string;
  /** Per-request timeout. @defaultValue 8000 */
  readonly timeoutMs?: number;
}

/** A thin typed client of the read-only `/api/v1` routes the dashboard shows. */
export class DashboardApi {
  private readonly baseUrl: string;
  private readonly timeoutMs: number;

  constructor(private readonly options: DashboardApiOptions) {
    this.baseUrl = options.baseUrl ?? "";
    this.timeoutMs = options.timeoutMs ?? 8000;
  }

  async targets(): Promise<TargetJson[]> {
    const body = await this.get<{ targets: TargetJson[] }>("/api/v1/targets");
    return arrayField(body, "targets");
  }

  forecast(target: string, horizon: string, levels: readonly number[]): Promise<ForecastJson> {
    const query = new URLSearchParams({ horizon, levels: levels.join(",") });
    return this.get<ForecastJson>(`${targetPath(target)}/forecast?${query.toString()}`);
  }

  history(target: string, range: string): Promise<SeriesJson> {
    const query = new URLSearchParams({ range });
    return this.get<SeriesJson>(`${targetPath(target)}/history?${query.toString()}`);
  }

  async decisions(target: string, limit: number): Promise<DecisionJson[]> {
    const query = new URLSearchParams({ target, limit: String(limit) });
    const body = await this.get<{ decisions: DecisionJson[] }>(`/api/v1/decisions?${query.toString()}`);
    return arrayField(body, "decisions");
  }

  async models(target: string): Promise<ModelVersionJson[]> {
    const body = await this.get<{ models: ModelVersionJson[] }>(`${targetPath(target)}/models`);
    return arrayField(body, "models");
  }

  /** Every capacity target's runway and ticket (no time series). */
  async capacity(): Promise<CapacityListJson> {
    const body = await this.get<CapacityListJson>("/api/v1/capacity");
    expectArrayField(body, "targets");
    return body;
  }

  /** One capacity target's resources with the newest `historyDays` of daily usage and the forecast. */
  async capacityTarget(name: string, historyDays: number): Promise<CapacityTargetResponseJson> {
    const query = new URLSearchParams({ historyDays: String(historyDays) });
    const body = await this.get<CapacityTargetResponseJson>(
      `/api/v1/capacity/${encodeURIComponent(name)}?${query.toString()}`,
    );
    expectArrayField(body, "resources");
    return body;
  }

  /** The newest `limit` self-healing incidents, newest first, each with its timeline. */
  async incidents(limit: number): Promise<IncidentJson[]> {
    const query = new URLSearchParams({ limit: String(limit) });
    const body = await this.get<{ incidents: IncidentJson[] }>(
      `/api/v1/remediation/incidents?${query.toString()}`,
    );
    return arrayField(body, "incidents");
  }

  /** Self-healing outcome rates over the whole incident ledger. */
  remediationStats(): Promise<RemediationStatsJson> {
    return this.get<RemediationStatsJson>("/api/v1/remediation/stats");
  }

  /** Remediation guard state (circuit breakers, in-flight work). */
  remediationGuards(): Promise<GuardStateJson> {
    return this.get<GuardStateJson>("/api/v1/remediation/guards");
  }

  private async get<T>(path: string): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        headers: { authorization: `Bearer ${this.options.token}`, accept: "application/json" },
        signal: AbortSignal.timeout(this.timeoutMs),
        cache: "no-store",
      });
    } catch (error) {
      const reason =
        error instanceof DOMException && error.name === "TimeoutError"
          ? `no answer within ${this.timeoutMs / 1000} s`
          : error instanceof Error
            ? error.message
            : String(error);
      throw new DashboardApiError(DashboardApiErrorKind.network, `cannot reach the presage API: ${reason}`);
    }
    if (!response.ok) throw await problemError(response);
    try {
      return (await response.json()) as T;
    } catch {
      throw new DashboardApiError(
        DashboardApiErrorKind.badResponse,
        `GET ${path} answered ${response.status} with a body that is not JSON`,
        response.status,
      );
    }
  }
}

/** True when `reason` is a failure every panel shares (bad token, server unreachable). */
export function isPageWide(reason: unknown): boolean {
  return reason instanceof DashboardApiError && reason.global;
}

export function errorMessage(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}

function targetPath(target: string): string {
  return `/api/v1/targets/${encodeURIComponent(target)}`;
}

function arrayField<K extends string, T>(body: Record<K, T[]>, field: K): T[] {
  const value = (body as Partial<Record<K, unknown>>)[field];
  if (!Array.isArray(value)) {
    throw new DashboardApiError(DashboardApiErrorKind.badResponse, `the API answer has no "${field}" list`);
  }
  return value as T[];
}

/** Throws `badResponse` unless `body[field]` is a list (the answer is not what this client expects). */
function expectArrayField(body: unknown, field: string): void {
  const value =
    typeof body === "object" && body !== null ? (body as Record<string, unknown>)[field] : undefined;
  if (!Array.isArray(value)) {
    throw new DashboardApiError(DashboardApiErrorKind.badResponse, `the API answer has no "${field}" list`);
  }
}

async function problemError(response: Response): Promise<DashboardApiError> {
  let problem: ProblemJson = {};
  try {
    problem = (await response.json()) as ProblemJson;
  } catch {
    // Not problem+json (a proxy's HTML page, say): the status alone has to do.
  }
  const said = [problem.title, problem.detail].filter((part) => part !== undefined && part !== "").join(": ");
  const code = problem.code;
  const suffix = `${response.status}${code === undefined ? "" : ` ${code}`}`;
  switch (response.status) {
    case 401:
      return new DashboardApiError(
        DashboardApiErrorKind.unauthorized,
        `the API rejected the token (${suffix})${said === "" ? "" : `: ${said}`}`,
        401,
        code,
      );
    case 403:
      return new DashboardApiError(
        DashboardApiErrorKind.forbidden,
        `this token may not read the dashboard's data (${suffix})${said === "" ? "" : `: ${said}`}`,
        403,
        code,
      );
    case 404:
      return new DashboardApiError(
        DashboardApiErrorKind.notFound,
        said || `not found (${suffix})`,
        404,
        code,
      );
    default:
      return new DashboardApiError(
        DashboardApiErrorKind.http,
        `${said || response.statusText || "request failed"} (${suffix})`,
        response.status,
        code,
      );
  }
}
