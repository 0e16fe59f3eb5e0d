import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { RemediationError, RemediationErrorCode } from "../remediation-error.js";
import { parseRunbook, type Runbook, type RunbookLoadOptions, type RunbookProblem } from "./runbook.js";

/** Every problem in a runbook directory, reported at once. */
export class RunbookError extends RemediationError {
  constructor(readonly problems: readonly RunbookProblem[]) {
    super(
      RemediationErrorCode.invalidRunbook,
      `${problems.length} runbook problem${problems.length === 1 ? "" : "s"}\n${problems
        .map((problem) => `  - ${problem.file}: ${problem.field} ${problem.rule}`)
        .join("\n")}`,
    );
  }
}

/**
 * Loads every `*.yaml` / `*.yml` file of a directory (a mounted ConfigMap works: its `..data` links and
 * dot-files are skipped). A file may hold several runbooks as YAML documents. Throws
 * {@link RunbookError} listing every problem of every file — never a partial set.
 */
export async function loadRunbooks(directory: string, options: RunbookLoadOptions = {}): Promise<Runbook[]> {
  let names: string[];
  try {
    names = (await readdir(directory))
      .filter((name) => !name.startsWith(".") && /\.ya?ml$/.test(name))
      .sort();
  } catch (error) {
    throw new RunbookError([
      { file: directory, field: "(directory)", rule: `cannot be read: ${(error as Error).message}` },
    ]);
  }
  const files = await Promise.all(
    names.map(async (name) => ({
      name,
      text: await readFile(join(directory, name), "utf8").catch((error: unknown) => error),
    })),
  );
  return parseRunbookFiles(
    files.map(({ name, text }) => ({
      name,
      text: typeof text === "string" ? text : new Error(String(text)),
    })),
    options,
  );
}

/** Parses runbook files already read (name → text); throws {@link RunbookError} with every problem. */
export function parseRunbookFiles(
  files: readonly { name: string; text: string | Error }[],
  options: RunbookLoadOptions = {},
): Runbook[] {
  const problems: RunbookProblem[] = [];
  const runbooks: Runbook[] = [];
  for (const { name, text } of files) {
    if (text instanceof Error) {
      problems.push({ file: name, field: "(file)", rule: `cannot be read: ${text.message}` });
      continue;
    }
    const documents = parseAllDocuments(text);
    const list = Array.isArray(documents) ? documents : [documents];
    list.forEach((document, index) => {
      const file = list.length > 1 ? `${name}#${index + 1}` : name;
      if (document.errors.length > 0) {
        problems.push(...document.errors.map((error) => ({ file, field: "(yaml)", rule: error.message })));
        return;
      }
      const raw: unknown = document.toJS();
      if (raw === null || raw === undefined) return;
      const parsed = parseRunbook(raw, file, options);
      if (parsed.ok) runbooks.push(parsed.runbook);
      else problems.push(...parsed.problems);
    });
  }
  const seen = new Map<string, string>();
  for (const runbook of runbooks) {
    const first = seen.get(runbook.name);
    if (first !== undefined) {
      problems.push({
        file: runbook.source,
        field: "name",
        rule: `duplicates "${runbook.name}" of ${first}`,
      });
    } else seen.set(runbook.name, runbook.source);
  }
  if (problems.length > 0) throw new RunbookError(problems);
  return runbooks;
}
