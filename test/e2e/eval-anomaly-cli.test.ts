import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SeededRandom } from "../../models/math/seeded-random.js";

const run = promisify(execFile);
const repoRoot = resolve(import.meta.dirname, "../..");
const cli = join(repoRoot, "bin/presage.js");

interface AnomalyJson {
  scores: Record<string, number>;
  files: Record<string, Record<string, { score: number; windows: number; detectedWindows: number }>>;
}

const ROWS = 3000;
const START_MS = Date.UTC(2014, 3, 1);

function stamp(row: number): string {
  return new Date(START_MS + row * 300_000).toISOString().replace("T", " ").slice(0, 19);
}

/** Ten days at 5 minutes: a daily cycle with noise, plus the file's anomaly. */
function csv(seed: number, anomaly: (row: number) => number): string {
  const random = new SeededRandom(seed);
  const lines = ["timestamp,value"];
  for (let row = 0; row < ROWS; row++) {
    const value = 50 + 20 * Math.sin((2 * Math.PI * row) / 288) + 2 * random.normal() + anomaly(row);
    lines.push(`${stamp(row)},${value.toFixed(3)}`);
  }
  return `${lines.join("\n")}\n`;
}

const PROFILES = {
  standard: { CostMatrix: { tpWeight: 1, fpWeight: 0.11, fnWeight: 1, tnWeight: 1 } },
  reward_low_FP_rate: { CostMatrix: { tpWeight: 1, fpWeight: 0.22, fnWeight: 1, tnWeight: 1 } },
  reward_low_FN_rate: { CostMatrix: { tpWeight: 1, fpWeight: 0.11, fnWeight: 2, tnWeight: 1 } },
};

describe("presage eval anomaly", () => {
  let dir = "";
  let nab = "";
  let flat = "";

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "presage-nab-"));
    // The NAB repository layout: data/<category>/*.csv.
    nab = join(dir, "nab");
    await mkdir(join(nab, "data", "synthetic"), { recursive: true });
    await mkdir(join(nab, "data", "quiet"), { recursive: true });
    await mkdir(join(nab, "labels"), { recursive: true });
    await mkdir(join(nab, "config"), { recursive: true });
    await writeFile(
      join(nab, "data", "synthetic", "spike.csv"),
      csv(1, (row) => (row === 2000 ? 40 : 0)),
    );
    await writeFile(
      join(nab, "data", "synthetic", "shift.csv"),
      csv(2, (row) => (row >= 2300 ? 15 : 0)),
    );
    await writeFile(
      join(nab, "data", "quiet", "cycle.csv"),
      csv(3, () => 0),
    );
    await writeFile(
      join(nab, "labels", "combined_windows.json"),
      JSON.stringify({
        "synthetic/spike.csv": [[`${stamp(1850)}.000000`, `${stamp(2149)}.000000`]],
        "synthetic/shift.csv": [[`${stamp(2150)}.000000`, `${stamp(2449)}.000000`]],
        "quiet/cycle.csv": [],
        "elsewhere/not-here.csv": [],
      }),
    );
    await writeFile(join(nab, "config", "profiles.json"), JSON.stringify(PROFILES));
    // The shared layout (categories at the top level) with a perfect "published" detector output.
    flat = join(dir, "flat");
    await mkdir(flat);
    await cp(join(nab, "data"), flat, { recursive: true });
    await cp(join(nab, "labels"), join(flat, "labels"), { recursive: true });
    for (const [name, first] of [
      ["synthetic/spike.csv", 1850],
      ["synthetic/shift.csv", 2150],
      ["quiet/cycle.csv", -1],
    ] as const) {
      const [category, file] = name.split("/");
      const rows = ["timestamp,value,anomaly_score"];
      for (let row = 0; row < ROWS; row++) rows.push(`${stamp(row)},0,${row === first ? 1 : 0}`);
      await mkdir(join(flat, "results", "perfect", category!), { recursive: true });
      await writeFile(
        join(flat, "results", "perfect", category!, `perfect_${file!}`),
        `${rows.join("\n")}\n`,
      );
    }
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("runs the detector over every file, prints the table and writes the documented JSON", async () => {
    const out = join(dir, "presage.json");
    const { stdout } = await run("node", [cli, "eval", "anomaly", "--nab", nab, "--json", out]);
    expect(stdout).toMatch(/NAB scores of presage on 3 files \(data-folder layout/);
    expect(stdout).toMatch(/^synthetic\s+2\s/m);
    expect(stdout).toMatch(/^quiet\s+1\s/m);
    expect(stdout).toMatch(/^all\s+3\s/m);
    const json = JSON.parse(await readFile(out, "utf8")) as AnomalyJson;
    expect(Object.keys(json.scores)).toEqual(["standard", "reward_low_FP_rate", "reward_low_FN_rate"]);
    expect(Object.keys(json.files).sort()).toEqual([
      "quiet/cycle.csv",
      "synthetic/shift.csv",
      "synthetic/spike.csv",
    ]);
    expect(json.files["synthetic/spike.csv"]?.standard?.windows).toBe(1);
    // Obvious anomalies: both windows found, far better than the null detector.
    expect(json.files["synthetic/spike.csv"]?.standard?.detectedWindows).toBe(1);
    expect(json.files["synthetic/shift.csv"]?.standard?.detectedWindows).toBe(1);
    expect(json.scores.standard).toBeGreaterThan(50);
    for (const score of Object.values(json.scores)) expect(score).toBeLessThanOrEqual(100);
  });

  it("scores published per-row outputs in the top-level layout (a perfect detector scores 100)", async () => {
    const out = join(dir, "perfect.json");
    const { stdout } = await run("node", [
      cli,
      "eval",
      "anomaly",
      "--nab",
      flat,
      "--detector",
      "published:perfect",
      "--json",
      out,
    ]);
    expect(stdout).toMatch(/top-level layout/);
    const json = JSON.parse(await readFile(out, "utf8")) as AnomalyJson;
    for (const score of Object.values(json.scores)) expect(score).toBeCloseTo(100, 9);
  });

  it("runs the windowedGaussian baseline on the same files", async () => {
    const { stdout } = await run("node", [
      cli,
      "eval",
      "anomaly",
      "--nab",
      nab,
      "--detector",
      "windowedGaussian",
    ]);
    expect(stdout).toMatch(/NAB scores of windowedGaussian on 3 files/);
  });

  it("exits with code 2 and names the problem for bad flags, a missing corpus or an unlabelled file", async () => {
    const fail = (args: string[]) =>
      run("node", [cli, "eval", "anomaly", ...args]).then(
        () => ({ code: 0, stderr: "" }),
        (error: unknown) => error as { code: number; stderr: string },
      );
    const flags = await fail(["--detector", "prophet"]);
    expect(flags.code).toBe(2);
    expect(flags.stderr).toContain("--nab <dir> is required");
    expect(flags.stderr).toContain('unknown detector "prophet"');
    const missing = await fail(["--nab", join(dir, "nowhere")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("combined_windows.json");
    await mkdir(join(nab, "data", "unlabelled"), { recursive: true });
    await writeFile(
      join(nab, "data", "unlabelled", "x.csv"),
      csv(4, () => 0),
    );
    try {
      const unlabelled = await fail(["--nab", nab]);
      expect(unlabelled.code).toBe(2);
      expect(unlabelled.stderr).toContain('"unlabelled/x.csv" must list its windows');
    } finally {
      await rm(join(nab, "data", "unlabelled"), { recursive: true, force: true });
    }
  });
});
