/**
 * The JSON the dashboard reads from the presage API (`/api/v1`), as far as it uses it. These mirror
 * the backend port in src/api/presage-backend.ts, which the browser build cannot import (its types
 * pull in Node-side modules); test/e2e/dashboard-browser.test.ts checks at compile time that every
 * backend type is assignable to its mirror here, so the two cannot drift apart silently.
 */

/** Scores are null in JSON when they could not be computed (the API serializes NaN as null). */
export interface BacktestJson {
  readonly horizonSteps: number;
  readonly mase: number | null;
  readonly smape: number | null;
  readonly coverage80: number | null;
  readonly coverage95: number | null;
}

export interface ModelInfoJson {
  readonly version: number;
  readonly modelName: string;
  readonly createdAt: string;
  readonly trainedUntilMs: number;
  readonly backtest: BacktestJson;
}

export interface ScalerInfoJson {
  readonly hpa: string;
  readonly mode: "shadow" | "active";
  readonly podCapacity: number;
  readonly quantile: number;
  readonly leadMs: number;
  readonly windowMs: number;
  readonly floor?: number;
  readonly baselineMinReplicas?: number;
  readonly maxReplicas?: number;
  readonly currentReplicas?: number;
}

/** `GET /api/v1/targets` rows and `GET /api/v1/targets/:name`. */
export interface TargetJson {
  readonly name: string;
  readonly stepSeconds: number;
  readonly unit?: string;
  readonly model?: ModelInfoJson;
  readonly scaler?: ScalerInfoJson;
}

export interface IntervalJson {
  readonly level: number;
  readonly lower: readonly (number | null)[];
  readonly upper: readonly (number | null)[];
}

/** `GET /api/v1/targets/:name/forecast`. */
export interface ForecastJson {
  readonly target: string;
  readonly model: string;
  readonly modelVersion: number;
  readonly stepSeconds: number;
  readonly dataEndMs: number;
  readonly timesMs: readonly number[];
  /** Null where the model produced no finite value. */
  readonly mean: readonly (number | null)[];
  readonly intervals: readonly IntervalJson[];
  readonly notes: readonly string[];
  readonly computedAtMs: number;
}

/** `GET /api/v1/targets/:name/history`. */
export interface SeriesJson {
  readonly target: string;
  readonly stepSeconds: number;
  readonly timesMs: readonly number[];
  readonly values: readonly (number | null)[];
}

/** One row of `GET /api/v1/decisions` (DecisionRecord in src/scaler/scaler-loop.ts). */
export interface DecisionJson {
  readonly atMs: number;
  readonly target: string;
  readonly hpa: string;
  readonly mode: "shadow" | "active";
  readonly acting: boolean;
  readonly currentFloor: number;
  readonly baselineMinReplicas: number;
  readonly maxReplicas: number;
  readonly currentReplicas: number;
  readonly outage: boolean;
  readonly decision: { readonly floor: number; readonly reason: string; readonly detail: string };
  readonly forecast?: {
    readonly requiredReplicas: number;
    readonly peakLoad: number;
    readonly quantile: number;
  };
  readonly forecastError?: string;
  readonly actionError?: string;
}

/** One row of `GET /api/v1/targets/:name/models` (ArtifactSummary in training/registry). */
export interface ModelVersionJson {
  readonly target: string;
  readonly version: number;
  readonly createdAt: string;
  readonly modelKind: string;
  readonly modelName: string;
  readonly backtest: BacktestJson;
  readonly decision: { readonly promoted: boolean; readonly reason: string };
  readonly current: boolean;
}

/** When one forecast quantile first reaches capacity × headroom; nulls: not within the horizon. */
export interface RunwayCrossingJson {
  readonly days: number | null;
  readonly date: string | null;
}

/** A row of `GET /api/v1/capacity` (CapacityTargetSummaryView in src/api/capacity-status-view.ts). */
export interface CapacityTargetSummaryJson {
  readonly name: string;
  readonly resource: string;
  readonly fingerprint: string;
  readonly unit?: string;
  readonly status: "planned" | "unplanned";
  readonly problem?: { readonly code: string; readonly reason: string };
  readonly headroom: number;
  readonly thresholdDays: number;
  readonly horizonDays: number;
  readonly capacity: number | null;
  readonly limit: number | null;
  readonly lastObservedDay: string | null;
  readonly lastObserved: number | null;
  readonly runway: { readonly p50: RunwayCrossingJson; readonly p90: RunwayCrossingJson } | null;
  readonly model: string | null;
  readonly backtest: { readonly horizonDays: number; readonly mape: number | null } | null;
  readonly decision: { readonly action: string; readonly reason: string } | null;
  readonly ticket: {
    readonly status: "open" | "resolved";
    readonly generation: number;
    readonly openedAtMs: number;
    readonly updatedAtMs: number;
    readonly reportedP90Date: string | null;
    readonly pendingDeliveries: number;
  } | null;
  readonly sinks: readonly string[];
  readonly ledger: {
    readonly horizons: readonly {
      readonly horizonDays: number;
      readonly scored: number;
      readonly pending: number;
      readonly mape: number | null;
      readonly within15: number | null;
    }[];
    readonly runway: { readonly scored: number; readonly right: number | null };
  } | null;
}

