import { describe, expect, it } from "vitest";
import { nelderMead } from "../../models/math/nelder-mead.js";

const rosenbrock = (x: Float64Array): number => 100 * (x[1]! - x[0]! ** 2) ** 2 + (1 - x[0]!) ** 2;

describe("nelderMead", () => {
  it("finds the minimum of a shifted quadratic bowl", () => {
    const result = nelderMead((x) => (x[0]! - 3) ** 2 + 2 * (x[1]! + 1) ** 2 + 5, [0, 0], {
      tolerance: 1e-14,
    });
    expect(result.converged).toBe(true);
    expect(result.x[0]).toBeCloseTo(3, 4);
    expect(result.x[1]).toBeCloseTo(-1, 4);
    expect(result.value).toBeCloseTo(5, 8);
  });

  it("follows the curved valley of the Rosenbrock function to (1, 1)", () => {
    const result = nelderMead(rosenbrock, [-1.2, 1], {
      maxEvaluations: 5000,
      maxIterations: 5000,
      tolerance: 1e-15,
    });
    expect(result.x[0]).toBeCloseTo(1, 3);
    expect(result.x[1]).toBeCloseTo(1, 3);
  });

  it("never evaluates outside the bounds and settles on the bound nearest an outside optimum", () => {
    const lower = [0, -1];
    const upper = [1, 1];
    const result = nelderMead(
      (x) => {
        expect(x[0]).toBeGreaterThanOrEqual(lower[0]!);
        expect(x[0]).toBeLessThanOrEqual(upper[0]!);
        expect(x[1]).toBeGreaterThanOrEqual(lower[1]!);
        expect(x[1]).toBeLessThanOrEqual(upper[1]!);
        return (x[0]! - 5) ** 2 + (x[1]! - 0.25) ** 2;
      },
      [0.5, 0],
      { lower, upper, tolerance: 1e-14 },
    );
    expect(result.x[0]).toBe(1);
    expect(result.x[1]).toBeCloseTo(0.25, 4);
  });

  it("keeps a full simplex when the start sits on an upper bound", () => {
    const result = nelderMead((x) => (x[0]! - 0.2) ** 2, [1], { lower: [0], upper: [1], tolerance: 1e-14 });
    expect(result.x[0]).toBeCloseTo(0.2, 4);
  });

  it("treats NaN objective values as +Infinity and still finds the finite minimum", () => {
    const result = nelderMead((x) => (x[0]! < 0 ? Number.NaN : (x[0]! - 2) ** 2), [1], { tolerance: 1e-14 });
    expect(result.x[0]).toBeCloseTo(2, 4);
  });

  it("stops at maxEvaluations and reports that it did not converge", () => {
    const result = nelderMead(rosenbrock, [-1.2, 1], { maxEvaluations: 20, tolerance: 1e-15 });
    expect(result.converged).toBe(false);
    expect(result.evaluations).toBeLessThanOrEqual(20 + 2 + 1);
  });

  it("is deterministic: the same problem gives the same answer to the last bit", () => {
    const first = nelderMead(rosenbrock, [-1.2, 1], { maxEvaluations: 300 });
    const second = nelderMead(rosenbrock, [-1.2, 1], { maxEvaluations: 300 });
    expect(second).toEqual(first);
  });
});
