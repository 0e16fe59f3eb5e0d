import { EventEmitter } from "node:events";
import type { IncomingMessage, ServerResponse } from "node:http";
import { describe, expect, it } from "vitest";
import { createMetricsHandler } from "../../src/telemetry/metrics-server.js";
import { TrainingMetrics } from "../../src/telemetry/training-metrics.js";
import { trainingObserver } from "../../src/training-runtime/training-observer.js";

/** Calls the handler with a minimal request and collects the response. */
async function inject(
  handler: ReturnType<typeof createMetricsHandler>,
  method: string,
  url: string,
): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const request = Object.assign(new EventEmitter(), { method, url }) as unknown as IncomingMessage;
  let status = 0;
  let headers: Record<string, string> = {};
  let body = "";
  const response = {
    writeHead(code: number, head: Record<string, string> = {}) {
      status = code;
      headers = head;
      return response;
    },
    end(chunk?: string) {
      body = chunk ?? "";
      return response;
    },
  } as unknown as ServerResponse;
  await handler(request, response);
  return { status, headers, body };
}

describe("training metrics", () => {
  it("count completed and failed jobs per target and reason, and track the current model", async () => {
    const metrics = new TrainingMetrics();
    const lines: string[] = [];
    const observe = trainingObserver(metrics, (line) => lines.push(line));
    const result = {
      target: "web",
      windowEndMs: 0,
      outcome: "trained" as const,
      version: 4,
      promoted: false,
      reason: "challenger MASE 0.700 vs current v3 0.600: kept v3",
      backtestMase: 0.7,
      coverage80: 0.8,
      coverage95: 0.95,
      currentVersion: 3,
      currentBacktestMase: 0.6,
    };
    observe({ kind: "completed", jobId: "j1", target: "web", durationMs: 1500, result });
    observe({
      kind: "completed",
      jobId: "j2",
      target: "web",
      durationMs: 20,
      result: { ...result, outcome: "already-trained" },
    });
    observe({
      kind: "failed",
      jobId: "j3",
      target: "web",
      durationMs: 300,
      code: "PRESAGE_SOURCE_UNAVAILABLE",
      message: "Prometheus down",
      retryable: true,
      attempt: 1,
    });
    observe({
      kind: "failed",
      jobId: "j4",
      target: undefined,
      durationMs: 1,
      code: "PRESAGE_JOB_INVALID_PAYLOAD",
      message: "bad",
      retryable: false,
      attempt: 1,
    });

    const text = await metrics.metrics();
    expect(text).toContain('presage_training_jobs_completed_total{target="web",reason="kept"} 1');
    expect(text).toContain('presage_training_jobs_completed_total{target="web",reason="already-trained"} 1');
    expect(text).toContain(
      'presage_training_jobs_failed_total{target="web",reason="PRESAGE_SOURCE_UNAVAILABLE"} 1',
    );
    expect(text).toContain(
      'presage_training_jobs_failed_total{target="unknown",reason="PRESAGE_JOB_INVALID_PAYLOAD"} 1',
    );
    expect(text).toContain('presage_training_job_duration_seconds_count{target="web",outcome="completed"} 2');
    expect(text).toContain('presage_model_current_version{target="web"} 3');
    expect(text).toContain('presage_model_backtest_mase{target="web"} 0.6');
    expect(lines[0]).toMatch(/job completed id=j1 target=web outcome=kept version=4 current=3/);
    expect(lines[2]).toMatch(
      /job failed id=j3 target=web attempt=1 code=PRESAGE_SOURCE_UNAVAILABLE retryable=true/,
    );
  });

  it("keep separate registries per instance and label every series with the default labels", async () => {
    const a = new TrainingMetrics({ defaultLabels: { worker: "a" } });
    const b = new TrainingMetrics();
    a.currentModel("web", 2, 0.5);
    expect(await a.metrics()).toContain('presage_model_current_version{target="web",worker="a"} 2');
    expect(await b.metrics()).not.toContain("presage_model_current_version{");
  });
});

describe("the metrics endpoint", () => {
  it("serves the exposition text on /metrics, ok on /healthz and 404 elsewhere", async () => {
    const metrics = new TrainingMetrics();
    metrics.currentModel("web", 1, 0.4);
    const handler = createMetricsHandler(metrics);
    const ok = await inject(handler, "GET", "/metrics?x=1");
    expect(ok.status).toBe(200);
    expect(ok.headers["content-type"]).toMatch(/^text\/plain/);
    expect(ok.body).toContain("presage_model_current_version");
    expect((await inject(handler, "GET", "/healthz")).status).toBe(200);
    expect((await inject(handler, "GET", "/other")).status).toBe(404);
    expect((await inject(handler, "POST", "/metrics")).status).toBe(405);
  });

  it("answers 500 without details when rendering fails", async () => {
    const handler = createMetricsHandler({
      contentType: "text/plain",
      metrics: () => Promise.reject(new Error("secret detail")),
    });
    const response = await inject(handler, "GET", "/metrics");
    expect(response.status).toBe(500);
    expect(response.body).not.toContain("secret");
  });
});
