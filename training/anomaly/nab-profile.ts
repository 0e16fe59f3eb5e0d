/** The three NAB application profiles, in the order NAB reports them. */
export const NAB_PROFILE_NAMES = ["standard", "reward_low_FP_rate", "reward_low_FN_rate"] as const;
export type NabProfileName = (typeof NAB_PROFILE_NAMES)[number];

/** A NAB cost matrix (`config/profiles.json` → `CostMatrix`). `tnWeight` is read but never used. */
export interface NabCostMatrix {
  readonly tpWeight: number;
  readonly fpWeight: number;
  readonly fnWeight: number;
  readonly tnWeight: number;
}

/** NAB v1.1's shipped `config/profiles.json`, used when a corpus has no `config/` folder. */
export const NAB_DEFAULT_PROFILES: Readonly<Record<NabProfileName, NabCostMatrix>> = {
  standard: { tpWeight: 1, fpWeight: 0.11, fnWeight: 1, tnWeight: 1 },
  reward_low_FP_rate: { tpWeight: 1, fpWeight: 0.22, fnWeight: 1, tnWeight: 1 },
  reward_low_FN_rate: { tpWeight: 1, fpWeight: 0.11, fnWeight: 2, tnWeight: 1 },
};

/** Thrown for a `profiles.json` that lacks a profile or a weight; the message names the field. */
export class NabProfileError extends Error {
  override readonly name = "NabProfileError";
}

/**
 * Reads the three profiles from parsed `profiles.json` content: `{ "<profile>": { "CostMatrix":
 * { tpWeight, fpWeight, fnWeight, tnWeight } } }`. Every problem is reported at once.
 */
export function parseNabProfiles(json: unknown): Record<NabProfileName, NabCostMatrix> {
  const problems: string[] = [];
  const result = {} as Record<NabProfileName, NabCostMatrix>;
  const root = isRecord(json) ? json : {};
  if (!isRecord(json)) problems.push("profiles.json must be an object keyed by profile name");
  for (const name of NAB_PROFILE_NAMES) {
    const profile = root[name];
    const matrix = isRecord(profile) ? profile.CostMatrix : undefined;
    if (!isRecord(matrix)) {
      problems.push(`profiles.json: "${name}.CostMatrix" is missing`);
      continue;
    }
    const weight = (field: string): number => {
      const value = matrix[field];
      if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
        problems.push(
          `profiles.json: "${name}.CostMatrix.${field}" (${JSON.stringify(value)}) must be a finite number ≥ 0`,
        );
        return Number.NaN;
      }
      return value;
    };
    result[name] = {
      tpWeight: weight("tpWeight"),
      fpWeight: weight("fpWeight"),
      fnWeight: weight("fnWeight"),
      tnWeight: weight("tnWeight"),
    };
  }
  if (problems.length > 0) throw new NabProfileError(problems.join("\n"));
  return result;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
