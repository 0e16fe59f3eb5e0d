import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SeededRandom } from "../../models/math/seeded-random.js";

const run = promisify(execFile);
const repoRoot = resolve(import.meta.dirname, "../..");
const cli = join(repoRoot, "bin/presage.js");

interface EvalJson {
  series: number;
  lstmBackend?: string;
  methods: Record<string, Record<string, number>>;
  notes: Record<string, Record<string, number>>;
}

const LSTM_MODELS = ["lstm", "lstm-global", "mstl-lstm", "auto+lstm"];
const SCORES = ["smape", "mase", "owa", "msis", "coverage80", "coverage95", "fitMsPerSeries"];

/**
 * `presage eval forecast --models lstm,…` end to end, on the built CLI (`npm run build` first): four
 * seeded hourly series with a daily cycle, long enough for the default network to train (no fallback).
 */
describe("presage eval forecast with LSTM models", () => {
  let dir = "";

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "presage-eval-lstm-"));
    const random = new SeededRandom(23);
    const trainRows = ['"V1","V2"'];
    const testRows = ['"V1","V2"'];
    for (let s = 1; s <= 4; s++) {
      const level = 50 * s;
      const values = Array.from(
        { length: 24 * 17 },
        (_, i) =>
          level * (1 + 0.4 * Math.sin((2 * Math.PI * (i + 3 * s)) / 24)) + 0.03 * level * random.normal(),
      );
      trainRows.push([`"H${s}"`, ...values.slice(0, -24).map((v) => v.toFixed(3))].join(","));
      testRows.push([`"H${s}"`, ...values.slice(-24).map((v) => v.toFixed(3))].join(","));
    }
    await writeFile(join(dir, "train.csv"), `${trainRows.join("\n")}\n`);
    await writeFile(join(dir, "test.csv"), `${testRows.join("\n")}\n`);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("prints and writes finite scores for every LSTM model, with the backend used", async () => {
    const out = join(dir, "out.json");
    const { stdout, stderr } = await run(
      "node",
      [
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
        [...LSTM_MODELS, "naive"].join(","),
        "--json",
        out,
      ],
      { timeout: 240_000 },
    );
    expect(stdout).toMatch(/^4 series/);
    for (const name of [...LSTM_MODELS, "naive"]) {
      expect(stdout).toMatch(new RegExp(`^${name.replace("+", "\\+")}\\s`, "m"));
    }
    const backend = /^lstm backend: (tensorflow|wasm|cpu)\b/m.exec(stderr)?.[1];
    expect(backend).toBeDefined();
    expect(stdout).toContain(`lstm backend: ${backend}`);

    const json = JSON.parse(await readFile(out, "utf8")) as EvalJson;
    expect(json.series).toBe(4);
    expect(json.lstmBackend).toBe(backend);
    expect(Object.keys(json.methods)).toEqual([...LSTM_MODELS, "naive"]);
    for (const name of LSTM_MODELS) {
      const scores = json.methods[name] ?? {};
      for (const score of SCORES) expect(Number.isFinite(scores[score]), `${name} ${score}`).toBe(true);
      expect(scores.coverage80).toBeGreaterThan(0);
      expect(scores.coverage95).toBeGreaterThanOrEqual(scores.coverage80 ?? Infinity);
      expect(scores.coverage95).toBeLessThanOrEqual(1);
      expect(scores.failures).toBe(0);
      // Trained, not the seasonal-naive fallback or a failure scored as naive.
      expect(Object.keys(json.notes[name] ?? {}).join(" ")).not.toMatch(/fell back|failed/);
      // A clean daily cycle: every LSTM method beats the random walk by far.
      expect(scores.mase).toBeLessThan(0.6 * (json.methods.naive?.mase ?? 0));
    }
    // Four networks train here: allow for a loaded machine (about 20 s at load average 7).
  }, 300_000);

  it("keeps TensorFlow.js's install-tfjs-node banner off stderr on the cpu backend", async () => {
    const dist = (path: string): string => JSON.stringify(pathToFileURL(join(repoRoot, "dist", path)).href);
    const script = `
      const { initLstmBackend } = await import(${dist("models/lstm/lstm-backend.js")});
      const { LstmForecaster } = await import(${dist("models/lstm/lstm-forecaster.js")});
      const report = await initLstmBackend(["cpu"]);
      const values = Array.from({ length: 24 * 8 }, (_, i) => 10 + Math.sin((2 * Math.PI * i) / 24));
      const fitted = new LstmForecaster({ period: 24, horizonSteps: 6, chunks: 2, hiddenSize: 4, maxEpochs: 2 })
        .fit({ values, stepSeconds: 3600 });
      console.log(report.backend, fitted.toJSON().training.backend);
    `;
    const { stdout, stderr } = await run("node", ["--input-type=module", "-e", script], { timeout: 120_000 });
    expect(stdout.trim()).toBe("cpu cpu");
    expect(stderr).not.toMatch(/tfjs-node|speed things up/);
  });
});
