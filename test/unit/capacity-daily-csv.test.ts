import { describe, expect, it } from "vitest";
import { DailyCsvError, parseDailyCsv } from "../../training/datasets/daily-csv.js";

const DAY_MS = 86_400_000;

describe("parseDailyCsv", () => {
  it("reads the long layout, ignoring extra columns, one series per id", () => {
    const text = [
      "series,day,date,value",
      "A,0,2001-03-30,1.5",
      "A,1,2001-03-31,2.5",
      "B,0,2001-04-01,10",
      "B,1,2001-04-02,11",
      "",
    ].join("\n");
    const series = parseDailyCsv(text);
    expect(series.map((s) => s.id)).toEqual(["A", "B"]);
    expect(series[0]?.values).toEqual([1.5, 2.5]);
    expect(series[0]?.startMs).toBe(Date.UTC(2001, 2, 30));
    expect(series[1]?.values).toEqual([10, 11]);
    expect(series[1]?.startMs).toBe(Date.UTC(2001, 3, 1));
  });

  it("reads Prophet's quoted ds,y layout and turns missing days into NaN gaps", () => {
    const text = '"ds","y"\n"2007-12-10",9.5\n"2007-12-11",8.5\n"2007-12-14",7\n';
    const [series] = parseDailyCsv(text, { singleSeriesId: "peyton" });
    expect(series?.id).toBe("peyton");
    expect(series?.values.map((v) => (Number.isNaN(v) ? "gap" : v))).toEqual([9.5, 8.5, "gap", "gap", 7]);
    expect(series?.startMs).toBe(Date.UTC(2007, 11, 10));
  });

  it("orders rows by date and keeps NA cells as gaps", () => {
    const [series] = parseDailyCsv("date,value,series\n2020-01-03,3,S\n2020-01-01,1,S\n2020-01-02,NA,S\n");
    expect(series?.values.map((v) => (Number.isNaN(v) ? "gap" : v))).toEqual([1, "gap", 3]);
    expect(series?.startMs).toBe(Date.UTC(2020, 0, 1));
    expect(series && series.values.length * DAY_MS).toBe(3 * DAY_MS);
  });

  it("names the line and column of a value that is not a number", () => {
    const text = "series,date,value\nA,2020-01-01,1\nA,2020-01-02,abc\n";
    expect(() => parseDailyCsv(text)).toThrow(DailyCsvError);
    expect(() => parseDailyCsv(text)).toThrow(/line 3, column 3 \(`value`\): "abc" is not a number/);
  });

  it("names the line and column of an impossible date", () => {
    expect(() => parseDailyCsv("ds,y\n2021-02-30,4\n")).toThrow(
      /line 2, column 1 \(`ds`\): "2021-02-30" is not a date/,
    );
  });

  it("rejects a header without the expected columns, naming what it needs", () => {
    expect(() => parseDailyCsv("id,when,amount\nA,2020-01-01,1\n")).toThrow(
      /line 1: header \(id,when,amount\) must have columns series,date,value or ds,y/,
    );
  });

  it("rejects a date repeated within a series instead of averaging it", () => {
    expect(() => parseDailyCsv("series,date,value\nA,2020-01-01,1\nA,2020-01-01,2\n")).toThrow(
      /line 3, column 2 \(`date`\): date 2020-01-01 appears twice for series "A"/,
    );
  });

  it("rejects a short row and an empty file", () => {
    expect(() => parseDailyCsv("series,date,value\nA,2020-01-01\n")).toThrow(
      /line 2: missing column 3 \(`value`\)/,
    );
    expect(() => parseDailyCsv("\n\n")).toThrow(/empty/);
    expect(() => parseDailyCsv("ds,y\n")).toThrow(/no data rows/);
  });
});
