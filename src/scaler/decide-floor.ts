import { FloorReason, type FloorDecision, type FloorInput, type FloorPolicy } from "./floor-decision.js";
import { formatDuration } from "./format-duration.js";

/**
 * The scaler's decide step: the HPA floor (`minReplicas`) for one target in one tick. Pure and
 * deterministic: the same input always gives the same decision; time enters only as `nowMs`, and the
 * scale-down timer is carried between ticks as `lowSinceMs`.
 *
 * Rules, in order:
 * 1. **No usable forecast** (missing, failed, stale — older than `maxForecastAgeMs` — or not a
 *    non-negative number): the floor goes back to the declared baseline **at once**, never up. Returning
 *    at once rather than stepwise is safe because lowering `minReplicas` removes no pod by itself: the
 *    HPA keeps the replicas its own metrics justify and applies its own scale-down stabilization; the
 *    floor is only what the owner declared, a state they know and chose. A floor kept above the
 *    baseline without a forecast would be guesswork. Exception: while `outage` is true a raised floor
 *    is held (`hold-outage`), because "never lower during an outage" is the stronger safety rule —
 *    forecasts tend to fail exactly when the service or its metrics are failing, and the retry storm
 *    comes back. Holding is not raising: the floor never goes up without a forecast.
 * 2. **Floor outside [baseline, maxReplicas]** (the owner changed the HPA): clamped into the bounds.
 * 3. **Forecast above the floor**: raised towards it (clamped to `maxReplicas`), by at most `maxStepUp`.
 * 4. **Forecast equal** (after clamping to the bounds): held; the scale-down timer is cleared.
 * 5. **Forecast below the floor**: during an outage, held and the timer cleared (the cooldown starts
 *    over once the service is healthy). Otherwise the timer starts; once the forecast has stayed below
 *    for `scaleDownCooldownMs` the floor is lowered by at most `maxStepDown`, and the timer restarts, so
 *    every further step needs another full cooldown of low forecasts.
 *
 * @throws RangeError when the policy or the current floor break their rules (a programming error: the
 *   loop validates targets and HPAs before deciding).
 */
export function decideFloor(input: FloorInput): FloorDecision {
  assertInput(input);
  const { policy, nowMs, outage } = input;
  const current = input.currentFloor;
  const baseline = policy.baselineMinReplicas;
  const max = policy.maxReplicas;

  const usable = usableForecast(input);
  if (!usable.ok) {
    if (outage && current > baseline) {
      if (current > max) return clampedAboveMax(current, max, `no usable forecast (${usable.problem})`);
      return {
        floor: current,
        reason: FloorReason.holdOutage,
        detail: `no usable forecast (${usable.problem}) and the service is failing: holding ${current} (baseline ${baseline}) until the outage clears`,
      };
    }
    return {
      floor: baseline,
      reason: FloorReason.baselineNoForecast,
      detail:
        current === baseline
          ? `no usable forecast (${usable.problem}): staying at the baseline ${baseline}`
          : `no usable forecast (${usable.problem}): back to the baseline ${current} → ${baseline}`,
    };
  }

  if (current > max) return clampedAboveMax(current, max, "the owner lowered maxReplicas");
  if (current < baseline) {
    return {
      floor: baseline,
      reason: FloorReason.clamped,
      detail: `floor ${current} is below the declared baseline ${baseline}: clamped ${current} → ${baseline}`,
    };
  }

  const required = usable.requiredReplicas;
  const asks = `forecast asks ${required}${usable.detail === undefined ? "" : ` (${usable.detail})`}`;
  const target = Math.min(Math.max(required, baseline), max);

  if (target > current) {
    const floor = Math.min(target, current + policy.maxStepUp);
    const limits = [
      ...(required > max ? [`capped at maxReplicas ${max}`] : []),
      ...(floor < target ? [`step limit +${policy.maxStepUp}`] : []),
    ];
    return {
      floor,
      reason: FloorReason.raise,
      detail: `${asks}, raised ${current} → ${floor}${limits.length === 0 ? "" : ` (${limits.join(", ")})`}`,
    };
  }

  if (target === current) {
    if (required > max) {
      return { floor: current, reason: FloorReason.clamped, detail: `${asks}, held at maxReplicas ${max}` };
    }
    if (required < baseline) {
      return {
        floor: current,
        reason: FloorReason.clamped,
        detail: `${asks}, held at the declared baseline ${baseline}`,
      };
    }
    return { floor: current, reason: FloorReason.hold, detail: `${asks}, holding ${current}` };
  }

  if (outage) {
    return {
      floor: current,
      reason: FloorReason.holdOutage,
      detail: `${asks}, but the service is failing: holding ${current}; the scale-down cooldown starts over after the outage`,
    };
  }
  // A timer from the future (clock stepped back) is not trusted: it restarts now.
  const lowSinceMs =
    input.lowSinceMs !== undefined && Number.isFinite(input.lowSinceMs) && input.lowSinceMs <= nowMs
      ? input.lowSinceMs
      : nowMs;
  const lowForMs = nowMs - lowSinceMs;
  const cooldownMs = policy.scaleDownCooldownMs;
  if (lowForMs >= cooldownMs) {
    const floor = Math.max(target, current - policy.maxStepDown);
    return {
      floor,
      reason: FloorReason.lower,
      detail: `${asks}, below the floor for ${formatDuration(lowForMs)} (cooldown ${formatDuration(cooldownMs)}): lowered ${current} → ${floor}${floor > target ? ` (step limit −${policy.maxStepDown})` : ""}`,
      ...(floor > target ? { lowSinceMs: nowMs } : {}),
    };
  }
  return {
    floor: current,
    reason: FloorReason.holdCooldown,
    detail: `${asks}, below the floor for ${formatDuration(lowForMs)} of the ${formatDuration(cooldownMs)} cooldown: holding ${current}`,
    lowSinceMs,
  };
}

