import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SeededRandom } from "../../models/math/seeded-random.js";
import { parseEvalCapacityArgs } from "../../src/cli/eval-capacity-command.js";
import { CliError } from "../../src/cli/cli-error.js";

const run = promisify(execFile);
const repoRoot = resolve(import.meta.dirname, "../..");
const cli = join(repoRoot, "bin/presage.js");
const shared = resolve(repoRoot, "../shared/data/daily/m4_daily_sample_1280d_part_shared.csv");

interface CapacityJson {
  pairs: number;
  methods: Record<
    string,
    {
      within15: Record<string, number>;
      mape: Record<string, number>;
      coverage80: Record<string, number>;
      failures: number;
    }
  >;
}

/** Three series of the shared M4 file, or three seeded random walks with drift when it is absent. */
async function sliceOfDailyData(): Promise<string> {
  if (existsSync(shared)) {
    const lines = (await readFile(shared, "utf8")).split("\n");
    const keep = new Set(["T675", "T701", "T755"]);
    return [lines[0], ...lines.slice(1).filter((line) => keep.has(line.split(",")[0] ?? ""))].join("\n");
  }
  const random = new SeededRandom(17);
  const rows = ["series,day,date,value"];
  for (const id of ["S1", "S2", "S3"]) {
    let level = 1000;
    for (let day = 0; day < 1280; day++) {
      level *= Math.exp(0.0004 + 0.01 * random.normal());
      const date = new Date(Date.UTC(2001, 2, 30) + day * 86_400_000).toISOString().slice(0, 10);
      rows.push(`${id},${day},${date},${level.toFixed(2)}`);
    }
  }
  return rows.join("\n");
}

describe("presage eval capacity", () => {
  let dir = "";

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "presage-eval-capacity-"));
    await writeFile(join(dir, "slice.csv"), `${await sliceOfDailyData()}\n`);
    const random = new SeededRandom(3);
    const prophet = ['"ds","y"'];
    for (let day = 0; day < 900; day++) {
      if (day === 400 || day === 401) continue; // missing days, as in Prophet's own example file
      const date = new Date(Date.UTC(2010, 0, 1) + day * 86_400_000).toISOString().slice(0, 10);
      const y = 8 + 0.5 * Math.sin((2 * Math.PI * day) / 7) + 0.05 * random.normal();
      prophet.push(`"${date}",${y.toFixed(4)}`);
    }
    await writeFile(join(dir, "prophet.csv"), `${prophet.join("\n")}\n`);
    await writeFile(join(dir, "bad.csv"), "series,date,value\nA,2020-01-01,1\nA,2020-01-02,lots\n");
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("scores 3 series on 12 rolling origins each and writes the documented JSON", async () => {
    const out = join(dir, "out.json");
    const { stdout } = await run("node", [
      cli,
      "eval",
      "capacity",
      "--input",
      join(dir, "slice.csv"),
      "--horizons",
      "90,180",
      "--models",
      "capacity,naive",
      "--json",
      out,
    ]);
    expect(stdout).toMatch(/^3 series, 36 \(series, origin\) pairs/);
    expect(stdout).toMatch(/^capacity\s/m);
    expect(stdout).toMatch(/^naive\s/m);
    const json = JSON.parse(await readFile(out, "utf8")) as CapacityJson;
    expect(json.pairs).toBe(36);
    expect(Object.keys(json.methods)).toEqual(["capacity", "naive"]);
    for (const scores of Object.values(json.methods)) {
      for (const horizon of ["90", "180"]) {
        expect(scores.within15[horizon]).toBeGreaterThanOrEqual(0);
        expect(scores.within15[horizon]).toBeLessThanOrEqual(1);
        expect(scores.mape[horizon]).toBeGreaterThan(0);
        expect(scores.coverage80[horizon]).toBeGreaterThan(0);
        expect(scores.coverage80[horizon]).toBeLessThanOrEqual(1);
      }
      expect(scores.failures).toBe(0);
    }
  }, 180_000);

  it("reads Prophet's ds,y layout with missing days as one series", async () => {
    const out = join(dir, "prophet.json");
    const { stdout } = await run("node", [
      cli,
      "eval",
      "capacity",
      "--input",
      join(dir, "prophet.csv"),
      "--horizons",
      "90",
      "--models",
      "capacity,snaive",
      "--json",
      out,
    ]);
    // 900 days: origins 810, 780, 750 (each with ≥ 730 days before it).
    expect(stdout).toMatch(/^1 series, 3 \(series, origin\) pairs/);
    const json = JSON.parse(await readFile(out, "utf8")) as CapacityJson;
    // A flat series with a weekly cycle: both are right within ±15%.
    expect(json.methods.capacity?.within15["90"]).toBe(1);
    expect(json.methods.snaive?.within15["90"]).toBe(1);
  }, 180_000);

  it("exits with code 2 naming the line and column of a bad cell", async () => {
    const failure = await run("node", [cli, "eval", "capacity", "--input", join(dir, "bad.csv")]).catch(
      (error: unknown) => error as { code: number; stderr: string },
    );
    expect("code" in failure && failure.code).toBe(2);
    expect("stderr" in failure ? failure.stderr : "").toMatch(
      /line 3, column 3 \(`value`\): "lots" is not a number/,
    );
  });

  it("names every problem with the flags at once", () => {
    expect(() => parseEvalCapacityArgs(["--horizons", "3,x", "--models", "capacity,prophet"])).toThrow(
      CliError,
    );
    try {
      parseEvalCapacityArgs(["--horizons", "3,x", "--models", "capacity,prophet"]);
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toContain("--input <csv> is required");
      expect(message).toContain('--horizons: "3" must be an integer ≥ 7 (days)');
      expect(message).toContain('--horizons: "x" must be an integer ≥ 7 (days)');
      expect(message).toContain('unknown model "prophet"');
    }
  });
});
