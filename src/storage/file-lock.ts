import { open, stat, unlink } from "node:fs/promises";
import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { RegistryError, RegistryErrorCode } from "../../training/registry/model-registry.js";
import { isErrnoException } from "./write-file-atomic.js";

/** How `withFileLock` waits for a lock another process (or call) holds. */
export interface FileLockOptions {
  /** Give up with `RegistryError` (`unavailable`) after waiting this long. */
  readonly timeoutMs: number;
  /**
   * A lock file older than this is taken to be left behind by a crashed holder and is removed. Must
   * be far longer than any critical section (they take milliseconds).
   */
  readonly staleMs: number;
}

const RETRY_MIN_MS = 5;
const RETRY_JITTER_MS = 20;

/**
 * Runs `action` while holding an exclusive lock file at `lockPath` (created with O_EXCL, removed
 * afterwards), serialising read-modify-write cycles across calls, registries and processes sharing a
 * directory. Breaking a stale lock is best effort: two waiters breaking the same stale lock at the same
 * instant could both proceed, which needs a holder to have crashed first.
 */
export async function withFileLock<T>(
  lockPath: string,
  options: FileLockOptions,
  action: () => Promise<T>,
): Promise<T> {
  await acquire(lockPath, options);
  try {
    return await action();
  } finally {
    await removeLock(lockPath);
  }
}

async function acquire(lockPath: string, options: FileLockOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (await tryCreate(lockPath)) return;
    const ageMs = await lockAgeMs(lockPath);
    if (ageMs !== undefined && ageMs > options.staleMs) {
      await removeLock(lockPath);
      continue;
    }
    if (Date.now() >= deadline) {
      throw new RegistryError(
        RegistryErrorCode.unavailable,
        `lock ${lockPath} is still held after ${options.timeoutMs} ms (another presage process is updating this target, or one crashed less than ${options.staleMs} ms ago)`,
      );
    }
    await sleep(RETRY_MIN_MS + Math.random() * RETRY_JITTER_MS);
  }
}

/** Creates the lock file, saying who holds it; `false` when it already exists. */
async function tryCreate(lockPath: string): Promise<boolean> {
  let file;
  try {
    file = await open(lockPath, "wx");
  } catch (error) {
    if (isErrnoException(error) && error.code === "EEXIST") return false;
    throw error;
  }
  try {
    await file.writeFile(`${process.pid}@${hostname()} ${new Date().toISOString()}\n`, "utf8");
  } catch (error) {
    await file.close();
    await removeLock(lockPath);
    throw error;
  }
  await file.close();
  return true;
}

async function removeLock(lockPath: string): Promise<void> {
  try {
    await unlink(lockPath);
  } catch (error) {
    if (!(isErrnoException(error) && error.code === "ENOENT")) throw error;
  }
}

/** Age of the lock file, or `undefined` when it vanished in the meantime. */
async function lockAgeMs(lockPath: string): Promise<number | undefined> {
  try {
    return Date.now() - (await stat(lockPath)).mtimeMs;
  } catch (error) {
    if (isErrnoException(error) && error.code === "ENOENT") return undefined;
    throw error;
  }
}