/** `GET /api/v1/capacity`. */
export interface CapacityListJson {
  readonly plannedAtMs: number;
  readonly targets: readonly CapacityTargetSummaryJson[];
  readonly pendingDeliveries: number;
  readonly notes: readonly string[];
}

/** One resource of `GET /api/v1/capacity/:name`, with its daily usage and forecast. */
export interface CapacityTargetJson extends CapacityTargetSummaryJson {
  readonly usage: { readonly timesMs: readonly number[]; readonly values: readonly (number | null)[] };
  readonly forecast: {
    readonly timesMs: readonly number[];
    readonly p50: readonly number[];
    readonly lower80: readonly number[];
    readonly upper80: readonly number[];
    readonly notes: readonly string[];
  } | null;
}

/** `GET /api/v1/capacity/:name`. */
export interface CapacityTargetResponseJson {
  readonly name: string;
  readonly plannedAtMs: number;
  readonly resources: readonly CapacityTargetJson[];
  readonly notes: readonly string[];
}

/** Where an incident stands (IncidentState in src/remediation/ledger/incident.ts). */
export type IncidentStateJson =
  | "open"
  | "unmatched"
  | "skipped"
  | "dry-run"
  | "awaiting-approval"
  | "rejected"
  | "acting"
  | "healed"
  | "escalated"
  | "closed";

/** A planned step as timelines show it (StepSummary in src/remediation/ledger/incident-event.ts). */
export interface StepSummaryJson {
  readonly index: number;
  readonly description: string;
  readonly target: string;
  readonly onFailure: string;
}

/**
 * One event of an incident's timeline (IncidentEvent, a union by `type`): the fields the dashboard
 * shows, each present only on the event types that carry it. `step` is the 0-based step index.
 */
export interface IncidentEventJson {
  readonly type: string;
  readonly atMs: number;
  readonly alert?: { readonly status: string; readonly startsAtMs: number };
  readonly status?: string;
  readonly runbook?: string;
  readonly mode?: string;
  readonly steps?: readonly StepSummaryJson[];
  readonly step?: number;
  readonly description?: string;
  readonly by?: string;
  readonly reason?: string;
  readonly detail?: string;
  readonly endsAtMs?: number;
  readonly prediction?: { readonly name: string; readonly probability: number };
  readonly outcome?: string;
}

/** A row of `GET /api/v1/remediation/incidents` (Incident in src/remediation/ledger/incident.ts). */
export interface IncidentJson {
  readonly id: string;
  readonly fingerprint: string;
  readonly alertname: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly startsAtMs: number;
  readonly receivedAtMs: number;
  readonly state: IncidentStateJson;
  readonly runbook?: string;
  readonly resolvedAtMs?: number;
  /** Actions applied successfully. */
  readonly actions: number;
  readonly reverted: boolean;
  /** Every event, in the order they happened. */
  readonly timeline: readonly IncidentEventJson[];
  /** Raised by the failure predictor before the failure, not by an alert. */
  readonly preventive: boolean;
  readonly predictionOutcome?: "prevented" | "missed";
  /** Only on healed incidents: alert start → received → first action → healed. */
  readonly mttr?: {
    readonly detectMs: number;
    readonly actMs: number;
    readonly verifyMs: number;
    readonly totalMs: number;
  };
}

/**
 * `GET /api/v1/remediation/stats`: RemediationStats (src/remediation/ledger/remediation-stats.ts)
 * with its MTTR list reduced to the median and p95 (null before the first healed incident). Ratios
 * are 0 when their denominator is.
 */
export interface RemediationStatsJson {
  readonly incidents: number;
  /** Incidents with a matching runbook. */
  readonly covered: number;
  /** Incidents where at least one action was applied. */
  readonly acted: number;
  readonly healed: number;
  readonly escalated: number;
  /** Acted incidents reverted, or whose alert fired again within 30 min of healing. */
  readonly falsePositives: number;
  /** Covered incidents that needed a person. */
  readonly manual: number;
  /** covered / incidents. */
  readonly coverage: number;
  /** healed / acted: the self-healing success rate. */
  readonly successRate: number;
  /** falsePositives / acted. */
  readonly falsePositiveRate: number;
  /** manual / covered. */
  readonly manualInterventionRate: number;
  readonly mttrMedianMs: number | null;
  readonly mttrP95Ms: number | null;
  readonly preventive: number;
  readonly prevented: number;
  readonly missed: number;
  /** prevented / (prevented + missed). */
  readonly preventionRate: number;
}

/** `GET /api/v1/remediation/guards` (GuardState in src/remediation/planning/guard-state.ts), the part shown. */
export interface GuardStateJson {
  /** Per runbook; open while now < openUntilMs, half-open (one trial) after it. */
  readonly breakers: Readonly<Record<string, { readonly failures: number; readonly openUntilMs?: number }>>;
  /** Incidents being remediated now. */
  readonly inflight: Readonly<Record<string, { readonly runbook: string; readonly untilMs: number }>>;
}

/** An `application/problem+json` error body. */
export interface ProblemJson {
  readonly status?: number;
  readonly title?: string;
  readonly detail?: string;
  readonly code?: string;
}
