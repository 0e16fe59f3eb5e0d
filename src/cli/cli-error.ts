/** A problem with how the command was called; printed without a stack, exit code 2. */
export class CliError extends Error {
  override readonly name = "CliError";
}