type Usable =
  | { readonly ok: true; readonly requiredReplicas: number; readonly detail?: string }
  | { readonly ok: false; readonly problem: string };

function usableForecast(input: FloorInput): Usable {
  const forecast = input.forecast;
  if (forecast === undefined) {
    const error = input.forecastError?.trim();
    return { ok: false, problem: error === undefined || error === "" ? "no forecast" : error };
  }
  if (!Number.isFinite(forecast.requiredReplicas) || forecast.requiredReplicas < 0) {
    return { ok: false, problem: `the forecast asked for ${forecast.requiredReplicas} replicas` };
  }
  if (!Number.isFinite(forecast.createdAtMs)) {
    return { ok: false, problem: `the forecast has no valid time (${forecast.createdAtMs})` };
  }
  const ageMs = input.nowMs - forecast.createdAtMs;
  if (ageMs > input.policy.maxForecastAgeMs) {
    return {
      ok: false,
      problem: `the forecast is stale: ${formatDuration(ageMs)} old, limit ${formatDuration(input.policy.maxForecastAgeMs)}`,
    };
  }
  // A fractional replica count is rounded up: the forecast's capacity need is a lower bound.
  return {
    ok: true,
    requiredReplicas: Math.ceil(forecast.requiredReplicas),
    ...(forecast.detail === undefined ? {} : { detail: forecast.detail }),
  };
}

function clampedAboveMax(current: number, max: number, why: string): FloorDecision {
  return {
    floor: max,
    reason: FloorReason.clamped,
    detail: `floor ${current} is above maxReplicas ${max} (${why}): clamped ${current} → ${max}`,
  };
}

function assertInput(input: FloorInput): void {
  const policy: FloorPolicy = input.policy;
  const problems: string[] = [];
  const check = (ok: boolean, field: string, value: number, rule: string): void => {
    if (!ok) problems.push(`\`${field}\` (${value}) ${rule}`);
  };
  const isCount = (value: number): boolean => Number.isSafeInteger(value) && value >= 0;
  check(
    isCount(policy.baselineMinReplicas),
    "baselineMinReplicas",
    policy.baselineMinReplicas,
    "must be an integer ≥ 0",
  );
  check(
    isCount(policy.maxReplicas) && policy.maxReplicas >= Math.max(1, policy.baselineMinReplicas),
    "maxReplicas",
    policy.maxReplicas,
    `must be an integer ≥ 1 and ≥ \`baselineMinReplicas\` (${policy.baselineMinReplicas})`,
  );
  check(
    Number.isSafeInteger(policy.maxStepUp) && policy.maxStepUp >= 1,
    "maxStepUp",
    policy.maxStepUp,
    "must be an integer ≥ 1",
  );
  check(
    Number.isSafeInteger(policy.maxStepDown) && policy.maxStepDown >= 1,
    "maxStepDown",
    policy.maxStepDown,
    "must be an integer ≥ 1",
  );
  check(
    Number.isFinite(policy.scaleDownCooldownMs) && policy.scaleDownCooldownMs >= 0,
    "scaleDownCooldownMs",
    policy.scaleDownCooldownMs,
    "must be a finite number ≥ 0",
  );
  check(
    Number.isFinite(policy.maxForecastAgeMs) && policy.maxForecastAgeMs >= 0,
    "maxForecastAgeMs",
    policy.maxForecastAgeMs,
    "must be a finite number ≥ 0",
  );
  check(isCount(input.currentFloor), "currentFloor", input.currentFloor, "must be an integer ≥ 0");
  check(Number.isFinite(input.nowMs), "nowMs", input.nowMs, "must be a finite epoch-ms time");
  if (problems.length > 0) throw new RangeError(`decideFloor: ${problems.join("; ")}`);
}
