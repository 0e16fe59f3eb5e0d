import { describe, expect, it } from "vitest";
import {
  HorizontalPodAutoscaler,
  HpaSyncReason,
  type HpaObservation,
} from "../../src/scaler/simulation/horizontal-pod-autoscaler.js";
import { PodFleet } from "../../src/scaler/simulation/pod-fleet.js";

/** Every pod Ready and sampled, each at `ratio` × the target of 10 per pod. */
const steady = (pods: number, ratio: number): HpaObservation => ({
  podsWithMetric: pods,
  averageValue: ratio * 10,
  unreadyPods: 0,
  missingPods: 0,
});

const hpa = (minReplicas = 1, maxReplicas = 100): HorizontalPodAutoscaler =>
  new HorizontalPodAutoscaler({ targetPerPod: 10, minReplicas, maxReplicas });

describe("HorizontalPodAutoscaler (the Kubernetes controller's arithmetic)", () => {
  it("keeps the replicas while the usage ratio is within the 0.1 tolerance", () => {
    expect(hpa().sync(0, 4, steady(4, 1.09)).replicas).toBe(4);
    expect(hpa().sync(0, 4, steady(4, 0.91)).replicas).toBe(4);
  });

  it("asks for ceil(pods × average / target) outside the tolerance", () => {
    const result = hpa().sync(0, 4, steady(4, 1.15));
    expect(result).toMatchObject({ replicas: 5, rescaled: true, reason: HpaSyncReason.metric, proposal: 5 });
  });

  it("scales down only after the highest proposal of the last 300 s has fallen (stabilization)", () => {
    const controller = hpa();
    let replicas = 10;
    replicas = controller.sync(0, replicas, steady(replicas, 1)).replicas;
    const history: number[] = [];
    for (let t = 15; t <= 315; t += 15) {
      replicas = controller.sync(t, replicas, steady(10, 0.5)).replicas;
      history.push(replicas);
    }
    // Proposals of 5 from t = 15 on; the proposal of 10 made at t = 0 leaves the window at t = 300.
    expect(history.slice(0, 19)).toEqual(new Array(19).fill(10));
    expect(history[19]).toBe(5);
  });

  it("follows the highest proposal of the window, not the newest, on the way down", () => {
    const controller = hpa();
    controller.sync(0, 10, steady(10, 1));
    controller.sync(15, 10, steady(10, 0.8)); // proposes 8
    const at300 = controller.sync(300, 10, steady(10, 0.5)); // 10 gone; 8 (t = 15) still inside
    expect(at300.replicas).toBe(8);
    expect(controller.sync(315, 8, steady(8, 0.5)).replicas).toBe(5);
  });

  it("scales up by at most max(+100%, +4 pods) per 15 s", () => {
    const controller = hpa();
    let replicas = 2;
    const sequence = [replicas];
    for (let t = 0; t <= 45; t += 15) {
      replicas = controller.sync(t, replicas, { ...steady(2, 10) }).replicas; // always proposes 20
      sequence.push(replicas);
    }
    // 2 → +4 = 6 (beats +100% = 4) → +100% = 12 (beats +4 = 10) → 20 (the proposal).
    expect(sequence).toEqual([2, 6, 12, 20, 20]);
  });

  it("counts scale-ups inside the policy period against the next one", () => {
    const controller = hpa();
    expect(controller.sync(0, 2, steady(2, 10)).replicas).toBe(6);
    // 10 s later the +4 already made in this 15 s period leaves no room.
    expect(controller.sync(10, 6, steady(2, 10)).replicas).toBe(6);
    expect(controller.sync(15, 6, steady(2, 10)).replicas).toBe(12);
  });

  it("never scales above maxReplicas", () => {
    expect(hpa(1, 5).sync(0, 2, steady(2, 10)).replicas).toBe(5);
  });

  it("counts starting pods as idle on a scale-up, so it does not order the same pods twice", () => {
    // 4 Ready pods at 1.5 × target and 2 starting: (4 × 15 + 2 × 0) / 6 = 10 → ratio 1.0 → hold 6.
    const result = hpa().sync(0, 6, { podsWithMetric: 4, averageValue: 15, unreadyPods: 2, missingPods: 0 });
    expect(result.replicas).toBe(6);
    expect(result.proposal).toBe(6);
  });

  it("counts Ready pods without a sample as exactly on target on a scale-down", () => {
    // 4 sampled pods at 0.5 × target and 2 without a sample: (4 × 5 + 2 × 10) / 6 / 10 = 0.667 → ceil(4) = 4.
    const result = hpa().sync(0, 6, { podsWithMetric: 4, averageValue: 5, unreadyPods: 0, missingPods: 2 });
    expect(result.proposal).toBe(4);
  });

  it("counts Ready pods without a sample as idle on a scale-up", () => {
    // 2 sampled pods at 3 × target and 2 without: (2 × 30 + 2 × 0) / 4 / 10 = 1.5 → ceil(6) = 6.
    const result = hpa().sync(0, 4, { podsWithMetric: 2, averageValue: 30, unreadyPods: 0, missingPods: 2 });
    expect(result.proposal).toBe(6);
  });

  it("raises the replicas to a new minReplicas at once, past the scale-up rate limit", () => {
    const controller = hpa();
    controller.setMinReplicas(9);
    expect(controller.sync(0, 2, steady(2, 1))).toMatchObject({
      replicas: 9,
      reason: HpaSyncReason.belowMin,
    });
  });

  it("changes nothing when no metric can be read", () => {
    const result = hpa().sync(0, 3, {
      podsWithMetric: 3,
      averageValue: Number.NaN,
      unreadyPods: 0,
      missingPods: 0,
    });
    expect(result).toMatchObject({ replicas: 3, rescaled: false, reason: HpaSyncReason.noMetric });
    expect(
      hpa().sync(0, 3, { podsWithMetric: 0, averageValue: 5, unreadyPods: 3, missingPods: 0 }).reason,
    ).toBe(HpaSyncReason.noMetric);
  });

  it("rejects a minReplicas above maxReplicas, naming the field", () => {
    expect(() => {
      hpa(1, 5).setMinReplicas(6);
    }).toThrow(/`minReplicas` \(6\)/);
  });
});

describe("PodFleet", () => {
  it("makes new pods Ready only after the start-up time and deletes the newest first", () => {
    const fleet = new PodFleet(180, 2);
    fleet.scaleTo(5, 60);
    expect(fleet.size).toBe(5);
    expect(fleet.readyAt(60)).toBe(2);
    expect(fleet.readyAt(239)).toBe(2);
    expect(fleet.readyAt(240)).toBe(5);
    fleet.scaleTo(3, 100); // the starting pods go first
    expect(fleet.readyAt(1000)).toBe(3);
    expect(fleet.readyAt(100)).toBe(2);
  });
});
