import { describe, expect, it } from "vitest";
import { parseWideCsv, WideCsvError } from "../../training/datasets/wide-csv.js";

describe("parseWideCsv", () => {
  it("reads ragged M4 rows after a quoted header", () => {
    const rows = parseWideCsv('"V1","V2","V3","V4"\n"H1",1,2,3\n"H2",4,5,,\n');
    expect(rows).toEqual([
      { id: "H1", values: [1, 2, 3] },
      { id: "H2", values: [4, 5] },
    ]);
  });

  it("keeps interior empty and NA cells as NaN gaps", () => {
    const [row] = parseWideCsv("id,F1,F2,F3\nA,1,NA,,4\n");
    expect(row?.values.map((value) => (Number.isNaN(value) ? "gap" : value))).toEqual([1, "gap", "gap", 4]);
  });

  it("accepts files without a header", () => {
    expect(parseWideCsv("W1,10,11\n")).toEqual([{ id: "W1", values: [10, 11] }]);
  });

  it("names the line and column of a cell that is not a number", () => {
    expect(() => parseWideCsv("id,F1\nA,1\nB,x\n")).toThrow(WideCsvError);
    expect(() => parseWideCsv("id,F1\nA,1\nB,x\n")).toThrow(/line 3, column 2/);
  });
});
