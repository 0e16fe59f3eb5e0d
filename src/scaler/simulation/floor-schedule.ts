import { decideFloor } from "../decide-floor.js";
import type { FloorPolicy, FloorReason } from "../floor-decision.js";
import type { ForecastRequirements } from "./forecast-requirements.js";

/** presage's floor (the HPA's `minReplicas`) at every presage tick of a replay, for one quantile. */
export interface FloorSchedule {
  readonly quantile: number;
  /** Floor from the start of each step. */
  readonly floors: Int32Array;
  /** How many ticks ended with each decision reason. */
  readonly reasons: Readonly<Partial<Record<FloorReason, number>>>;
}

/**
 * Runs the scaler's decide step (`decideFloor`) at the start of every step, as the loop would with
 * the replay's forecasts: the newest forecast made so far is offered with the time of its newest
 * data point, so a forecast that stopped coming (gap, dropped model) goes stale under the policy's
 * `maxForecastAgeMs` and the floor returns to the baseline. No outage guard: a trace has no error rate.
 */
export function floorSchedule(
  requirements: ForecastRequirements,
  quantile: number,
  timing: { readonly startMs: number; readonly stepSeconds: number },
  policy: FloorPolicy,
): FloorSchedule {
  const index = requirements.quantiles.indexOf(quantile);
  const required = requirements.requiredReplicas[index];
  if (required === undefined) {
    throw new RangeError(
      `floorSchedule: no forecast for quantile ${quantile} (forecast for ${requirements.quantiles.join(", ")})`,
    );
  }
  const floors = new Int32Array(required.length);
  const reasons: Partial<Record<FloorReason, number>> = {};
  let floor = policy.baselineMinReplicas;
  let lowSinceMs: number | undefined;
  let latest: { requiredReplicas: number; createdAtMs: number } | undefined;
  for (let step = 0; step < required.length; step++) {
    const replicas = required[step] ?? Number.NaN;
    const createdAtMs = requirements.dataEndMs[step] ?? Number.NaN;
    if (Number.isFinite(replicas) && Number.isFinite(createdAtMs))
      latest = { requiredReplicas: replicas, createdAtMs };
    const decision = decideFloor({
      nowMs: timing.startMs + step * timing.stepSeconds * 1000,
      policy,
      currentFloor: floor,
      ...(latest === undefined ? { forecastError: "no model yet" } : { forecast: latest }),
      outage: false,
      ...(lowSinceMs === undefined ? {} : { lowSinceMs }),
    });
    floor = decision.floor;
    lowSinceMs = decision.lowSinceMs;
    floors[step] = floor;
    reasons[decision.reason] = (reasons[decision.reason] ?? 0) + 1;
  }
  return { quantile, floors, reasons };
}
