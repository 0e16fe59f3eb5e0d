import { RegistryError, RegistryErrorCode } from "../../training/registry/model-registry.js";
import type {
  ArtifactSummary,
  ModelArtifact,
  NewModelArtifact,
} from "../../training/registry/model-artifact.js";

/** Where a stored artifact lives and what it must say about itself. */
export interface StoredArtifactRef {
  readonly target: string;
  readonly version: number;
  /** File path or Redis key, for error messages. */
  readonly location: string;
}

/**
 * The JSON a registry stores for a version: `{"version":<n>,` followed by {@link artifactJsonTail}, so
 * every stored artifact names its own version first.
 */
export function artifactJson(artifact: NewModelArtifact, version: number): string {
  return `{"version":${version},${artifactJsonTail(artifact)}`;
}

/**
 * The artifact's JSON without its opening brace and without any `version` the caller smuggled into a
 * `NewModelArtifact` (it could otherwise shadow the registry's). Never empty: `target` is always there.
 */
export function artifactJsonTail(artifact: NewModelArtifact): string {
  const body: Record<string, unknown> = { ...artifact };
  delete body.version;
  return JSON.stringify(body).slice(1);
}

/**
 * Parses a stored artifact and checks that it is the one its location promises. Throws
 * `RegistryError` (`corrupt`) naming the location when the text is not JSON or lacks the fields every
 * artifact has; it does not re-validate every nested number.
 */
export function parseStoredArtifact(text: string, ref: StoredArtifactRef): ModelArtifact {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw corrupt(ref, "is not valid JSON", error);
  }
  const problem = artifactProblem(parsed, ref);
  if (problem !== undefined) throw corrupt(ref, problem);
  return parsed as ModelArtifact;
}

/** A `listVersions` row: the artifact without its (possibly large) fitted state. */
export function summarizeArtifact(artifact: ModelArtifact, current: boolean): ArtifactSummary {
  const summary: Record<string, unknown> = { ...artifact, current };
  delete summary.state;
  return summary as unknown as ArtifactSummary;
}

/**
 * Parses every stored version of a target for `listVersions`. One unreadable version fails the whole
 * listing with a `corrupt` error that names every bad location at once: a listing that silently left
 * a version out would mislead whoever is choosing what to roll back to.
 */
export function summarizeStoredArtifacts(
  target: string,
  stored: readonly { readonly ref: StoredArtifactRef; readonly text: string | undefined }[],
  currentVersion: number | undefined,
): ArtifactSummary[] {
  const summaries: ArtifactSummary[] = [];
  const failures: RegistryError[] = [];
  for (const { ref, text } of stored) {
    try {
      if (text === undefined) throw corrupt(ref, "is listed but missing");
      summaries.push(summarizeArtifact(parseStoredArtifact(text, ref), ref.version === currentVersion));
    } catch (error) {
      if (!(error instanceof RegistryError)) throw error;
      failures.push(error);
    }
  }
  const [first] = failures;
  if (first === undefined) return summaries;
  if (failures.length === 1) throw first;
  throw new RegistryError(
    RegistryErrorCode.corrupt,
    `${failures.length} stored versions of target "${target}" are unreadable: ${failures.map((f) => f.message).join("; ")}`,
    { cause: new AggregateError(failures) },
  );
}

/** Builds the `corrupt` error every storage adapter uses: location first, then what is wrong. */
export function corrupt(
  ref: Pick<StoredArtifactRef, "location">,
  problem: string,
  cause?: unknown,
): RegistryError {
  return new RegistryError(
    RegistryErrorCode.corrupt,
    `${ref.location} ${problem}`,
    cause === undefined ? undefined : { cause },
  );
}

function artifactProblem(value: unknown, ref: StoredArtifactRef): string | undefined {
  if (!isRecord(value)) return "does not hold a JSON object";
  if (value.target !== ref.target)
    return `names target ${JSON.stringify(value.target)}, expected "${ref.target}"`;
  if (value.version !== ref.version)
    return `names version ${JSON.stringify(value.version)}, expected ${ref.version}`;
  for (const field of ["createdAt", "codeVersion", "modelKind", "modelName"] as const) {
    if (typeof value[field] !== "string") return `lacks string field \`${field}\``;
  }
  for (const field of ["dataRange", "backtest", "decision"] as const) {
    if (!isRecord(value[field])) return `lacks object field \`${field}\``;
  }
  const state = value.state;
  if (!isRecord(state) || typeof state.kind !== "string") return "lacks a model `state` with a `kind`";
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
