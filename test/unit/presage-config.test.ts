import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, parseConfigText, resolveConfig } from "../../src/config/presage-config.js";
import { parseDurationSeconds } from "../../src/config/duration.js";

describe("parseDurationSeconds", () => {
  it("reads Prometheus-style durations", () => {
    expect(parseDurationSeconds("30s")).toBe(30);
    expect(parseDurationSeconds("1h30m")).toBe(5400);
    expect(parseDurationSeconds("14d")).toBe(14 * 86_400);
    expect(parseDurationSeconds("1w")).toBe(604_800);
  });

  it("rejects anything else", () => {
    for (const text of ["", "5", "5 minutes", "-1h", "1y", "0s"])
      expect(parseDurationSeconds(text)).toBeUndefined();
  });
});

describe("presage config", () => {
  it("lists every mistake of a config at once, naming field, value and rule", () => {
    let error: unknown;
    try {
      parseConfigText(
        [
          "prometheus: { url: not-a-url }",
          'redis: { url: "http://x" }',
          "targets:",
          "  - name: API",
          "    step: 5 minutes",
          "    models: [auto, prophet]",
          '    schedule: "every day"',
          "    bogus: 1",
          "  - name: web",
          "    source: csv",
        ].join("\n"),
        "presage.yaml",
      );
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    const fields = problems.map((problem) => problem.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        "prometheus.url",
        "redis.url",
        "targets[0].name",
        "targets[0].step",
        "targets[0].models[1]",
        "targets[0].schedule",
        "targets[0]",
        "targets[0].query",
        "targets[1].csv",
      ]),
    );
    expect((error as ConfigError).message).toContain('targets[0].step ("5 minutes") must be a duration');
    expect((error as ConfigError).message).toMatch(/^presage.yaml: 9 problems/);
  });

  it("reports duplicate target names and a prometheus target without a prometheus section", () => {
    expect(() =>
      resolveConfig({
        targets: [
          { name: "a", query: "up" },
          { name: "a", source: "synthetic" },
        ],
      }),
    ).toThrow(
      /targets\[0\]\.source is prometheus but no prometheus section[\s\S]*targets\[1\]\.name \("a"\) duplicates "a"/,
    );
  });

  it("applies defaults, resolves durations and freezes the result", () => {
    const config = resolveConfig({
      targets: [{ name: "web", source: "synthetic", step: "15m", horizons: ["30m", "2h"] }],
    });
    expect(config.redis).toBeUndefined();
    expect(config.training).toEqual({ concurrency: 2, attempts: 3, backoffMs: 5000 });
    expect(config.targets[0]).toMatchObject({
      stepSeconds: 900,
      historySeconds: 14 * 86_400,
      horizonsSeconds: [1800, 7200],
      seasonalitySeconds: [86_400, 604_800],
      models: ["auto"],
      schedule: "0 */6 * * *",
    });
    expect(Object.isFrozen(config.targets[0])).toBe(true);
    expect(() => {
      (config.targets as unknown as unknown[]).push({});
    }).toThrow(TypeError);
  });

  it("rejects a horizon shorter than one step", () => {
    expect(() =>
      resolveConfig({ targets: [{ name: "web", source: "synthetic", step: "5m", horizons: ["1m"] }] }),
    ).toThrow(/targets\[0\]\.horizons\[0\] \("1m"\) must be at least one step/);
  });

  it("accepts the example config shipped in examples/", async () => {
    const text = await readFile(resolve(import.meta.dirname, "../../examples/presage.yaml"), "utf8");
    expect(parseConfigText(text).targets.map((target) => target.name)).toEqual(["demo-web"]);
  });

  it("reports invalid YAML as a config problem, not a crash", () => {
    expect(() => parseConfigText("targets: [", "bad.yaml")).toThrow(ConfigError);
  });
});

describe("presage config paths and secrets", () => {
  it("refuses both a bearer token and a token file", () => {
    expect(() =>
      resolveConfig({
        prometheus: { url: "http://prom:9090", bearerToken: "t", bearerTokenFile: "/run/token" },
        targets: [{ name: "web", query: "up" }],
      }),
    ).toThrow(/prometheus may set bearerToken or bearerTokenFile, not both/);
  });

  it("resolves relative CSV paths against the config file's folder", () => {
    const config = parseConfigText(
      "targets:\n  - name: nasa\n    source: csv\n    csv: { path: data/trace.csv }\n",
      "c.yaml",
      "/etc/presage",
    );
    expect(config.targets[0]?.csv?.path).toBe("/etc/presage/data/trace.csv");
  });
});

