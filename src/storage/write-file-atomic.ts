import { randomBytes } from "node:crypto";
import { link, open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** How `writeFileAtomic` puts the finished file in place. */
export interface WriteFileAtomicOptions {
  /**
   * `true`: never replace an existing file; resolve `false` instead (the file is published with
   * link(2), which fails with EEXIST exactly like an O_EXCL open). `false`: replace it atomically
   * with rename(2).
   * @defaultValue false
   */
  readonly exclusive?: boolean;
}

/**
 * Writes `data` to a temporary file next to `path`, fsyncs it, then moves it into place and fsyncs
 * the directory, so readers see either the old file or the whole new one — never a torn write — and
 * a crash loses at most the write in progress. Resolves `false` only when `exclusive` is set and
 * `path` already exists.
 */
export async function writeFileAtomic(
  path: string,
  data: string,
  options: WriteFileAtomicOptions = {},
): Promise<boolean> {
  const directory = dirname(path);
  const temp = join(directory, `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  const file = await open(temp, "wx");
  try {
    try {
      await file.writeFile(data, "utf8");
      await file.sync();
    } finally {
      await file.close();
    }
    if (options.exclusive === true) {
      try {
        await link(temp, path);
      } catch (error) {
        if (isErrnoException(error) && error.code === "EEXIST") return false;
        throw error;
      }
    } else {
      await rename(temp, path);
    }
  } finally {
    await unlink(temp).catch(ignoreMissing);
  }
  await syncDirectory(directory);
  return true;
}

/** Makes a rename or link in `directory` durable; skipped where directories cannot be opened. */
async function syncDirectory(directory: string): Promise<void> {
  let handle;
  try {
    handle = await open(directory, "r");
  } catch (error) {
    if (isErrnoException(error) && (error.code === "EISDIR" || error.code === "EPERM")) return;
    throw error;
  }
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function ignoreMissing(error: unknown): void {
  if (!(isErrnoException(error) && error.code === "ENOENT")) throw error;
}

/** Narrows an unknown error to Node's errno shape (`code`, `path`). */
export function isErrnoException(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && "code" in error;
}
