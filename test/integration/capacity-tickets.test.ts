import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { readCapacityStatus } from "../../src/capacity/capacity-planner.js";
import { DAY_MS, utcDayStart } from "../../src/capacity/daily-series.js";
import { openCapacityPlanner, type OpenedCapacityPlanner } from "../../src/capacity/open-capacity-planner.js";
import { runCapacityCommand } from "../../src/cli/capacity-command.js";
import { loadConfigFile } from "../../src/config/presage-config.js";
import { CapacityHttpReceiver } from "../support/capacity-http-receiver.js";
import { growingUsage } from "../support/capacity-usage-history.js";
import { freePort } from "../support/free-port.js";
import { startPrometheus, type RealPrometheus } from "../support/real-prometheus.js";

// Today (UTC) at noon: the history ends yesterday, so the CLI run on the real clock sees the same days.
const TODAY_MS = utcDayStart(Date.now());
const NOW_MS = TODAY_MS + 12 * 3_600_000;

let prometheus: RealPrometheus;
let receiver: CapacityHttpReceiver;
let dir: string;

beforeAll(async () => {
  // 1.5 years of daily-ish (6-hourly) usage growing toward a constant capacity: daily max ≈ 76 at the end.
  const usage = growingUsage({
    name: "cluster_cpu_requests",
    lastDayMs: TODAY_MS - DAY_MS,
    days: 540,
    from: 18,
    slopePerDay: 0.1,
  });
  prometheus = await startPrometheus({ series: [usage] });
  receiver = new CapacityHttpReceiver(await freePort());
  dir = await mkdtemp(join(tmpdir(), "presage-capacity-"));
}, 120_000);

afterAll(async () => {
  await receiver.close();
  await prometheus.stop();
  await rm(dir, { recursive: true, force: true });
});

async function writeConfig(capacity: number): Promise<string> {
  const path = join(dir, "presage.yaml");
  await writeFile(
    path,
    [
      `prometheus: { url: "${prometheus.url}" }`,
      "capacity:",
      "  stateFile: state.json",
      "  delivery: { baseDelayMs: 1000, maxDelayMs: 10000, perSinkPerMinute: 30, leaseMs: 60000 }",
      `  sinks: [{ name: hook, type: webhook, url: "${receiver.url}/hook" }]`,
      "  targets:",
      "    - name: cluster-cpu",
      "      resource: cpu",
      "      usage: cluster_cpu_requests",
      `      capacity: ${capacity}`,
      "      step: 6h",
      "      headroom: 0.8",
      "      thresholdDays: 90",
      "      horizonDays: 180",
      "      history: 2y",
      "      labels: [capacity]",
    ].join("\n"),
  );
  return path;
}

/** A fresh runner (planner, store, outbox) on the config and the shared state file, as after a restart. */
async function openRunner(
  capacity: number,
  now: () => number = () => NOW_MS,
): Promise<OpenedCapacityPlanner> {
  const config = await loadConfigFile(await writeConfig(capacity));
  return openCapacityPlanner(config, { now, sinkTimeoutMs: 5000 });
}

const events = () =>
  receiver.accepted.map((request) => {
    const body = request.body as { event: string; ticket: { runway: { p90Date: string | null } } };
    return { event: body.event, p90Date: body.ticket.runway.p90Date };
  });

