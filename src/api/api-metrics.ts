import { Counter, Histogram, Registry } from "prom-client";

/** Request durations in seconds: cached forecasts take well under a millisecond. */
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/**
 * Prometheus metrics of the HTTP API, in their own registry:
 *
 * | metric | type | labels |
 * | --- | --- | --- |
 * | `presage_api_requests_total` | counter | `route` (the route template, `unmatched` for 404s), `method`, `status` |
 * | `presage_api_request_duration_seconds` | histogram | `route`, `method` |
 */
export class ApiMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<"route" | "method" | "status">;
  private readonly duration: Histogram<"route" | "method">;

  constructor() {
    const registers = [this.registry];
    this.requests = new Counter({
      name: "presage_api_requests_total",
      help: "HTTP API requests answered, by route template, method and status code.",
      labelNames: ["route", "method", "status"],
      registers,
    });
    this.duration = new Histogram({
      name: "presage_api_request_duration_seconds",
      help: "Time from receiving an HTTP API request to sending the response.",
      labelNames: ["route", "method"],
      buckets: DURATION_BUCKETS,
      registers,
    });
  }

  /** One answered request. */
  observe(route: string, method: string, status: number, seconds: number): void {
    this.requests.inc({ route, method, status: String(status) });
    this.duration.observe({ route, method }, seconds);
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