describe("presage config: the scaler section", () => {
  const base = [
    "prometheus: { url: http://prom:9090 }",
    "targets:",
    "  - name: checkout",
    '    query: sum(rate(http_requests_total{service="checkout"}[5m]))',
    "  - name: demo",
    "    source: synthetic",
  ];

  it("resolves durations to ms, takes the training target's query as the load query, and leaves unset fields to the scaler", () => {
    const config = parseConfigText(
      [
        ...base,
        "scaler:",
        "  tick: 30s",
        "  lease: { namespace: ops, name: presage-leader }",
        "  discovery: false",
        "  startupLead: { quantile: 0.95, lookback: 6h, refresh: 2m }",
        "  targets:",
        "    - name: checkout",
        "      hpa: { namespace: shop, name: checkout }",
        "      podCapacity: 700",
        "      quantile: 0.95",
        "      lead: 3m",
        "      window: 20m",
        "      mode: active",
        "      maxStepUp: 5",
        "      maxStepDown: 2",
        "      scaleDownCooldown: 15m",
        "      maxForecastAge: 10m",
        '      outageQuery: sum(rate(http_requests_total{code=~"5.."}[1m])) / sum(rate(http_requests_total[1m]))',
        "      outageThreshold: 0.1",
        "      calibrate: false",
        "      noiseExponent: 1",
        "    - name: demo",
        "      hpa: { namespace: shop, name: demo }",
        "      loadQuery: demo_rps",
        "      podCapacity: 10",
      ].join("\n"),
    );
    expect(config.scaler).toEqual({
      tickMs: 30_000,
      lease: { namespace: "ops", name: "presage-leader" },
      discovery: false,
      startupLead: {
        enabled: true,
        quantile: 0.95,
        lookbackMs: 6 * 3_600_000,
        refreshMs: 120_000,
        minPods: 3,
        maxStartupMs: 1_800_000,
      },
      targets: [
        {
          name: "checkout",
          hpa: { namespace: "shop", name: "checkout" },
          loadQuery: 'sum(rate(http_requests_total{service="checkout"}[5m]))',
          podCapacity: 700,
          quantile: 0.95,
          leadMs: 180_000,
          windowMs: 1_200_000,
          mode: "active",
          maxStepUp: 5,
          maxStepDown: 2,
          scaleDownCooldownMs: 900_000,
          maxForecastAgeMs: 600_000,
          outageQuery: 'sum(rate(http_requests_total{code=~"5.."}[1m])) / sum(rate(http_requests_total[1m]))',
          outageThreshold: 0.1,
          calibrate: false,
          noiseExponent: 1,
        },
        { name: "demo", hpa: { namespace: "shop", name: "demo" }, loadQuery: "demo_rps", podCapacity: 10 },
      ],
    });
    expect(Object.isFrozen(config.scaler?.targets[0]?.hpa)).toBe(true);
  });

  it("applies the scaler defaults to an empty section and leaves the section out when absent", () => {
    const config = parseConfigText([...base, "scaler: {}"].join("\n"));
    expect(config.scaler).toMatchObject({
      tickMs: 60_000,
      lease: { name: "presage-scaler" },
      discovery: true,
      startupLead: { enabled: true, quantile: 0.9, lookbackMs: 86_400_000, refreshMs: 300_000 },
      targets: [],
    });
    expect(config.scaler?.lease.namespace).toBeUndefined();
    expect(parseConfigText(base.join("\n")).scaler).toBeUndefined();
  });

  it("lists every mistake of the scaler section at once, with field paths", () => {
    let error: unknown;
    try {
      parseConfigText(
        [
          ...base,
          "scaler:",
          "  tick: fast",
          "  lease: { namespace: Ops_Team }",
          "  startupLead: { quantile: 1 }",
          "  targets:",
          "    - name: checkout",
          "      hpa: { namespace: shop, name: checkout }",
          "      podCapacity: 0",
          "      quantile: 1.2",
          "      lead: 3 minutes",
          "      mode: on",
          "      maxStepUp: 0",
          "      outageThreshold: 2",
          "      noiseExponent: 1.5",
          "      replicas: 3",
          "    - name: unknown",
          "      hpa: { namespace: shop, name: checkout }",
          "      podCapacity: 5",
          "    - name: demo",
          "      hpa: { namespace: shop, name: demo }",
          "      podCapacity: 5",
        ].join("\n"),
        "presage.yaml",
      );
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const fields = (error as ConfigError).problems.map((problem) => problem.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        "scaler.tick",
        "scaler.lease.namespace",
        "scaler.startupLead.quantile",
        "scaler.targets[0].podCapacity",
        "scaler.targets[0].quantile",
        "scaler.targets[0].lead",
        "scaler.targets[0].mode",
        "scaler.targets[0].maxStepUp",
        "scaler.targets[0].outageThreshold",
        "scaler.targets[0].noiseExponent",
        "scaler.targets[0]",
      ]),
    );
    const message = (error as ConfigError).message;
    expect(message).toContain('scaler.targets[0].lead ("3 minutes") must be a duration');
    expect(message).toContain("scaler.targets[0].podCapacity (0) must be > 0");
  });

  it("cross-checks scaler targets against training targets and each other", () => {
    let error: unknown;
    try {
      resolveConfig({
        prometheus: { url: "http://prom:9090" },
        targets: [
          { name: "checkout", query: "up" },
          { name: "demo", source: "synthetic" },
        ],
        scaler: {
          targets: [
            { name: "missing", hpa: { namespace: "shop", name: "web" }, podCapacity: 5 },
            { name: "demo", hpa: { namespace: "shop", name: "demo" }, podCapacity: 5 },
            { name: "checkout", hpa: { namespace: "shop", name: "web" }, podCapacity: 5 },
          ],
        },
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      {
        field: "scaler.targets[0].name",
        value: '"missing"',
        rule: "must name a target declared under targets (the model that forecasts this HPA's load)",
      },
      {
        field: "scaler.targets[0].loadQuery",
        rule: "is required unless the training target it names reads Prometheus (its query is used)",
      },
      {
        field: "scaler.targets[1].loadQuery",
        rule: "is required unless the training target it names reads Prometheus (its query is used)",
      },
      { field: "scaler.targets[2].hpa", rule: "duplicates HPA shop/web" },
    ]);
  });

  it("accepts the scaler section of the example config", async () => {
    const text = await readFile(resolve(import.meta.dirname, "../../examples/presage.yaml"), "utf8");
    expect(parseConfigText(text).scaler).toMatchObject({ tickMs: 60_000, discovery: true });
  });
});

