import { IncidentState, type Incident } from "./incident.js";

/** How long after a healed incident a new one of the same alert counts as the remediation not holding. */
export const REFIRE_WINDOW_MS = 30 * 60_000;

/** Outcome rates over a set of incidents (ratios are 0 when their denominator is 0). */
export interface RemediationStats {
  readonly incidents: number;
  /** Incidents with a matching runbook. */
  readonly covered: number;
  /** Incidents where at least one action was applied. */
  readonly acted: number;
  readonly healed: number;
  readonly escalated: number;
  /** Acted incidents reverted, or whose alert fired again within 30 min of healing. */
  readonly falsePositives: number;
  /** Covered incidents that needed a person: escalated, waiting for or refused approval, skipped with a page. */
  readonly manual: number;
  /** covered / incidents. */
  readonly coverage: number;
  /** healed / acted. */
  readonly successRate: number;
  /** falsePositives / acted. */
  readonly falsePositiveRate: number;
  /** manual / covered. */
  readonly manualInterventionRate: number;
  /** MTTR (alert start → healed) of healed incidents, ms, ascending. */
  readonly mttrMs: readonly number[];
  /** Incidents raised by the failure predictor (before the failure). */
  readonly preventive: number;
  /** Preventive incidents whose failure did not happen within the horizon (+ grace) after acting. */
  readonly prevented: number;
  /** Preventive incidents whose failure happened anyway. */
  readonly missed: number;
  /** prevented / (prevented + missed). */
  readonly preventionRate: number;
}

const ratio = (part: number, whole: number): number => (whole === 0 ? 0 : part / whole);

/** Stats over incidents (any order), pure. */
export function computeRemediationStats(incidents: readonly Incident[]): RemediationStats {
  const byStart = [...incidents].sort((a, b) => a.startsAtMs - b.startsAtMs);
  const lastHealedByFingerprint = new Map<string, Incident>();
  const refired = new Set<string>();
  for (const incident of byStart) {
    const previous = lastHealedByFingerprint.get(incident.fingerprint);
    const previousHealedAt = previous?.timeline.find((event) => event.type === "healed")?.atMs;
    if (
      previous !== undefined &&
      previousHealedAt !== undefined &&
      incident.startsAtMs - previousHealedAt <= REFIRE_WINDOW_MS
    ) {
      refired.add(previous.id);
    }
    if (incident.state === IncidentState.healed) lastHealedByFingerprint.set(incident.fingerprint, incident);
  }
  let covered = 0;
  let acted = 0;
  let healed = 0;
  let escalated = 0;
  let falsePositives = 0;
  let manual = 0;
  let preventive = 0;
  let prevented = 0;
  let missed = 0;
  const mttrMs: number[] = [];
  for (const incident of incidents) {
    if (incident.preventive) preventive += 1;
    if (incident.predictionOutcome === "prevented") prevented += 1;
    if (incident.predictionOutcome === "missed") missed += 1;
    if (incident.runbook !== undefined) covered += 1;
    if (incident.actions > 0) {
      acted += 1;
      if (incident.reverted || refired.has(incident.id)) falsePositives += 1;
    }
    if (incident.state === IncidentState.healed) {
      healed += 1;
      if (incident.mttr !== undefined) mttrMs.push(incident.mttr.totalMs);
    }
    if (incident.state === IncidentState.escalated) escalated += 1;
    if (
      incident.runbook !== undefined &&
      (incident.state === IncidentState.escalated ||
        incident.state === IncidentState.awaitingApproval ||
        incident.state === IncidentState.rejected ||
        incident.timeline.some((event) => event.type === "approved") ||
        (incident.state === IncidentState.skipped &&
          incident.timeline.some(
            (event) =>
              event.type === "denied" ||
              (event.type === "skipped" && event.reason !== "silenced" && event.reason !== "maintenance"),
          )))
    ) {
      manual += 1;
    }
  }
  return {
    incidents: incidents.length,
    covered,
    acted,
    healed,
    escalated,
    falsePositives,
    manual,
    coverage: ratio(covered, incidents.length),
    successRate: ratio(healed, acted),
    falsePositiveRate: ratio(falsePositives, acted),
    manualInterventionRate: ratio(manual, covered),
    mttrMs: mttrMs.sort((a, b) => a - b),
    preventive,
    prevented,
    missed,
    preventionRate: ratio(prevented, prevented + missed),
  };
}
