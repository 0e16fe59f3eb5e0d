import { describe, expect, it } from "vitest";
import type { ExhaustionEstimate } from "../../models/anomaly/exhaustion-forecaster.js";
import { decideAnomaly, type AnomalyInput } from "../../src/prediction/decide-anomaly.js";
import {
  decidePrediction,
  HoldReason,
  type PredictionInput,
} from "../../src/prediction/decide-prediction.js";
import { judgePrediction, type JudgementInput } from "../../src/prediction/judge-prediction.js";
import { IncidentState } from "../../src/remediation/ledger/incident.js";

const NOW = Date.parse("2026-11-28T12:00:00Z");
const MINUTE = 60_000;

const estimate = (points = 30): ExhaustionEstimate => ({
  level: 800,
  slopePerSecond: 0.5,
  slopeStandardError: 0.01,
  residualSigma: 2,
  timeToLimitMs: 400_000,
  points,
});

const input = (overrides: Partial<PredictionInput> = {}): PredictionInput => ({
  nowMs: NOW,
  newestPointMs: NOW - 15_000,
  estimate: estimate(),
  probability: 0.95,
  threshold: 0.8,
  minPoints: 10,
  staleAfterMs: 5 * MINUTE,
  armed: true,
  ...overrides,
});

describe("decidePrediction", () => {
  it("holds on a NaN probability (a degenerate fit) instead of raising", () => {
    expect(decidePrediction(input({ probability: Number.NaN }))).toEqual({
      kind: "hold",
      reason: HoldReason.belowThreshold,
      armed: true,
    });
  });

  it("raises once when the probability reaches the threshold while armed, and disarms", () => {
    expect(decidePrediction(input())).toEqual({ kind: "raise", armed: false });
    expect(decidePrediction(input({ probability: 0.8 }))).toEqual({ kind: "raise", armed: false });
  });

  it("does not raise again in the same episode, however high the probability stays", () => {
    expect(decidePrediction(input({ armed: false, probability: 1 }))).toEqual({
      kind: "hold",
      reason: HoldReason.alreadyRaised,
      armed: false,
    });
  });

  it("re-arms only once the probability falls below half the threshold (hysteresis)", () => {
    expect(decidePrediction(input({ armed: false, probability: 0.5 }))).toMatchObject({
      reason: HoldReason.belowThreshold,
      armed: false,
    });
    expect(decidePrediction(input({ armed: false, probability: 0.39 }))).toMatchObject({
      reason: HoldReason.belowThreshold,
      armed: true,
    });
  });

  it("never raises on a stale series or before the forecaster has its points", () => {
    expect(decidePrediction(input({ newestPointMs: NOW - 6 * MINUTE }))).toMatchObject({
      kind: "hold",
      reason: HoldReason.stale,
      armed: true,
    });
    expect(decidePrediction(input({ estimate: estimate(5) }))).toMatchObject({
      kind: "hold",
      reason: HoldReason.warmingUp,
    });
    expect(decidePrediction(input({ estimate: { ...estimate(), level: Number.NaN } }))).toMatchObject({
      reason: HoldReason.warmingUp,
    });
  });
});

const judgement = (overrides: Partial<JudgementInput> = {}): JudgementInput => ({
  nowMs: NOW,
  raisedAtMs: NOW - 10 * MINUTE,
  actedAtMs: NOW - 9 * MINUTE,
  state: IncidentState.healed,
  horizonMs: 20 * MINUTE,
  graceMs: 5 * MINUTE,
  ...overrides,
});

describe("judgePrediction", () => {
  it("waits until horizon + grace after the action have passed without a failure", () => {
    expect(judgePrediction(judgement())).toEqual({ kind: "pending" });
    const verdict = judgePrediction(judgement({ nowMs: NOW - 9 * MINUTE + 25 * MINUTE }));
    expect(verdict.kind).toBe("prevented");
  });

  it("counts a failure within the window as missed, also one before the action landed", () => {
    const after = judgePrediction(judgement({ failure: { atMs: NOW - 2 * MINUTE, detail: "OOMKilled" } }));
    expect(after.kind).toBe("missed");
    expect(after.kind === "missed" && after.detail).toMatch(/7m00s after the action: OOMKilled/);
    const before = judgePrediction(
      judgement({ failure: { atMs: NOW - 9.5 * MINUTE, detail: "limit reached" } }),
    );
    expect(before.kind === "missed" && before.detail).toMatch(/before the action landed/);
  });

  it("ignores a failure from before the prediction or after the window", () => {
    expect(judgePrediction(judgement({ failure: { atMs: NOW - 11 * MINUTE, detail: "old" } })).kind).toBe(
      "pending",
    );
    const late = judgePrediction(
      judgement({
        nowMs: NOW + 30 * MINUTE,
        failure: { atMs: NOW + 29 * MINUTE, detail: "a new leak" },
      }),
    );
    expect(late.kind).toBe("prevented");
  });

  it("drops predictions nothing was done about, without counting them", () => {
    for (const state of [IncidentState.dryRun, IncidentState.skipped, IncidentState.unmatched]) {
      expect(judgePrediction(judgement({ actedAtMs: undefined, state })).kind).toBe("dropped");
    }
    expect(
      judgePrediction(judgement({ actedAtMs: undefined, state: IncidentState.awaitingApproval })).kind,
    ).toBe("pending");
    expect(
      judgePrediction(
        judgement({
          actedAtMs: undefined,
          state: IncidentState.awaitingApproval,
          nowMs: NOW + 30 * MINUTE,
        }),
      ).kind,
    ).toBe("dropped");
  });
});

const anomaly = (overrides: Partial<AnomalyInput> = {}): AnomalyInput => ({
  nowMs: NOW,
  newestPointMs: NOW - 60_000,
  points: 500,
  warmupPoints: 288,
  score: 0.995,
  threshold: 0.99,
  staleAfterMs: 5 * MINUTE,
  armed: true,
  rearmAfterMs: 30 * MINUTE,
  ...overrides,
});

describe("decideAnomaly", () => {
  it("holds on a NaN score instead of raising", () => {
    expect(decideAnomaly(anomaly({ score: Number.NaN }))).toMatchObject({
      kind: "hold",
      reason: HoldReason.belowThreshold,
    });
  });

  it("raises on a score at the threshold after the warm-up, on fresh data only", () => {
    expect(decideAnomaly(anomaly())).toEqual({ kind: "raise", armed: false });
    expect(decideAnomaly(anomaly({ points: 200 }))).toMatchObject({ reason: HoldReason.warmingUp });
    expect(decideAnomaly(anomaly({ newestPointMs: NOW - 10 * MINUTE }))).toMatchObject({
      reason: HoldReason.stale,
    });
    expect(decideAnomaly(anomaly({ score: 0.98 }))).toMatchObject({ reason: HoldReason.belowThreshold });
  });

  it("re-arms after a low score only once the horizon has passed since the raise", () => {
    const low = { armed: false, score: 0.1, lastRaisedAtMs: NOW - 10 * MINUTE };
    expect(decideAnomaly(anomaly(low))).toMatchObject({ armed: false });
    expect(decideAnomaly(anomaly({ ...low, lastRaisedAtMs: NOW - 31 * MINUTE }))).toMatchObject({
      armed: true,
    });
    expect(decideAnomaly(anomaly({ armed: false, score: 1, lastRaisedAtMs: NOW - 60 * MINUTE }))).toEqual({
      kind: "hold",
      reason: HoldReason.alreadyRaised,
      armed: false,
    });
  });
});
