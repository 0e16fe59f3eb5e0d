/**
 * `npm run bench:chaos`: a longer chaos campaign than the CI test (test/e2e/chaos-remediation.test.ts),
 * on the same harness: demo processes run by the simulated controller on the Kubernetes API stand-in,
 * a real Prometheus evaluating the shipped alert rules and a real Alertmanager routing to presage,
 * which acts with the shipped runbooks (all time-scaled 1/40, see test/support/chaos-time-scale.ts).
 * Five lanes, one per incident type, inject their faults one after another and concurrently with each
 * other; the unfixable fault (persistent errors on three Deployments: the breaker opens, a human is
 * paged) follows the error lane. Prints the per-type table (success, MTTR p50/p95 from injection to
 * the resolved notification) and writes every fault's timeline to bench-results/chaos-bench.json.
 *
 * Needs `prometheus` and `prometheus-alertmanager` (Debian packages) on the PATH.
 *
 * Flags: --faults-per-type 20 (100 faults)  --no-breaker  --rules candidate-rules.yaml (instead of
 * deploy/prometheus/presage-alert-rules.yaml, same time scaling)  --out file.json  --verbose
 */
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  CHAOS_TOPOLOGY,
  formatChaosTable,
  runChaosCampaign,
  writeChaosReport,
} from "../test/support/chaos-campaign.js";
import { repositoryRoot, startChaosEnvironment } from "../test/support/chaos-environment.js";

const { values: flags } = parseArgs({
  options: {
    "faults-per-type": { type: "string", default: "20" },
    "no-breaker": { type: "boolean", default: false },
    rules: { type: "string" },
    out: { type: "string" },
    verbose: { type: "boolean", default: false },
  },
});
const faultsPerType = Number(flags["faults-per-type"]);
if (!Number.isInteger(faultsPerType) || faultsPerType < 1 || faultsPerType > 1000) {
  console.error(`--faults-per-type (${flags["faults-per-type"]}) must be an integer from 1 to 1000`);
  process.exit(2);
}

const root = await repositoryRoot().catch(() => join(dirname(fileURLToPath(import.meta.url)), "..", ".."));
const out = flags.out ?? join(root, "bench-results", "chaos-bench.json");
const logFile = out.replace(/\.json$/, "") + ".log";
mkdirSync(dirname(out), { recursive: true });
writeFileSync(logFile, "");
const log = (line: string): void => {
  const stamped = `${new Date().toISOString()} ${line}`;
  appendFileSync(logFile, `${stamped}\n`);
  if (flags.verbose || (line.startsWith("chaos: ") && !line.includes("control of"))) console.error(stamped);
};

console.error(`chaos bench: ${faultsPerType * 5} faults (${faultsPerType} per type), log in ${logFile}`);
const env = await startChaosEnvironment({
  topology: CHAOS_TOPOLOGY,
  ...(flags.rules === undefined ? {} : { rulesFile: flags.rules }),
  log,
});
try {
  const report = await runChaosCampaign(env, {
    faultsPerType,
    breakerScenario: !flags["no-breaker"],
    log,
  });
  await writeChaosReport(out, report);
  console.log(formatChaosTable(report));
  console.log(`per-fault results: ${out}`);
} finally {
  await env.close();
}
