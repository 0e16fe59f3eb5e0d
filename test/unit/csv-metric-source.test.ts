import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CsvMetricSource } from "../../src/sources/csv-metric-source.js";
import { parseCsvTrace, parseTimestampMs } from "../../src/sources/csv-trace.js";
import { MetricSourceError, MetricSourceErrorCode } from "../../src/sources/metric-source.js";

const TRACE = [
  "timestamp,requests,status",
  "1995-07-01T00:00:00-04:00,301,ok",
  "1995-07-01T00:05:00-04:00,267,ok",
  "1995-07-01T00:10:00-04:00,,missing_log",
  "1995-07-01T00:15:00-04:00,0,server_down",
  "1995-07-01T00:20:00-04:00,4,partial_server_down",
  "1995-07-01T00:30:00-04:00,250,ok",
  "",
].join("\n");
const FIRST_MS = Date.UTC(1995, 6, 1, 4);
const MINUTE = 60_000;
const NASA_5MIN = resolve(
  import.meta.dirname,
  "../../../shared/data/traces/nasa_http_1995_requests_per_5min.csv",
);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "presage-csv-"));
  await writeFile(join(dir, "trace.csv"), TRACE);
  await writeFile(join(dir, "bad-time.csv"), "timestamp,requests\n1995-07-01T00:00:00Z,1\nyesterday,2\n");
  await writeFile(join(dir, "bad-value.csv"), "timestamp,requests\n1995-07-01T00:00:00Z,lots\n");
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function rejection(promise: Promise<unknown>): Promise<MetricSourceError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(MetricSourceError);
  return error as MetricSourceError;
}

describe("parseCsvTrace", () => {
  it("reads timestamps with their offset and turns every row not flagged ok into NaN", () => {
    const trace = parseCsvTrace(TRACE, "trace.csv");
    expect(trace.timestampsMs[0]).toBe(FIRST_MS);
    expect(trace.columns.get("requests")).toStrictEqual([301, 267, Number.NaN, Number.NaN, Number.NaN, 250]);
    expect([...trace.columns.keys()]).toEqual(["requests"]);
    expect(trace.rowByTimeMs.get(FIRST_MS + 30 * MINUTE)).toBe(5);
  });

  it("counts every row when there is no status column", () => {
    expect(parseCsvTrace("timestamp,a,b\n0,1,\n60,3,4\n", "x.csv").columns).toEqual(
      new Map([
        ["a", [1, 3]],
        ["b", [Number.NaN, 4]],
      ]),
    );
  });

  it("names the file, line and cell of the first unreadable value", () => {
    expect(() => parseCsvTrace("timestamp,requests\n1995-07-01T00:00:00Z,lots\n", "x.csv")).toThrow(
      'x.csv:2: requests "lots" is not a number',
    );
    expect(() => parseCsvTrace("time,requests\n", "x.csv")).toThrow('x.csv:1: no "timestamp" column');
    expect(() => parseCsvTrace("timestamp,v\n60,1\n60,2\n", "x.csv")).toThrow(
      "x.csv:3: repeats the timestamp of row 1",
    );
  });

  it("reads epoch seconds and zone-less date-times as UTC", () => {
    expect(parseTimestampMs("804571200")).toBe(804_571_200_000);
    expect(parseTimestampMs("1995-07-01 04:00:00")).toBe(FIRST_MS);
    expect(parseTimestampMs("1995-07-01T04:00")).toBe(FIRST_MS);
    expect(parseTimestampMs("soon")).toBeUndefined();
  });
});

describe("CsvMetricSource", () => {
  it("returns the aligned range, NaN for flagged rows and for timestamps the file lacks", async () => {
    const source = new CsvMetricSource({ path: join(dir, "trace.csv") });
    const series = await source.fetchRange({
      query: "requests",
      startMs: FIRST_MS - 5 * MINUTE + 1,
      endMs: FIRST_MS + 41 * MINUTE,
      stepSeconds: 300,
    });
    expect(series).toMatchObject({ stepSeconds: 300, startMs: FIRST_MS - 5 * MINUTE });
    const N = Number.NaN;
    expect(series.values).toStrictEqual([N, 301, 267, N, N, N, N, 250, N, N]);
  });

  it("samples the rows on a coarser step by exact timestamp, without summing", async () => {
    const source = new CsvMetricSource({ path: join(dir, "trace.csv") });
    const series = await source.fetchRange({
      query: "",
      startMs: FIRST_MS,
      endMs: FIRST_MS + 30 * MINUTE,
      stepSeconds: 600,
    });
    expect(series.values).toStrictEqual([301, Number.NaN, Number.NaN, 250]);
  });

  it("reports an unknown column as a bad query listing the columns there are", async () => {
    const error = await rejection(
      new CsvMetricSource({ path: join(dir, "trace.csv") }).fetchRange({
        query: "bytes",
        startMs: 0,
        endMs: 0,
        stepSeconds: 60,
      }),
    );
    expect(error).toMatchObject({ code: MetricSourceErrorCode.badQuery, retryable: false });
    expect(error.message).toContain("(value columns: requests)");
  });

  it("reports a missing file as unavailable and not worth retrying", async () => {
    const error = await rejection(
      new CsvMetricSource({ path: join(dir, "absent.csv") }).fetchRange({
        query: "",
        startMs: 0,
        endMs: 0,
        stepSeconds: 60,
      }),
    );
    expect(error).toMatchObject({ code: MetricSourceErrorCode.unavailable, retryable: false });
    expect(error.message).toContain("absent.csv");
  });

  it.each(["bad-time.csv", "bad-value.csv"])(
    "reports a malformed %s as an invalid response",
    async (file) => {
      const error = await rejection(
        new CsvMetricSource({ path: join(dir, file) }).fetchRange({
          query: "",
          startMs: 0,
          endMs: 0,
          stepSeconds: 60,
        }),
      );
      expect(error).toMatchObject({ code: MetricSourceErrorCode.invalidResponse, retryable: false });
    },
  );

  it.skipIf(!existsSync(NASA_5MIN))(
    "reads the shared NASA trace: hurricane shutdown and missing logs are NaN",
    async () => {
      const source = new CsvMetricSource({ path: NASA_5MIN });
      const july1 = await source.fetchRange({
        query: "requests",
        startMs: FIRST_MS,
        endMs: FIRST_MS + 15 * MINUTE,
        stepSeconds: 300,
      });
      expect(july1.values).toEqual([301, 267, 242, 282]);
      const down = Date.parse("1995-08-02T12:00:00-04:00");
      const outage = await source.fetchRange({
        query: "requests",
        startMs: down,
        endMs: down + 3_600_000,
        stepSeconds: 300,
      });
      expect(outage.values.every(Number.isNaN)).toBe(true);
      const missing = Date.parse("1995-07-30T12:00:00-04:00");
      const gap = await source.fetchRange({
        query: "requests",
        startMs: missing,
        endMs: missing,
        stepSeconds: 300,
      });
      expect(gap.values).toStrictEqual([Number.NaN]);
    },
  );
});
