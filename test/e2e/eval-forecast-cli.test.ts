import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SeededRandom } from "../../models/math/seeded-random.js";
import { parseEvalForecastArgs } from "../../src/cli/eval-forecast-command.js";
import { CliError } from "../../src/cli/cli-error.js";

const run = promisify(execFile);
const repoRoot = resolve(import.meta.dirname, "../..");
const cli = join(repoRoot, "bin/presage.js");
const m4 = resolve(repoRoot, "../shared/data/m4");

interface EvalJson {
  methods: Record<
    string,
    {
      smape: number;
      mase: number;
      owa: number;
      msis: number;
      coverage80: number;
      coverage95: number;
      fitMsPerSeries: number;
    }
  >;
}

describe("presage eval forecast", () => {
  let dir = "";

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "presage-eval-"));
    const random = new SeededRandom(11);
    const trainRows: string[] = ['"V1","V2"'];
    const testRows: string[] = ['"V1","V2"'];
    for (let s = 1; s <= 6; s++) {
      const length = 24 * 14 + 24 * 2;
      const values = Array.from(
        { length },
        (_, i) => 200 + 10 * s + 60 * Math.sin((2 * Math.PI * i) / 24) + 5 * random.normal(),
      );
      const train = values.slice(0, length - 24);
      if (s === 3) train[50] = Number.NaN; // a gap, written as an empty cell
      trainRows.push(
        [`"S${s}"`, ...train.map((v) => (Number.isNaN(v) ? "" : v.toFixed(3))), "", ""].join(","),
      );
      testRows.push([`"S${s}"`, ...values.slice(length - 24).map((v) => v.toFixed(3))].join(","));
    }
    await writeFile(join(dir, "train.csv"), `${trainRows.join("\n")}\n`);
    await writeFile(join(dir, "test.csv"), `${testRows.join("\n")}\n`);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("prints one row per method and writes the documented JSON", async () => {
    const out = join(dir, "out.json");
    const { stdout } = await run("node", [
      cli,
      "eval",
      "forecast",
      "--train",
      join(dir, "train.csv"),
      "--test",
      join(dir, "test.csv"),
      "--season",
      "24",
      "--horizon",
      "24",
      "--models",
      "auto,snaive,naive,naive2",
      "--json",
      out,
    ]);
    expect(stdout).toMatch(/^6 series/);
    for (const name of ["auto", "snaive", "naive", "naive2"])
      expect(stdout).toMatch(new RegExp(`^${name}\\s`, "m"));
    const json = JSON.parse(await readFile(out, "utf8")) as EvalJson;
    expect(Object.keys(json.methods)).toEqual(["auto", "snaive", "naive", "naive2"]);
    expect(json.methods.naive2?.owa).toBeCloseTo(1, 12);
    for (const scores of Object.values(json.methods)) {
      expect(Object.keys(scores).sort()).toEqual(
        ["coverage80", "coverage95", "failures", "fitMsPerSeries", "mase", "msis", "owa", "smape"].sort(),
      );
      expect(scores.coverage80).toBeGreaterThanOrEqual(0);
      expect(scores.coverage95).toBeLessThanOrEqual(1);
    }
    // A strongly seasonal set: the automatic choice must beat the random walk by far.
    expect(json.methods.auto!.owa).toBeLessThan(0.5 * json.methods.naive!.owa);
  });

  it("exits with code 2 and names every problem with the flags", async () => {
    const failure = await run("node", [
      cli,
      "eval",
      "forecast",
      "--season",
      "x",
      "--models",
      "auto,prophet",
    ]).catch((error: unknown) => error as { code: number; stderr: string });
    expect("code" in failure && failure.code).toBe(2);
    const stderr = "stderr" in failure ? failure.stderr : "";
    expect(stderr).toContain("--train <train.csv> is required");
    expect(stderr).toContain("--season (x) must be an integer ≥ 1");
    expect(stderr).toContain('unknown model "prophet"');
  });

  it("rejects a test file that is shorter than the horizon, naming the series", async () => {
    const options = parseEvalForecastArgs([
      "--train",
      join(dir, "train.csv"),
      "--test",
      join(dir, "test.csv"),
      "--season",
      "24",
      "--horizon",
      "48",
    ]);
    const { loadEvaluationSeries } = await import("../../src/cli/eval-forecast-command.js");
    await expect(loadEvaluationSeries(options)).rejects.toThrow(CliError);
    await expect(loadEvaluationSeries(options)).rejects.toThrow(/series "S1": test has 24 values/);
  });

  it.skipIf(!existsSync(m4))("scores M4 Hourly H1–H12 with auto ahead of Naive2", async () => {
    const out = join(dir, "m4.json");
    await run("node", [
      cli,
      "eval",
      "forecast",
      "--train",
      join(m4, "Hourly-train-H1-H150.csv"),
      "--test",
      join(m4, "Hourly-test-H1-H150.csv"),
      "--season",
      "24",
      "--horizon",
      "48",
      "--models",
      "auto,naive2",
      "--limit",
      "12",
      "--json",
      out,
    ]);
    const json = JSON.parse(await readFile(out, "utf8")) as EvalJson;
    expect(json.methods.auto!.owa).toBeLessThan(json.methods.naive2!.owa);
    expect(json.methods.auto!.coverage95).toBeGreaterThan(0.8);
  });
});

describe("presage run --no-serve", () => {
  it("forecasts the synthetic workload, prints a table and a chart, runs the scaler loop and exits", async () => {
    const { stdout } = await run("node", [
      cli,
      "run",
      "--horizon-steps",
      "48",
      "--scale-ticks",
      "2",
      "--no-serve",
    ]);
    expect(stdout).toContain("embedded defaults");
    expect(stdout).toMatch(/model: auto\[/);
    expect(stdout).toMatch(/time \(UTC\)\s+forecast rps\s+80% low\s+80% high\s+95% low\s+95% high/);
    expect(stdout.match(/^2026-11-30 \d\d:00 /gm)).toHaveLength(12);
    expect(stdout).toContain("● forecast");
    expect(stdout).toContain("The scaler loop on a simulated cluster");
    expect(stdout).toContain("baseline minReplicas restored (2)");
  });
});

describe("presage scale", () => {
  it("runs the scaler loop on a simulated cluster, prints decisions and restores the baseline", async () => {
    const { stdout } = await run("node", [cli, "scale", "--ticks", "3", "--tick-ms", "0"]);
    expect(stdout).toContain("simulated cluster, synthetic workload");
    expect(stdout).toMatch(/^model v1: auto\[/m);
    const rows = stdout.split("\n").filter((line) => /^\d{4}-\d\d-\d\d \d\d:\d\d /.test(line));
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(/ raise$/);
    expect(stdout).toContain("baseline minReplicas restored (2)");
  });
});
