import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SeededRandom } from "../../models/math/seeded-random.js";

const run = promisify(execFile);
const repoRoot = resolve(import.meta.dirname, "../..");
const cli = join(repoRoot, "bin/presage.js");

interface SimulateJson {
  policies: {
    name: string;
    targetUtilization: number;
    quantile: number | null;
    podHours: number;
    underProvisionedMinutes: number;
    underProvisionedPodMinutes: number;
    unservedShare: number;
    scalingActions: number;
  }[];
}

/** Three days of per-minute requests in the ../shared/data/traces layout, with logged gaps. */
function traceCsv(): string {
  const random = new SeededRandom(5);
  const startMs = Date.UTC(2024, 4, 1, 4); // 00:00 at UTC−04:00
  const rows = ["timestamp,requests,status"];
  for (let minute = 0; minute < 3 * 1440; minute++) {
    const local = new Date(startMs + minute * 60_000 - 4 * 3_600_000).toISOString().slice(0, 19);
    const load = Math.max(
      0,
      Math.round(60 + 40 * Math.sin((2 * Math.PI * minute) / 1440) + 6 * random.normal()),
    );
    const status =
      minute >= 2000 && minute < 2030
        ? "server_down"
        : minute >= 3000 && minute < 3010
          ? "missing_log"
          : "ok";
    rows.push(
      `${local}-04:00,${status === "missing_log" ? "" : status === "server_down" ? 0 : load},${status}`,
    );
  }
  return `${rows.join("\n")}\n`;
}

describe("presage simulate", () => {
  let dir = "";

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "presage-simulate-"));
    await writeFile(join(dir, "trace.csv"), traceCsv());
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("replays a trace through the three policies and writes the JSON and the chart", async () => {
    const json = join(dir, "out.json");
    const svg = join(dir, "out.svg");
    const { stdout } = await run(
      process.execPath,
      [
        cli,
        "simulate",
        "--trace",
        join(dir, "trace.csv"),
        "--pod-capacity",
        "peak/8",
        "--startup",
        "180s",
        "--warmup",
        "1d",
        "--train-window",
        "2d",
        "--json",
        json,
        "--chart",
        svg,
      ],
      { cwd: repoRoot },
    );
    expect(stdout).toMatch(/^reactive +0\.7 /m);
    expect(stdout).toMatch(/^presage +0\.7 +0\.9 /m);
    expect(stdout).toMatch(/^oracle /m);
    expect(stdout).toContain("forecasting: 2 fits");
    const report = JSON.parse(await readFile(json, "utf8")) as SimulateJson;
    expect(Object.keys(report)).toEqual(["policies"]);
    expect(report.policies.map((policy) => policy.name)).toEqual(["reactive", "presage", "oracle"]);
    for (const policy of report.policies) {
      expect(policy.podHours).toBeGreaterThan(0);
      expect(policy.unservedShare).toBeGreaterThanOrEqual(0);
      expect(Number.isInteger(policy.scalingActions)).toBe(true);
    }
    expect(report.policies[2]?.underProvisionedPodMinutes).toBe(0);
    const chart = await readFile(svg, "utf8");
    expect(chart).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(chart).toContain("Ready capacity: presage q0.9 + HPA 0.7");
  });

  it("sweeps settings and compares them at equal pod-hours", async () => {
    const json = join(dir, "sweep.json");
    const { stdout } = await run(
      process.execPath,
      [
        cli,
        "simulate",
        "--trace",
        join(dir, "trace.csv"),
        "--pod-capacity",
        "12",
        "--warmup",
        "1d",
        "--model",
        "snaive",
        "--sweep",
        "--sweep-targets",
        "0.6,0.8",
        "--sweep-quantiles",
        "0.8,0.9",
        "--json",
        json,
      ],
      { cwd: repoRoot },
    );
    expect(stdout).toContain("At equal pod-hours");
    const report = JSON.parse(await readFile(json, "utf8")) as SimulateJson;
    expect(report.policies.filter((policy) => policy.name === "reactive")).toHaveLength(2);
    expect(report.policies.filter((policy) => policy.name === "presage")).toHaveLength(4);
    expect(report.policies.filter((policy) => policy.name === "oracle")).toHaveLength(1);
  });

  it("exits 2 with the problem and the usage when a required flag is missing", async () => {
    const failure = await run(process.execPath, [cli, "simulate", "--trace", join(dir, "trace.csv")], {
      cwd: repoRoot,
    }).then(
      () => undefined,
      (error: unknown) => error as { code: number; stderr: string },
    );
    expect(failure?.code).toBe(2);
    expect(failure?.stderr).toContain("--pod-capacity <load per pod per step> is required");
    expect(failure?.stderr).toContain("presage simulate --trace <csv>");
  });

  it("exits 2 naming the column when it is not in the trace", async () => {
    const failure = await run(
      process.execPath,
      [cli, "simulate", "--trace", join(dir, "trace.csv"), "--pod-capacity", "10", "--column", "bytes"],
      { cwd: repoRoot },
    ).then(
      () => undefined,
      (error: unknown) => error as { code: number; stderr: string },
    );
    expect(failure?.code).toBe(2);
    expect(failure?.stderr).toContain('no column "bytes" (columns: requests)');
  });
});
