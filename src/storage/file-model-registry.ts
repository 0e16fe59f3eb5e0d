import { mkdir, readdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type {
  ArtifactSummary,
  ModelArtifact,
  NewModelArtifact,
} from "../../training/registry/model-artifact.js";
import {
  RegistryError,
  RegistryErrorCode,
  type ModelRegistry,
} from "../../training/registry/model-registry.js";
import { withFileLock } from "./file-lock.js";
import { artifactJson, corrupt, parseStoredArtifact, summarizeStoredArtifacts } from "./stored-artifact.js";
import { assertTargetName, isVersionNumber, TARGET_NAME_PATTERN } from "./target-name.js";
import { isErrnoException, writeFileAtomic } from "./write-file-atomic.js";

/** Options of {@link FileModelRegistry}. */
export interface FileModelRegistryOptions {
  /** Root directory; each target gets a sub-directory. Created on the first save. */
  readonly directory: string;
  /**
   * How long `promote` and `rollBack` wait for another process's lock on the same target before
   * failing with `RegistryError` (`unavailable`).
   * @defaultValue 5000
   */
  readonly lockTimeoutMs?: number;
  /**
   * Age after which a target's lock file is taken to be left by a crashed process and removed.
   * @defaultValue 30000
   */
  readonly staleLockMs?: number;
}

/** {@link FileModelRegistryOptions} checked and with defaults applied. */
export interface ResolvedFileModelRegistryOptions {
  readonly directory: string;
  readonly lockTimeoutMs: number;
  readonly staleLockMs: number;
}

/** The pointer file: the current version and the stack of versions `rollBack` returns to (last on top). */
interface Pointer {
  readonly current: number;
  readonly previous: readonly number[];
}

const VERSION_FILE = /^v(\d{6,})\.json$/;
const POINTER_FILE = "current.json";
const LOCK_FILE = "current.lock";
/** Saves that keep losing the race for a version number give up eventually rather than spin. */
const MAX_SAVE_ATTEMPTS = 1000;

/**
 * Model registry on the local file system, for embedded mode (no Redis). Layout:
 *
 * ```
 * <directory>/<target>/v000001.json   immutable versions (the full ModelArtifact)
 * <directory>/<target>/current.json   { "current": 3, "previous": [1, 2] }
 * ```
 *
 * Every file is written to a temporary file, fsynced and moved into place, so readers never see a
 * torn file. A version file is published with link(2), which fails if the name exists, so saves from
 * several registries or processes on one directory always get distinct versions. `promote` and
 * `rollBack` hold `<target>/current.lock` (O_EXCL) around their read-modify-write of `current.json`.
 *
 * Unreadable files: `get` and `current` throw `RegistryError` (`corrupt`) naming the file when the
 * version they need is unreadable, and `promote`/`rollBack` refuse to make such a version current;
 * reads of other versions are unaffected. `listVersions` throws `corrupt` naming every unreadable
 * file rather than silently leaving versions out. File-system failures (permissions, full disk) are
 * `unavailable`, with the `cause` attached.
 */
export class FileModelRegistry implements ModelRegistry {
  readonly options: ResolvedFileModelRegistryOptions;

  constructor(options: FileModelRegistryOptions) {
    this.options = resolveOptions(options);
  }

  async save(artifact: NewModelArtifact): Promise<ModelArtifact> {
    assertTargetName(artifact.target);
    return this.guard(`save a model of target "${artifact.target}"`, async () => {
      const directory = this.targetDirectory(artifact.target);
      await mkdir(directory, { recursive: true });
      let version = (await this.maxVersion(artifact.target)) + 1;
      for (let attempt = 1; attempt <= MAX_SAVE_ATTEMPTS; attempt++) {
        const json = artifactJson(artifact, version);
        if (
          await writeFileAtomic(this.versionPath(artifact.target, version), `${json}\n`, { exclusive: true })
        ) {
          return JSON.parse(json) as ModelArtifact;
        }
        // Another writer took this number: jump past everything that exists now.
        version = Math.max(version + 1, (await this.maxVersion(artifact.target)) + 1);
      }
      throw new RegistryError(
        RegistryErrorCode.unavailable,
        `gave up saving a model of target "${artifact.target}" after ${MAX_SAVE_ATTEMPTS} version numbers were taken by concurrent saves`,
      );
    });
  }

  async listVersions(target: string): Promise<ArtifactSummary[]> {
    assertTargetName(target);
    return this.guard(`list versions of target "${target}"`, async () => {
      const versions = await this.versions(target);
      const pointer = await this.readPointer(target);
      const stored = await Promise.all(
        versions.map(async (version) => {
          const location = this.versionPath(target, version);
          return { ref: { target, version, location }, text: await readIfExists(location) };
        }),
      );
      return summarizeStoredArtifacts(target, stored, pointer?.current);
    });
  }

  async get(target: string, version: number): Promise<ModelArtifact | undefined> {
    assertTargetName(target);
    if (!isVersionNumber(version)) return undefined;
    return this.guard(`read version ${version} of target "${target}"`, () => this.read(target, version));
  }

  async current(target: string): Promise<ModelArtifact | undefined> {
    assertTargetName(target);
    return this.guard(`read the current model of target "${target}"`, async () => {
      const pointer = await this.readPointer(target);
      return pointer === undefined ? undefined : this.readPointedAt(target, pointer.current);
    });
  }

  async promote(target: string, version: number): Promise<void> {
    assertTargetName(target);
    await this.guard(`promote version ${version} of target "${target}"`, async () => {
      const artifact = isVersionNumber(version) ? await this.read(target, version) : undefined;
      if (artifact === undefined) {
        throw new RegistryError(
          RegistryErrorCode.unknownVersion,
          `cannot promote version ${version} of target "${target}": no such version`,
        );
      }
      await this.withTargetLock(target, async () => {
        const pointer = await this.readPointer(target);
        if (pointer?.current === version) return;
        const previous = pointer === undefined ? [] : [...pointer.previous, pointer.current];
        await this.writePointer(target, { current: version, previous });
      });
    });
  }

  async rollBack(target: string): Promise<ModelArtifact | undefined> {
    assertTargetName(target);
    return this.guard(`roll back target "${target}"`, async () => {
      if ((await this.readPointer(target)) === undefined) return undefined;
      return this.withTargetLock(target, async () => {
        const pointer = await this.readPointer(target);
        const back = pointer?.previous.at(-1);
        if (pointer === undefined || back === undefined) return undefined;
        const artifact = await this.readPointedAt(target, back);
        await this.writePointer(target, { current: back, previous: pointer.previous.slice(0, -1) });
        return artifact;
      });
    });
  }

  async targets(): Promise<string[]> {
    return this.guard("list targets", async () => {
      const entries = await readdirIfExists(this.options.directory);
      const names = entries.filter((name) => TARGET_NAME_PATTERN.test(name));
      const withVersions = await Promise.all(
        names.map(async (name) => ((await this.versions(name)).length > 0 ? name : undefined)),
      );
      return withVersions.filter((name) => name !== undefined).sort();
    });
  }

  /** Nothing to release: every operation opens and closes its own files. */
  async close(): Promise<void> {
    // Kept async to honour the port.
  }

  private targetDirectory(target: string): string {
    return join(this.options.directory, target);
  }

  private versionPath(target: string, version: number): string {
    return join(this.targetDirectory(target), `v${String(version).padStart(6, "0")}.json`);
  }

  /** Stored version numbers of a target, ascending. */
  private async versions(target: string): Promise<number[]> {
    const names = await readdirIfExists(this.targetDirectory(target));
    return names
      .map((name) => VERSION_FILE.exec(name)?.[1])
      .filter((digits) => digits !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
  }

  private async maxVersion(target: string): Promise<number> {
    return (await this.versions(target)).at(-1) ?? 0;
  }

  private async read(target: string, version: number): Promise<ModelArtifact | undefined> {
    const location = this.versionPath(target, version);
    const text = await readIfExists(location);
    return text === undefined ? undefined : parseStoredArtifact(text, { target, version, location });
  }

  /** Reads a version the pointer file names; it missing means the directory was tampered with. */
  private async readPointedAt(target: string, version: number): Promise<ModelArtifact> {
    const artifact = await this.read(target, version);
    if (artifact === undefined) {
      throw corrupt(
        { location: this.pointerPath(target) },
        `names version ${version}, but ${this.versionPath(target, version)} does not exist`,
      );
    }
    return artifact;
  }

  private pointerPath(target: string): string {
    return join(this.targetDirectory(target), POINTER_FILE);
  }

  private async readPointer(target: string): Promise<Pointer | undefined> {
    const location = this.pointerPath(target);
    const text = await readIfExists(location);
    if (text === undefined) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw corrupt({ location }, "is not valid JSON", error);
    }
    if (!isPointer(parsed)) {
      throw corrupt(
        { location },
        'must hold { "current": <version>, "previous": [<version>…] } with versions ≥ 1',
      );
    }
    return parsed;
  }

  private async writePointer(target: string, pointer: Pointer): Promise<void> {
    await writeFileAtomic(this.pointerPath(target), `${JSON.stringify(pointer)}\n`);
  }

  private withTargetLock<T>(target: string, action: () => Promise<T>): Promise<T> {
    return withFileLock(
      join(this.targetDirectory(target), LOCK_FILE),
      { timeoutMs: this.options.lockTimeoutMs, staleMs: this.options.staleLockMs },
      action,
    );
  }

  /** Passes registry errors through and turns any other failure into `unavailable` with its cause. */
  private async guard<T>(operation: string, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      if (error instanceof RegistryError) throw error;
      const detail = error instanceof Error ? error.message : String(error);
      throw new RegistryError(
        RegistryErrorCode.unavailable,
        `could not ${operation} in ${this.options.directory}: ${detail}`,
        { cause: error },
      );
    }
  }
}

