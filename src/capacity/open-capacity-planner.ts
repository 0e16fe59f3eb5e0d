import type { Forecaster } from "../../models/forecaster.js";
import { createCapacityForecaster } from "../../training/capacity/capacity-forecaster.js";
import type { ResolvedConfig } from "../config/presage-config.js";
import type { MetricSource } from "../sources/metric-source.js";
import { PrometheusMetricSource } from "../sources/prometheus-metric-source.js";
import type { PrometheusSourceOverrides } from "../sources/create-metric-source.js";
import type { ResolvedCapacityConfig } from "./capacity-config.js";
import { CapacityPlanner } from "./capacity-planner.js";
import type { CapacityStateStore } from "./capacity-state.js";
import { createTicketSinks } from "./create-ticket-sinks.js";
import { FileCapacityStateStore } from "./file-capacity-state-store.js";
import { RedisCapacityStateStore } from "./redis-capacity-state-store.js";
import { TicketOutbox, type OutboxEvent } from "./ticket-outbox.js";
import type { TicketSink } from "./ticket-sink.js";

/** Hooks for tests and tuning. */
export interface OpenCapacityPlannerOverrides {
  /** @defaultValue `Date.now` */
  readonly now?: () => number;
  /** @defaultValue `createCapacityForecaster({ horizonDays })` */
  readonly createForecaster?: (horizonDays: number) => Forecaster;
  /** @defaultValue the sinks of the config */
  readonly sinks?: ReadonlyMap<string, TicketSink>;
  /** Sink request timeout. @defaultValue 10000 */
  readonly sinkTimeoutMs?: number;
  readonly prometheus?: PrometheusSourceOverrides;
  readonly onDelivery?: (event: OutboxEvent) => void;
}

/** Everything a capacity run needs, opened from the config. Close `store` when done. */
export interface OpenedCapacityPlanner {
  readonly capacity: ResolvedCapacityConfig;
  readonly planner: CapacityPlanner;
  readonly outbox: TicketOutbox;
  readonly store: CapacityStateStore;
  readonly source: MetricSource;
}

/**
 * Wires the capacity planner from the configuration: Prometheus for usage and capacity, the state
 * store the mode implies (Redis key in cluster mode, `capacity.stateFile` in embedded mode), the
 * configured sinks, the outbox and the capacity forecaster.
 * @throws RangeError without a `capacity` or `prometheus` section (the schema already requires them).
 */
export function openCapacityPlanner(
  config: ResolvedConfig,
  overrides: OpenCapacityPlannerOverrides = {},
): OpenedCapacityPlanner {
  const capacity = config.capacity;
  if (capacity === undefined) throw new RangeError("the config has no capacity section");
  const prometheus = config.prometheus;
  if (prometheus === undefined) throw new RangeError("capacity planning needs a prometheus section");
  const source = new PrometheusMetricSource({
    ...overrides.prometheus,
    url: prometheus.url,
    bearerToken: prometheus.bearerToken,
    bearerTokenFile: prometheus.bearerTokenFile,
    headers: prometheus.headers,
    timeoutMs: prometheus.timeoutMs,
  });
  const store: CapacityStateStore =
    config.redis === undefined
      ? new FileCapacityStateStore({ path: capacity.stateFile })
      : new RedisCapacityStateStore({ url: config.redis.url });
  const now = overrides.now ?? Date.now;
  const outbox = new TicketOutbox({
    store,
    sinks: overrides.sinks ?? createTicketSinks(capacity.sinks, overrides.sinkTimeoutMs),
    delivery: capacity.delivery,
    now,
    ...(overrides.onDelivery === undefined ? {} : { onEvent: overrides.onDelivery }),
  });
  const planner = new CapacityPlanner({
    config: capacity,
    source,
    store,
    outbox,
    createForecaster:
      overrides.createForecaster ?? ((horizonDays) => createCapacityForecaster({ horizonDays })),
    now,
  });
  return { capacity, planner, outbox, store, source };
}
