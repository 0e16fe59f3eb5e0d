import { readFileSync } from "node:fs";

let cached: string | undefined;

/**
 * `presage <package version>` plus the commit when the build provides one (`PRESAGE_GIT_COMMIT`, set
 * by the image build), recorded in every model artifact so a model can be traced to the code that made it.
 */
export function codeVersion(): string {
  if (cached !== undefined) return cached;
  let version = "unknown";
  for (const candidate of ["../package.json", "../../package.json"]) {
    try {
      const parsed = JSON.parse(readFileSync(new URL(candidate, import.meta.url), "utf8")) as {
        name?: string;
        version?: string;
      };
      if (parsed.name === "presage" && parsed.version) {
        version = parsed.version;
        break;
      }
    } catch {
      // not at this depth (source vs dist/): try the next
    }
  }
  const commit = process.env.PRESAGE_GIT_COMMIT;
  cached = `presage ${version}${commit ? ` (${commit})` : ""}`;
  return cached;
}
