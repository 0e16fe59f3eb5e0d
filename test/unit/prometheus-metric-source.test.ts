import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingHttpHeaders } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { MetricSourceError, MetricSourceErrorCode } from "../../src/sources/metric-source.js";
import {
  PrometheusMetricSource,
  type PrometheusMetricSourceOptions,
} from "../../src/sources/prometheus-metric-source.js";

/** What the stand-in saw: query_range parameters in seconds, and the headers. */
interface SeenRequest {
  readonly query: string;
  readonly start: number;
  readonly end: number;
  readonly step: number;
  readonly headers: IncomingHttpHeaders;
}
type Reply = { status: number; body: string } | "hang";
type Script = (request: SeenRequest, index: number) => Reply;

const T0 = Date.UTC(2026, 0, 5); // a Monday, a multiple of every step used here
const valueAt = (seconds: number): number => (seconds / 60) % 1000;

/** A matrix answer over the request's grid; `labelSets` series, `skip` omits timestamps. */
function matrix(
  request: SeenRequest,
  labelSets: Record<string, string>[] = [{}],
  skip: (seconds: number) => boolean = () => false,
): Reply {
  const result = labelSets.map((labels, series) => {
    const values: [number, string][] = [];
    for (let t = request.start; t <= request.end; t += request.step) {
      if (!skip(t)) values.push([t, String(valueAt(t) + series * 1000)]);
    }
    return { metric: { __name__: "load", ...labels }, values };
  });
  return { status: 200, body: JSON.stringify({ status: "success", data: { resultType: "matrix", result } }) };
}
const promError = (status: number, errorType: string, error: string): Reply => ({
  status,
  body: JSON.stringify({ status: "error", errorType, error }),
});

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** A tiny Prometheus stand-in on a loopback port answering `/api/v1/query_range` from `script`. */
async function standIn(script: Script): Promise<{ url: string; seen: SeenRequest[] }> {
  const seen: SeenRequest[] = [];
  const server = createServer((req, res) => {
    const params = new URL(req.url ?? "/", "http://stand-in").searchParams;
    const request = {
      query: params.get("query") ?? "",
      start: Number(params.get("start")),
      end: Number(params.get("end")),
      step: Number(params.get("step")),
      headers: req.headers,
    };
    seen.push(request);
    const reply = script(request, seen.length - 1);
    if (reply === "hang") return;
    res.writeHead(reply.status, { "content-type": "application/json" }).end(reply.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const address = server.address();
  return { url: `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`, seen };
}

function source(url: string, options: Partial<PrometheusMetricSourceOptions> = {}) {
  const delays: number[] = [];
  const prometheus = new PrometheusMetricSource({
    url,
    retry: { attempts: 3, baseDelayMs: 100, maxDelayMs: 1000 },
    sleep: (ms) => {
      delays.push(ms);
      return Promise.resolve();
    },
    random: () => 0,
    ...options,
  });
  return { prometheus, delays };
}

async function failure(promise: Promise<unknown>): Promise<MetricSourceError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(MetricSourceError);
  return error as MetricSourceError;
}

const hour = { query: "load", startMs: T0, endMs: T0 + 3_600_000, stepSeconds: 60 };

describe("PrometheusMetricSource against a stand-in server", () => {
  it("fetches a long range in sequential chunks, stitched with no gap or duplicate, NaN where no sample", async () => {
    const missing = (t: number) => t % 420 === 0;
    const { url, seen } = await standIn((request) => matrix(request, [{}], missing));
    const { prometheus } = source(url, { maxPointsPerRequest: 7 });
    const series = await prometheus.fetchRange({
      ...hour,
      startMs: T0 + 59_999,
      endMs: T0 + 3_600_000 + 59_999,
    });
    expect(series).toMatchObject({ stepSeconds: 60, startMs: T0 });
    expect(series.values).toHaveLength(61);
    series.values.forEach((value, index) => {
      const seconds = T0 / 1000 + index * 60;
      expect(value).toStrictEqual(missing(seconds) ? Number.NaN : valueAt(seconds));
    });
    expect(seen).toHaveLength(9);
    expect(seen.every((request) => request.step === 60 && (request.end - request.start) / 60 < 7)).toBe(true);
    seen.slice(1).forEach((request, index) => {
      expect(request.start).toBe((seen[index]?.end ?? 0) + 60);
    });
  });

  it("retries 503 twice with growing backoff, then returns the data", async () => {
    const { url, seen } = await standIn((request, index) =>
      index < 2 ? promError(503, "unavailable", "overloaded") : matrix(request),
    );
    const { prometheus, delays } = source(url);
    const series = await prometheus.fetchRange(hour);
    expect(series.values[0]).toBe(valueAt(T0 / 1000));
    expect(seen).toHaveLength(3);
    expect(delays).toEqual([50, 100]);
  });

  it.each([400, 422])(
    "reports HTTP %i as a non-retryable bad query with Prometheus' message",
    async (status) => {
      const message = "1:6: parse error: unexpected end of input inside braces";
      const { url, seen } = await standIn(() => promError(status, "bad_data", message));
      const error = await failure(source(url).prometheus.fetchRange({ ...hour, query: "load{" }));
      expect(error.code).toBe(MetricSourceErrorCode.badQuery);
      expect(error.retryable).toBe(false);
      expect(error.message).toContain(message);
      expect(error.message).toContain('"load{"');
      expect(seen).toHaveLength(1);
    },
  );

  it("retries 429 and reports unavailable, retryable, with the cause, once attempts run out", async () => {
    const { url, seen } = await standIn(() => promError(429, "too_many_requests", "slow down"));
    const { prometheus, delays } = source(url);
    const error = await failure(prometheus.fetchRange(hour));
    expect(error).toMatchObject({ code: MetricSourceErrorCode.unavailable, retryable: true });
    expect(error.message).toMatch(/HTTP 429: slow down.*gave up after 3 attempts/);
    expect(error.cause).toBeInstanceOf(MetricSourceError);
    expect(seen).toHaveLength(3);
    expect(delays).toHaveLength(2);
  });

  it("times out a hanging response and retries it", async () => {
    const { url, seen } = await standIn(() => "hang");
    const error = await failure(
      source(url, { timeoutMs: 150, retry: { attempts: 2 } }).prometheus.fetchRange(hour),
    );
    expect(error).toMatchObject({ code: MetricSourceErrorCode.unavailable, retryable: true });
    expect(error.message).toContain("timed out after 150 ms");
    expect(seen).toHaveLength(2);
  });

  it("keeps the status of a 502 whose body is a proxy's HTML page, and retries it", async () => {
    const { url, seen } = await standIn(() => ({ status: 502, body: "<html><h1>Bad Gateway</h1></html>" }));
    const error = await failure(source(url).prometheus.fetchRange(hour));
    expect(error).toMatchObject({ code: MetricSourceErrorCode.unavailable, retryable: true });
    expect(error.message).toContain("HTTP 502");
    expect(seen).toHaveLength(3);
  });

  it.each([
    ["garbage JSON", "{not json"],
    ["a body without status", JSON.stringify({ data: [] })],
    [
      "a vector instead of a matrix",
      JSON.stringify({ status: "success", data: { resultType: "vector", result: [] } }),
    ],
    [
      "samples off the step grid",
      JSON.stringify({
        status: "success",
        data: { resultType: "matrix", result: [{ metric: {}, values: [[T0 / 1000 + 7, "1"]] }] },
      }),
    ],
  ])("reports %s with HTTP 200 as an invalid response, without retrying", async (_, body) => {
    const { url, seen } = await standIn(() => ({ status: 200, body }));
    const error = await failure(source(url).prometheus.fetchRange(hour));
    expect(error).toMatchObject({ code: MetricSourceErrorCode.invalidResponse, retryable: false });
    expect(seen).toHaveLength(1);
  });

  it("reports a refused connection as unavailable after retrying", async () => {
    const { url } = await standIn(() => matrix({ query: "", start: 0, end: 0, step: 1, headers: {} }));
    await closers.pop()?.();
    const { prometheus, delays } = source(url);
    const error = await failure(prometheus.fetchRange(hour));
    expect(error).toMatchObject({ code: MetricSourceErrorCode.unavailable, retryable: true });
    expect(delays).toHaveLength(2);
  });

  it("refuses several series, naming the first label sets, unless an aggregate is set", async () => {
    const pods = ["a", "b", "c", "d"].map((pod) => ({ pod }));
    const { url } = await standIn((request) => matrix(request, pods));
    const error = await failure(source(url).prometheus.fetchRange(hour));
    expect(error).toMatchObject({ code: MetricSourceErrorCode.multipleSeries, retryable: false });
    expect(error.message).toContain('4 series (load{pod="a"}, load{pod="b"}, load{pod="c"} and 1 more)');
    const summed = await source(url, { aggregate: "sum" }).prometheus.fetchRange(hour);
    expect(summed.values[3]).toBe(4 * valueAt(T0 / 1000 + 180) + 6000);
    const highest = await source(url, { aggregate: "max" }).prometheus.fetchRange(hour);
    expect(highest.values[3]).toBe(valueAt(T0 / 1000 + 180) + 3000);
  });

  it("returns an all-NaN series when the query matches nothing", async () => {
    const { url } = await standIn((request) => matrix(request, []));
    const series = await source(url).prometheus.fetchRange(hour);
    expect(series.values).toHaveLength(61);
    expect(series.values.every(Number.isNaN)).toBe(true);
  });

  it("sends the bearer token read from its file and the extra headers, and never puts the token in errors", async () => {
    const dir = await mkdtemp(join(tmpdir(), "presage-token-"));
    closers.push(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, "token"), "s3cret-token\n");
    const { url, seen } = await standIn(() => promError(400, "bad_data", "nope"));
    const options = { bearerTokenFile: join(dir, "token"), headers: { "X-Scope-OrgID": "team-a" } };
    const error = await failure(source(url, options).prometheus.fetchRange(hour));
    expect(seen[0]?.headers).toMatchObject({
      authorization: "Bearer s3cret-token",
      "x-scope-orgid": "team-a",
    });
    expect(JSON.stringify([error.message, String(error.cause), (error.cause as Error).stack])).not.toContain(
      "s3cret",
    );
  });

  it("stops at once with the abort reason when the caller aborts", async () => {
    const controller = new AbortController();
    const { url, seen } = await standIn(() => {
      controller.abort(new Error("shutting down"));
      return "hang";
    });
    await expect(source(url).prometheus.fetchRange({ ...hour, signal: controller.signal })).rejects.toThrow(
      "shutting down",
    );
    expect(seen).toHaveLength(1);
  });

  it("rejects a chunk size above Prometheus' 11,000-point limit at construction", () => {
    expect(() => new PrometheusMetricSource({ url: "http://x", maxPointsPerRequest: 11_001 })).toThrow(
      /maxPointsPerRequest \(11001\)/,
    );
  });
});
