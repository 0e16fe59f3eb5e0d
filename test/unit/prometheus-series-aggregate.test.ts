import { describe, expect, it } from "vitest";
import { aggregateValues } from "../../src/sources/series-aggregate.js";

const NaN_ = Number.NaN;
const pods = [
  [1, NaN_, 3, NaN_],
  [10, 20, NaN_, NaN_],
  [100, 200, 300, NaN_],
];

describe("aggregateValues", () => {
  it("sums per timestamp, ignoring series without a sample there", () => {
    expect(aggregateValues(pods, "sum", 4)).toEqual([111, 220, 303, NaN_]);
  });

  it("averages only the samples present", () => {
    expect(aggregateValues(pods, "mean", 4)).toEqual([37, 110, 151.5, NaN_]);
  });

  it("takes the max and the min of the samples present", () => {
    expect(aggregateValues(pods, "max", 4)).toEqual([100, 200, 300, NaN_]);
    expect(aggregateValues(pods, "min", 4)).toEqual([1, 20, 3, NaN_]);
  });

  it("keeps negative values and zeros as samples", () => {
    expect(
      aggregateValues(
        [
          [-5, 0],
          [NaN_, -1],
        ],
        "max",
        2,
      ),
    ).toEqual([-5, 0]);
    expect(
      aggregateValues(
        [
          [-5, 0],
          [NaN_, -1],
        ],
        "sum",
        2,
      ),
    ).toEqual([-5, -1]);
  });

  it("gives NaN everywhere when there is no series at all", () => {
    expect(aggregateValues([], "sum", 3)).toEqual([NaN_, NaN_, NaN_]);
  });
});