describe("capacity section", () => {
  const prometheus = "prometheus: { url: http://prometheus:9090 }";

  it("applies defaults and resolves capacity targets, sinks and paths", () => {
    const config = parseConfigText(
      [
        prometheus,
        "capacity:",
        "  sinks:",
        "    - { name: hook, type: webhook, url: http://hooks.local/in }",
        "    - { name: gh, type: github, repo: acme/infra, tokenFile: secrets/gh-token }",
        "  targets:",
        "    - name: cluster-cpu",
        "      resource: cpu",
        '      usage: sum(kube_pod_container_resource_requests{resource="cpu"})',
        '      capacity: sum(kube_node_status_allocatable{resource="cpu"})',
        "    - name: data-pvc",
        "      usage: kubelet_volume_stats_used_bytes",
        "      capacity: 500000000000",
        "      aggregate: p95",
        "      history: 104w",
        "      sinks: [hook]",
      ].join("\n"),
      "presage.yaml",
      "/etc/presage",
    );
    // No training targets are needed when the file is about capacity planning.
    expect(config.targets).toEqual([]);
    expect(config.capacity).toMatchObject({
      schedule: "0 6 * * *",
      stateFile: "/etc/presage/.presage/capacity-state.json",
      updateShiftDays: 7,
      updateShiftFraction: 0.2,
      resolveMargin: 0.25,
      delivery: { baseDelayMs: 5000, maxDelayMs: 3_600_000, perSinkPerMinute: 30, leaseMs: 60_000 },
    });
    expect(config.capacity?.sinks[1]).toMatchObject({
      type: "github",
      url: "https://api.github.com",
      tokenFile: "/etc/presage/secrets/gh-token",
    });
    expect(config.capacity?.targets[0]).toEqual({
      name: "cluster-cpu",
      resource: "cpu",
      fingerprint: "cluster-cpu/cpu",
      usageQuery: 'sum(kube_pod_container_resource_requests{resource="cpu"})',
      capacity: { query: 'sum(kube_node_status_allocatable{resource="cpu"})' },
      aggregate: "max",
      stepSeconds: 3600,
      headroom: 0.8,
      thresholdDays: 90,
      horizonDays: 180,
      historyDays: 730,
      labels: [],
      sinks: ["hook", "gh"],
    });
    expect(config.capacity?.targets[1]).toMatchObject({
      fingerprint: "data-pvc/data-pvc",
      capacity: { constant: 500_000_000_000 },
      aggregate: "p95",
      historyDays: 728,
      sinks: ["hook"],
    });
    expect(Object.isFrozen(config.capacity?.targets[0])).toBe(true);
  });

  it("reports every capacity mistake at once, with paths", () => {
    let error: unknown;
    try {
      parseConfigText(
        [
          "capacity:",
          '  schedule: "daily"',
          "  sinks:",
          "    - { name: gh, type: github, repo: nope }",
          "    - { name: gh, type: slack, url: ftp://x }",
          "    - { name: j, type: jira, url: https://jira.local, project: ops, token: a, tokenFile: b }",
          "    - { name: p, type: pager, url: https://x }",
          "  targets:",
          "    - name: cpu",
          "      usage: x",
          "      capacity: -1",
          "      headroom: 1.5",
          "      step: 7h",
          "      thresholdDays: 200",
          "      sinks: [nowhere]",
        ].join("\n"),
        "presage.yaml",
      );
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const fields = (error as ConfigError).problems.map((problem) => problem.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        "capacity.schedule",
        "capacity.sinks[0].repo",
        "capacity.sinks[0].token",
        "capacity.sinks[1].url",
        "capacity.sinks[2].project",
        "capacity.sinks[2].tokenFile",
        "capacity.sinks[3].type",
        "capacity.targets[0].capacity",
        "capacity.targets[0].headroom",
      ]),
    );
    expect((error as ConfigError).message).toContain(
      "capacity.sinks[3].type must be one of webhook, github, jira, slack",
    );
    expect(() =>
      parseConfigText("capacity: { targets: [{ name: cpu, usage: x, capacity: 1 }] }", "presage.yaml"),
    ).toThrow(/capacity reads usage from Prometheus but no prometheus section is configured/);
  });

  it("checks cross-field rules: step divides a day, threshold within horizon, sink names exist, no duplicates", () => {
    let error: unknown;
    try {
      parseConfigText(
        [
          prometheus,
          "capacity:",
          "  sinks: [{ name: hook, type: webhook, url: http://x }]",
          "  targets:",
          "    - { name: cpu, usage: x, capacity: 10, step: 7h, thresholdDays: 200, history: 2w, sinks: [nowhere] }",
          "    - { name: cpu, usage: y, capacity: 10 }",
        ].join("\n"),
        "presage.yaml",
      );
    } catch (caught) {
      error = caught;
    }
    expect((error as ConfigError).problems).toEqual(
      expect.arrayContaining([
        { field: "capacity.targets[0].step", value: '"7h"', rule: "must divide a day (e.g. 5m, 1h, 6h, 1d)" },
        { field: "capacity.targets[0].history", value: '"2w"', rule: "must be at least 28d" },
        { field: "capacity.targets[0].thresholdDays", value: "200", rule: "must be ≤ horizonDays (180)" },
        {
          field: "capacity.targets[0].sinks[0]",
          value: '"nowhere"',
          rule: "names no sink in capacity.sinks (hook)",
        },
        { field: "capacity.targets[1].name", value: '"cpu"', rule: 'duplicates "cpu"' },
      ]),
    );
  });

  it("still requires a training target when there is no capacity section", () => {
    expect(() => parseConfigText("registry: { directory: x }")).toThrow(
      /targets must declare at least one target/,
    );
  });

  it("accepts the (commented-out) capacity section of the example config", async () => {
    const text = await readFile(resolve(import.meta.dirname, "../../examples/presage.yaml"), "utf8");
    const lines = text.split("\n");
    const start = lines.indexOf("# capacity:");
    expect(start).toBeGreaterThan(0);
    const block: string[] = [];
    for (const line of lines.slice(start)) {
      if (!line.startsWith("#")) break;
      block.push(line.replace(/^# ?/, ""));
    }
    const config = parseConfigText([prometheus, ...block].join("\n"));
    expect(config.capacity?.targets.map((target) => target.fingerprint)).toEqual([
      "cluster-cpu/cpu",
      "cluster-memory/memory",
      "nodes/nodes",
      "postgres-pvc/bytes",
    ]);
    expect(config.capacity?.sinks.map((sink) => sink.type)).toEqual(["webhook", "github", "jira", "slack"]);
  });
});
