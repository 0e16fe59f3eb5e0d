import type { HorizonScore, LedgerEntry, RunwayScore } from "./capacity-state.js";
import { DAY_MS, type DailySeries } from "./daily-series.js";
import { sevenDayMeanAt } from "./runway.js";

/** Within this share of the actual 7-day mean, a prediction counts as right. */
export const WITHIN_FRACTION = 0.15;

/**
 * Scores a fingerprint's ledger entries against the observed daily usage (pure). A horizon is scored
 * once its day has been observed: the mean of the 7 days ending at origin + horizon (at least 4 of them
 * observed) against the predicted p50 — absolute percentage error, within ±15%, under p90. The runway
 * date is scored as soon as usage reaches the entry's limit (right when within ±max(7 d, 15% of the
 * predicted days) of the p50 date) or once the whole horizon passed without it (right when no crossing
 * was predicted). Usage is compared with the limit as it was at the origin, so capacity added because of
 * a ticket does not make the forecast look wrong. Entries of other fingerprints are returned as they are.
 */
export function scoreLedger(
  entries: readonly LedgerEntry[],
  fingerprint: string,
  usage: DailySeries,
): LedgerEntry[] {
  const lastDayIndex = usage.values.length - 1;
  return entries.map((entry) => {
    if (entry.fingerprint !== fingerprint) return entry;
    const originMs = Date.parse(entry.originDay);
    const originIndex = Math.round((originMs - usage.startMs) / DAY_MS);
    const after = (days: number): number[] =>
      Array.from({ length: days }, (_, k) => usage.values[originIndex + 1 + k] ?? Number.NaN);
    const scored = new Set(entry.scores.map((score) => score.horizonDays));
    const scores: HorizonScore[] = [...entry.scores];
    for (const prediction of entry.predictions) {
      if (scored.has(prediction.horizonDays)) continue;
      if (originIndex + prediction.horizonDays > lastDayIndex || originIndex + 1 < 0) continue;
      const actual = sevenDayMeanAt(after(prediction.horizonDays), prediction.horizonDays, 4);
      if (!Number.isFinite(actual)) continue;
      const absolutePercentError =
        Math.abs(prediction.p50 - actual) / Math.max(Math.abs(actual), Number.EPSILON);
      scores.push({
        horizonDays: prediction.horizonDays,
        actual,
        absolutePercentError,
        within15: absolutePercentError <= WITHIN_FRACTION,
        belowP90: actual <= prediction.p90,
      });
    }
    const runwayScore = entry.runwayScore ?? scoreRunway(entry, originMs, after, lastDayIndex - originIndex);
    return {
      ...entry,
      scores: scores.sort((a, b) => a.horizonDays - b.horizonDays),
      ...(runwayScore === undefined ? {} : { runwayScore }),
    };
  });
}

function scoreRunway(
  entry: LedgerEntry,
  originMs: number,
  after: (days: number) => number[],
  observedDaysAfter: number,
): RunwayScore | undefined {
  if (observedDaysAfter < 1) return undefined;
  const seen = after(Math.min(entry.horizonDays, observedDaysAfter));
  const crossingIndex = seen.findIndex((value) => Number.isFinite(value) && value >= entry.limit);
  const actualDate =
    crossingIndex < 0 ? null : new Date(originMs + (crossingIndex + 1) * DAY_MS).toISOString().slice(0, 10);
  const predictedDate = entry.runwayP50Date;
  if (actualDate === null) {
    if (observedDaysAfter < entry.horizonDays) return undefined; // not yet known
    return { actualDate, predictedDate, right: predictedDate === null };
  }
  if (predictedDate === null) return { actualDate, predictedDate, right: false };
  const predictedDays = Math.max(0, (Date.parse(predictedDate) - originMs) / DAY_MS);
  const toleranceDays = Math.max(7, WITHIN_FRACTION * predictedDays);
  const offDays = Math.abs(Date.parse(actualDate) - Date.parse(predictedDate)) / DAY_MS;
  return { actualDate, predictedDate, right: offDays <= toleranceDays };
}

/** Accuracy of one fingerprint (or all) at one horizon. */
export interface LedgerHorizonSummary {
  readonly horizonDays: number;
  /** Predictions whose horizon has been observed. */
  readonly scored: number;
  /** Predictions still waiting for their day. */
  readonly pending: number;
  readonly mape: number | null;
  readonly within15: number | null;
  /** Share of actual 7-day means at or under the p90 prediction. */
  readonly belowP90: number | null;
}

export interface LedgerSummary {
  readonly fingerprint: string;
  readonly horizons: readonly LedgerHorizonSummary[];
  readonly runway: { readonly scored: number; readonly right: number | null };
  /** Tickets raised or updated, and how many of their runway dates were right once known. */
  readonly tickets: { readonly recorded: number; readonly scored: number; readonly right: number | null };
}

/**
 * Per fingerprint, how past predictions scored: MAPE and share within ±15% per horizon (forecast
 * entries), share of runway dates that were right, and the same for tickets. This is what `presage
 * capacity` prints and what the API will serve.
 */
export function summarizeLedger(entries: readonly LedgerEntry[]): LedgerSummary[] {
  const byFingerprint = new Map<string, LedgerEntry[]>();
  for (const entry of entries)
    byFingerprint.set(entry.fingerprint, [...(byFingerprint.get(entry.fingerprint) ?? []), entry]);
  return [...byFingerprint.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([fingerprint, all]) => {
      const forecasts = all.filter((entry) => entry.kind === "forecast");
      const tickets = all.filter((entry) => entry.kind === "ticket");
      const horizons = [
        ...new Set(forecasts.flatMap((entry) => entry.predictions.map((p) => p.horizonDays))),
      ].sort((a, b) => a - b);
      return {
        fingerprint,
        horizons: horizons.map((horizonDays) => {
          const scores = forecasts.flatMap((entry) =>
            entry.scores.filter((score) => score.horizonDays === horizonDays),
          );
          const predicted = forecasts.filter((entry) =>
            entry.predictions.some((p) => p.horizonDays === horizonDays),
          ).length;
          return {
            horizonDays,
            scored: scores.length,
            pending: predicted - scores.length,
            mape: share(scores.map((score) => score.absolutePercentError)),
            within15: share(scores.map((score) => (score.within15 ? 1 : 0))),
            belowP90: share(scores.map((score) => (score.belowP90 ? 1 : 0))),
          };
        }),
        runway: runwayShare(forecasts),
        tickets: { recorded: tickets.length, ...runwayShare(tickets) },
      };
    });
}

function runwayShare(entries: readonly LedgerEntry[]): { scored: number; right: number | null } {
  const scored = entries.flatMap((entry) => (entry.runwayScore === undefined ? [] : [entry.runwayScore]));
  return { scored: scored.length, right: share(scored.map((score) => (score.right ? 1 : 0))) };
}

function share(values: readonly number[]): number | null {
  return values.length === 0 ? null : values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** Drops entries recorded more than `keepDays` before `nowMs` (scored or not); keeps the ledger bounded. */
export function pruneLedger(
  entries: readonly LedgerEntry[],
  nowMs: number,
  keepDays = 3 * 365,
): LedgerEntry[] {
  const cutoffMs = nowMs - keepDays * DAY_MS;
  return entries.filter((entry) => entry.recordedAtMs >= cutoffMs);
}
