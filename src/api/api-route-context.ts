import type { BearerAuth } from "./auth/bearer-auth.js";
import type { PresageBackend } from "./presage-backend.js";
import type { MetricsSource } from "../telemetry/metrics-server.js";

/** What every route plugin is registered with. */
export interface ApiRouteContext {
  readonly backend: PresageBackend;
  readonly auth: BearerAuth;
  /** Exposition sources `/metrics` concatenates (each its own prom-client registry). */
  readonly metrics: readonly MetricsSource[];
}
