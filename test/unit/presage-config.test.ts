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