describe("capacity job over a real Prometheus with a local ticket receiver", () => {
  it("raises one ticket (delivered after the receiver was down), updates it, resolves it", async () => {
    // Run 1 with the receiver down (closed port): the ticket is decided and queued, not lost.
    let nowMs = NOW_MS;
    const first = await openRunner(100, () => nowMs);
    const run1 = await first.planner.runOnce();
    const [target] = run1.targets;
    if (target?.plan.status !== "planned") throw new Error(`not planned: ${JSON.stringify(target?.plan)}`);
    expect(target.plan.lastObservedDayMs).toBe(TODAY_MS - DAY_MS);
    expect(target.plan.observedDays).toBe(540);
    expect(target.plan.runway.limit).toBe(80);
    expect(target.plan.runway.p90.days).toBeLessThan(90);
    expect(target.decision.action).toBe("open");
    expect(run1.delivery).toEqual({ delivered: 0, failed: 1, pending: 1 });
    const pending = (await first.store.read()).outbox;
    expect(pending).toMatchObject([{ event: "open", attempts: 1 }]);
    expect(pending[0]?.lastError).toMatch(/webhook sink "hook" open: POST .* failed/);
    await first.store.close();

    // Restart: a new runner on the same state file, the receiver back up, time past the backoff.
    await receiver.listen();
    nowMs = pending[0]!.nextAttemptAtMs + 1;
    const second = await openRunner(100, () => nowMs);
    expect(await second.outbox.deliverDue()).toEqual({ delivered: 1, failed: 0, pending: 0 });
    expect(events()).toEqual([{ event: "open", p90Date: target.plan.runway.p90.date }]);
    const opened = receiver.accepted[0]?.body as {
      fingerprint: string;
      ticket: { chartSvg: string; backtest: { horizonDays: number } };
    };
    expect(opened.fingerprint).toBe("cluster-cpu/cpu");
    expect(opened.ticket.chartSvg).toMatch(/^<svg/);
    expect(opened.ticket.backtest.horizonDays).toBeGreaterThanOrEqual(7);

    // The same data again: nothing new.
    const run2 = await second.planner.runOnce();
    expect(run2.targets[0]?.decision.action).toBe("none");
    expect(receiver.requests).toHaveLength(1);
    await second.store.close();

    // Capacity shrinks (a node pool is cut to 91): the runway moves materially → the ticket is updated.
    const shrunk = await openRunner(91);
    const run3 = await shrunk.planner.runOnce();
    expect(run3.targets[0]?.decision.action).toBe("update");
    expect(run3.delivery.delivered).toBe(1);
    await shrunk.store.close();

    // Capacity raised far enough: the runway recovers → resolved, once.
    const raised = await openRunner(1000);
    const run4 = await raised.planner.runOnce();
    expect(run4.targets[0]?.decision.action).toBe("resolve");
    expect((await raised.planner.runOnce()).targets[0]?.decision.action).toBe("none");
    await raised.store.close();

    expect(events().map((event) => event.event)).toEqual(["open", "update", "resolve"]);
    expect(receiver.rejected).toBe(0);
    const state = JSON.parse(await readFile(join(dir, "state.json"), "utf8")) as { outbox: unknown[] };
    expect(state.outbox).toEqual([]);
  });

  it("keeps the ledger and prints runway, ticket and ledger with `presage capacity --once`", async () => {
    const status = await readCapacityStatus((await openRunner(1000)).store);
    expect(status.tickets).toMatchObject([
      { fingerprint: "cluster-cpu/cpu", status: "resolved", generation: 1 },
    ]);
    expect(status.ledger[0]).toMatchObject({
      fingerprint: "cluster-cpu/cpu",
      horizons: [
        { horizonDays: 90, scored: 0, pending: 1 },
        { horizonDays: 180, scored: 0, pending: 1 },
      ],
      tickets: { recorded: 2 },
    });

    const written: string[] = [];
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    let code: number;
    try {
      code = await runCapacityCommand(["--config", join(dir, "presage.yaml"), "--once", "--json"]);
    } finally {
      spy.mockRestore();
    }
    expect(code).toBe(0);
    const report = JSON.parse(written.join("")) as {
      targets: {
        decision: { action: string };
        ticket: { status: string };
        plan: { runway: { p90: { days?: number } } };
      }[];
      ledger: { fingerprint: string }[];
    };
    expect(report.targets[0]?.decision.action).toBe("none");
    expect(report.targets[0]?.ticket.status).toBe("resolved");
    expect(report.ledger[0]?.fingerprint).toBe("cluster-cpu/cpu");

    const table: string[] = [];
    const tableSpy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      table.push(String(chunk));
      return true;
    });
    try {
      const args = ["--config", join(dir, "presage.yaml"), "--once", "--chart-dir", join(dir, "charts")];
      expect(await runCapacityCommand(args)).toBe(0);
    } finally {
      tableSpy.mockRestore();
    }
    const text = table.join("");
    expect(text).toMatch(/cluster-cpu\s+cpu\s+800 of 1000\s+> 180 d\s+> 180 d/);
    expect(text).toContain("resolved #1");
    expect(text).toMatch(/cluster-cpu\/cpu\s+90 d\s+0\s+1/);
    expect(await readFile(join(dir, "charts", "cluster-cpu-cpu.svg"), "utf8")).toMatch(/^<svg/);
    expect(receiver.requests.map((request) => (request.body as { event: string }).event)).toEqual([
      "open",
      "update",
      "resolve",
    ]);
  });
});
