import { NAB_PROFILE_NAMES, type NabCostMatrix, type NabProfileName } from "./nab-profile.js";
import {
  nabAnchors,
  normalizeNabScore,
  optimizeNabThreshold,
  scoreNabFile,
  type NabFileScore,
  type NabScoredFile,
} from "./nab-scorer.js";

/** The result of one detector on one profile over a set of files. */
export interface NabProfileResult {
  /** Normalised: 0 = null detector, 100 = perfect, over the same files. */
  readonly normalized: number;
  readonly raw: number;
  readonly threshold: number;
  readonly perfect: number;
  readonly null: number;
  readonly files: Readonly<Record<string, NabFileScore>>;
}

export type NabEvaluation = Readonly<Record<NabProfileName, NabProfileResult>>;

/**
 * Scores a detector's per-row output on a set of files as NAB does, per profile: optimise one threshold
 * over all files pooled, score each file at it, normalise with the null and perfect detectors of the
 * same files. With `thresholds`, those fixed thresholds are used instead (to reproduce published runs).
 */
export function evaluateNabCorpus(
  files: readonly NabScoredFile[],
  profiles: Readonly<Record<NabProfileName, NabCostMatrix>>,
  thresholds?: Partial<Record<NabProfileName, number>>,
): NabEvaluation {
  const result = {} as Record<NabProfileName, NabProfileResult>;
  for (const profile of NAB_PROFILE_NAMES) {
    const cost = profiles[profile];
    const threshold = thresholds?.[profile] ?? optimizeNabThreshold(files, cost).threshold;
    const perFile: Record<string, NabFileScore> = {};
    let raw = 0;
    for (const file of files) {
      const score = scoreNabFile(file, cost, threshold);
      perFile[file.name] = score;
      raw += score.score;
    }
    const anchors = nabAnchors(files, cost);
    result[profile] = {
      normalized: normalizeNabScore(raw, anchors),
      raw,
      threshold,
      perfect: anchors.perfect,
      null: anchors.null,
      files: perFile,
    };
  }
  return result;
}

/**
 * Normalised score of a subset of the files (e.g. one category) at the thresholds already chosen for
 * the whole set: the per-file raw scores summed, anchored on that subset's own perfect and null.
 */
export function nabSubsetScore(
  evaluation: NabEvaluation,
  profile: NabProfileName,
  files: readonly NabScoredFile[],
  cost: NabCostMatrix,
): number {
  const raw = files.reduce((sum, file) => sum + (evaluation[profile].files[file.name]?.score ?? 0), 0);
  return normalizeNabScore(raw, nabAnchors(files, cost));
}
