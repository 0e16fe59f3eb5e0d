import { existsSync } from "node:fs";
import { dirname, join } from "node:path";

/**
 * The repository root: the nearest directory at or above `start` holding a package.json (benches run
 * from dist/bench/ or bench/ alike); the working directory when there is none.
 */
export function findRepoRoot(start: string): string {
  let directory = start;
  while (!existsSync(join(directory, "package.json"))) {
    const parent = dirname(directory);
    if (parent === directory) return process.cwd();
    directory = parent;
  }
  return directory;
}
