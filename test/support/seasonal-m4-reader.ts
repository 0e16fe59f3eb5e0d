import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** The shared M4 subset (outside the repository); absent on machines without the data. */
export const m4DataDir = path.resolve(repoRoot, "../shared/data/m4");

/** Whether the shared M4 files are present, for `it.skipIf`. */
export const m4DataPresent = existsSync(m4DataDir);

/**
 * Reads an M4 wide CSV (`"V1","V2",...` header; id then values; ragged rows padded with empty
 * cells) into id → values.
 */
export function readM4Wide(fileName: string): Map<string, number[]> {
  const text = readFileSync(path.join(m4DataDir, fileName), "utf8");
  const rows = new Map<string, number[]>();
  for (const line of text.trim().split(/\r?\n/).slice(1)) {
    const cells = line.split(",").map((cell) => cell.replace(/"/g, "").trim());
    const [id, ...rest] = cells;
    if (id === undefined || id === "") continue;
    rows.set(id, rest.filter((cell) => cell !== "" && cell !== "NA").map(Number));
  }
  return rows;
}
