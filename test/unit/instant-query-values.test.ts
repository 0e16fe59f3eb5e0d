import { describe, expect, it } from "vitest";
import { instantQueryValues } from "../../src/sources/instant-query-values.js";

const sample = (value: number) => ({ metric: null, value: { time: new Date(0), value } });

describe("instantQueryValues", () => {
  it("reads one value per series of a vector, dropping non-finite ones", () => {
    expect(
      instantQueryValues({
        resultType: "vector",
        result: [sample(1.5), sample(Number.NaN), sample(Number.POSITIVE_INFINITY), sample(0)],
      }),
    ).toEqual([1.5, 0]);
  });

  it("reads the value of a scalar answer", () => {
    expect(instantQueryValues({ resultType: "scalar", result: [1_700_000_000, "42.5"] })).toEqual([42.5]);
    expect(instantQueryValues({ resultType: "scalar", result: [1_700_000_000, "NaN"] })).toEqual([]);
  });

  it("finds no values in a matrix, a string or an unreadable answer", () => {
    expect(instantQueryValues({ resultType: "matrix", result: [{ metric: null, values: [] }] })).toEqual([]);
    expect(instantQueryValues({ resultType: "string", result: [0, "text"] })).toEqual([]);
    expect(instantQueryValues(undefined)).toEqual([]);
    expect(instantQueryValues({ resultType: "vector", result: "nope" })).toEqual([]);
  });
});
