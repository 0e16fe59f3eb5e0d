#!/usr/bin/env node
// Entry point for `npx presage`. The TypeScript sources are compiled to dist/ by `npm ci` (prepare)
// or `npm run build`.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const main = new URL("../dist/src/cli/main.js", import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write("presage: dist/ is missing; run `npm run build` (npm ci runs it) first.\n");
  process.exit(2);
}
// A closed pipe (`presage run | head`) is not an error worth a stack trace.
process.stdout.on("error", (error) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});
const { runCli } = await import(main.href);
process.exitCode = await runCli(process.argv.slice(2));
