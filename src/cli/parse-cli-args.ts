import { parseArgs, type ParseArgsConfig } from "node:util";
import { CliError } from "./cli-error.js";

type CliOptions = NonNullable<ParseArgsConfig["options"]>;

/**
 * Parses a subcommand's flags strictly (unknown flags and positionals are errors) and turns
 * `parseArgs`' own errors into a `CliError`, so every command reports bad flags the same way (exit 2).
 */
export function parseCliArgs<const O extends CliOptions>(argv: readonly string[], options: O) {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new CliError(error instanceof Error ? error.message : String(error), { cause: error });
  }
}
