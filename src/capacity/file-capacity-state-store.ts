import { mkdir, readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { withFileLock } from "../storage/file-lock.js";
import { isErrnoException, writeFileAtomic } from "../storage/write-file-atomic.js";
import { CapacityError, CapacityErrorCode } from "./capacity-error.js";
import {
  emptyCapacityState,
  parseCapacityState,
  type CapacityState,
  type CapacityStateStore,
  type StateMutation,
} from "./capacity-state.js";

/** Options of {@link FileCapacityStateStore}. */
export interface FileCapacityStateStoreOptions {
  /** The JSON file; its folder is created on the first write. */
  readonly path: string;
  /** How long `update` waits for another process's lock. @defaultValue 10000 */
  readonly lockTimeoutMs?: number;
  /** A lock file older than this was left by a crashed process and is removed. @defaultValue 60000 */
  readonly staleLockMs?: number;
}

/**
 * Capacity state in one JSON file for embedded mode. Every write goes to a temporary file that is
 * fsynced and renamed into place (readers never see a torn file; a crash loses at most the write in
 * progress), and read-modify-write cycles hold `<file>.lock` (O_EXCL), so a `presage capacity --once`
 * next to a running scheduler cannot lose either's changes. A missing file is empty state; an
 * unreadable one is `stateCorrupt` and is never overwritten.
 */
export class FileCapacityStateStore implements CapacityStateStore {
  readonly location: string;
  private readonly lockTimeoutMs: number;
  private readonly staleLockMs: number;

  constructor(options: FileCapacityStateStoreOptions) {
    this.location = resolve(options.path);
    this.lockTimeoutMs = options.lockTimeoutMs ?? 10_000;
    this.staleLockMs = options.staleLockMs ?? 60_000;
  }

  async read(): Promise<CapacityState> {
    let text: string;
    try {
      text = await readFile(this.location, "utf8");
    } catch (error) {
      if (isErrnoException(error) && error.code === "ENOENT") return emptyCapacityState();
      throw unavailable(`read ${this.location}`, error);
    }
    return parseCapacityState(text, this.location);
  }

  async update<T>(mutate: StateMutation<T>): Promise<T> {
    try {
      await mkdir(dirname(this.location), { recursive: true });
      return await withFileLock(
        `${this.location}.lock`,
        { timeoutMs: this.lockTimeoutMs, staleMs: this.staleLockMs },
        async () => {
          const { state, result } = mutate(await this.read());
          await writeFileAtomic(this.location, `${JSON.stringify(state)}\n`);
          return result;
        },
      );
    } catch (error) {
      if (error instanceof CapacityError) throw error;
      throw unavailable(`update ${this.location}`, error);
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

function unavailable(what: string, error: unknown): CapacityError {
  return new CapacityError(
    CapacityErrorCode.stateUnavailable,
    `cannot ${what}: ${error instanceof Error ? error.message : String(error)}`,
    { cause: error },
  );
}