function resolveOptions(options: FileModelRegistryOptions): ResolvedFileModelRegistryOptions {
  if (typeof options.directory !== "string" || options.directory.trim() === "") {
    throw new RangeError(`\`directory\` (${JSON.stringify(options.directory)}) must be a non-empty path`);
  }
  const lockTimeoutMs = options.lockTimeoutMs ?? 5000;
  const staleLockMs = options.staleLockMs ?? 30_000;
  for (const [field, value] of [
    ["lockTimeoutMs", lockTimeoutMs],
    ["staleLockMs", staleLockMs],
  ] as const) {
    if (!Number.isFinite(value) || value <= 0) {
      throw new RangeError(`\`${field}\` (${value}) must be a positive number of milliseconds`);
    }
  }
  return Object.freeze({ directory: resolve(options.directory), lockTimeoutMs, staleLockMs });
}

function isPointer(value: unknown): value is Pointer {
  if (typeof value !== "object" || value === null) return false;
  const { current, previous } = value as Record<string, unknown>;
  return (
    typeof current === "number" &&
    isVersionNumber(current) &&
    Array.isArray(previous) &&
    previous.every((v) => typeof v === "number" && isVersionNumber(v))
  );
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if (isErrnoException(error) && error.code === "ENOENT") return undefined;
    throw error;
  }
}

async function readdirIfExists(path: string): Promise<string[]> {
  try {
    return await readdir(path);
  } catch (error) {
    if (isErrnoException(error) && (error.code === "ENOENT" || error.code === "ENOTDIR")) return [];
    throw error;
  }
}
