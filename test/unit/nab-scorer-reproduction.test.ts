import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  loadNabCorpus,
  loadPublishedAnomalyScores,
  loadPublishedFileScores,
  type NabCorpus,
} from "../../training/anomaly/nab-corpus.js";
import { NAB_PROFILE_NAMES } from "../../training/anomaly/nab-profile.js";
import { optimizeNabThreshold, scoreNabFile } from "../../training/anomaly/nab-scorer.js";
import { runAnomalyDetector } from "../../training/anomaly/run-anomaly-detector.js";
import { WindowedGaussianDetector } from "../../models/anomaly/windowed-gaussian-detector.js";

const repoRoot = resolve(import.meta.dirname, "../..");
/** The shared NAB subset (outside the repository): 25 data files with published per-row outputs. */
const nabDir = resolve(repoRoot, "../shared/data/nab");
const nabPresent = existsSync(resolve(nabDir, "labels/combined_windows.json"));

describe.skipIf(!nabPresent)("NAB scorer on the published outputs in ../shared/data/nab", () => {
  let corpus: NabCorpus;

  beforeAll(async () => {
    corpus = await loadNabCorpus(nabDir);
  });

  it("reads the shared layout: 25 files in four categories with 39 windows", () => {
    expect(corpus.layout).toBe("top-level");
    expect(corpus.profilesFromFile).toBe(true);
    expect(corpus.files).toHaveLength(25);
    expect(corpus.files.reduce((sum, file) => sum + file.windows.length, 0)).toBe(39);
  });

  for (const detector of ["numenta", "windowedGaussian"]) {
    for (const profile of NAB_PROFILE_NAMES) {
      it(`reproduces every published ${detector} ${profile} per-file score to 1e-6`, async () => {
        const published = await loadPublishedFileScores(nabDir, detector, profile);
        expect(published, `results/${detector}/${detector}_${profile}_scores.csv`).toBeDefined();
        let checked = 0;
        for (const file of corpus.files) {
          const scores = await loadPublishedAnomalyScores(nabDir, detector, file.name);
          const reference = published!.get(file.name);
          expect(scores, `${detector} per-row output for ${file.name}`).toBeDefined();
          expect(reference, `${detector} ${profile} score for ${file.name}`).toBeDefined();
          expect(scores!.length).toBe(file.series.values.length);
          const result = scoreNabFile(
            { name: file.name, anomalyScores: scores!, windows: file.windows },
            corpus.profiles[profile],
            reference!.threshold,
          );
          expect(Math.abs(result.score - reference!.score), file.name).toBeLessThan(1e-6);
          checked++;
        }
        expect(checked).toBe(25);
      });
    }
  }

  for (const profile of NAB_PROFILE_NAMES) {
    it(`reproduces the published null detector (constant 0.5) ${profile} per-file scores`, async () => {
      const published = await loadPublishedFileScores(nabDir, "null", profile);
      for (const file of corpus.files) {
        const reference = published?.get(file.name);
        expect(reference, `null ${profile} score for ${file.name}`).toBeDefined();
        const constant = new Float64Array(file.series.values.length).fill(0.5);
        const result = scoreNabFile(
          { name: file.name, anomalyScores: constant, windows: file.windows },
          corpus.profiles[profile],
          reference!.threshold,
        );
        expect(Math.abs(result.score - reference!.score), file.name).toBeLessThan(1e-6);
      }
    });
  }

  it("re-implements windowedGaussian: its per-row scores match the published ones to 1e-9", async () => {
    for (const file of corpus.files) {
      const published = await loadPublishedAnomalyScores(nabDir, "windowedGaussian", file.name);
      const ours = runAnomalyDetector(file.series, () => new WindowedGaussianDetector());
      let worst = 0;
      for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i]! - published![i]!));
      expect(worst, file.name).toBeLessThan(1e-9);
    }
  });

  it("finds a subset threshold at least as good as the published corpus threshold", async () => {
    const published = await loadPublishedFileScores(nabDir, "numenta", "standard");
    const files = await Promise.all(
      corpus.files.map(async (file) => ({
        name: file.name,
        anomalyScores: (await loadPublishedAnomalyScores(nabDir, "numenta", file.name))!,
        windows: file.windows,
      })),
    );
    const atPublished = corpus.files.reduce((sum, file) => sum + published!.get(file.name)!.score, 0);
    const optimized = optimizeNabThreshold(files, corpus.profiles.standard);
    expect(optimized.score).toBeGreaterThanOrEqual(atPublished - 1e-9);
    const rescored = files.reduce(
      (sum, file) => sum + scoreNabFile(file, corpus.profiles.standard, optimized.threshold).score,
      0,
    );
    expect(rescored).toBeCloseTo(optimized.score, 9);
  });
});
