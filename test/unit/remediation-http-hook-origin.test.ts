import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, parseConfigText } from "../../src/config/presage-config.js";
import { HttpHookRunner } from "../../src/remediation/execution/http-hook-runner.js";
import { planRemediation, renderSteps } from "../../src/remediation/planning/plan-remediation.js";
import { RemediationErrorCode } from "../../src/remediation/remediation-error.js";
import {
  loadRunbooks,
  parseRunbookFiles,
  RunbookError,
} from "../../src/remediation/runbooks/load-runbooks.js";
import type { Runbook } from "../../src/remediation/runbooks/runbook.js";
import { freePort } from "../support/free-port.js";
import { receivedAlert, runbooksFromYaml } from "../support/remediation-fixtures.js";

/** A hook runbook for alert `HookAlert` whose step calls `url` (YAML-quoted) with `body`. */
function hookRunbookYaml(url: string, body = "{}", name = "call-hook"): string {
  return `name: ${name}
mode: auto
match: { alertname: HookAlert }
steps:
  - action: http-hook
    params: { url: ${JSON.stringify(url)}, body: ${body} }
`;
}

function loadError(files: Record<string, string>, allowedHosts?: readonly string[]): RunbookError {
  try {
    parseRunbookFiles(
      Object.entries(files).map(([name, text]) => ({ name, text })),
      allowedHosts === undefined ? {} : { httpHookAllowedHosts: allowedHosts },
    );
  } catch (error) {
    if (error instanceof RunbookError) return error;
    throw error;
  }
  throw new Error("expected a RunbookError");
}

interface Received {
  readonly method: string;
  readonly url: string;
  readonly body: string;
}

/** A real HTTP server on 127.0.0.1 that records every request and answers with `answer`. */
async function recordingServer(
  answer: (response: import("node:http").ServerResponse) => void = (response) => {
    response.writeHead(200, { "content-type": "text/plain" }).end("ok");
  },
): Promise<{ port: number; received: Received[]; server: Server }> {
  const port = await freePort();
  const received: Received[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      received.push({
        method: request.method ?? "",
        url: request.url ?? "",
        body: Buffer.concat(chunks).toString("utf8"),
      });
      answer(response);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  servers.push(server);
  return { port, received, server };
}

const servers: Server[] = [];
const directories: string[] = [];

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => {
            resolve();
          });
        }),
    ),
  );
  await Promise.all(
    directories.splice(0).map((directory) => rm(directory, { recursive: true, force: true })),
  );
});

/** Renders the runbook's only step for `labels` and runs it through a real HttpHookRunner. */
async function runHook(runbook: Runbook, labels: Record<string, string>): Promise<string> {
  const rendered = renderSteps(runbook, labels);
  if (!rendered.ok) throw new Error(rendered.problems.join("; "));
  const [step] = rendered.steps;
  if (step === undefined) throw new Error("no step");
  const runner = new HttpHookRunner();
  const applied = await runner.apply(await runner.prepare(step.action));
  return applied.detail;
}

describe("http-hook URLs: the origin is fixed by the runbook, never by alert labels", () => {
  it("refuses at load a hook whose host, port or user info comes from a label, naming runbook, step and rule; labels may fill path and query", () => {
    const error = loadError({
      "host.yaml": hookRunbookYaml("https://{{ labels.host }}/restart", "{}", "restart-by-host"),
      "port.yaml": hookRunbookYaml("https://hooks.example:{{ labels.port }}/restart", "{}", "by-port"),
      "user.yaml": hookRunbookYaml("https://{{ labels.user }}@hooks.example/restart", "{}", "by-user"),
      "whole.yaml": hookRunbookYaml("{{ labels.url }}", "{}", "by-whole-url"),
      "suffix.yaml": hookRunbookYaml("https://hooks.example{{ labels.domain }}/x", "{}", "by-suffix"),
    });
    expect(error.code).toBe(RemediationErrorCode.invalidRunbook);
    expect(error.problems).toHaveLength(5);
    for (const problem of error.problems) {
      expect(problem.field).toBe("steps[0].params.url");
      expect(problem.rule).toMatch(/must spell out its scheme, user info, host and port/);
    }
    expect(error.message).toContain(
      'host.yaml: steps[0].params.url ("https://{{ labels.host }}/restart") of runbook restart-by-host must spell out its scheme, user info, host and port',
    );
    for (const name of ["by-port", "by-user", "by-whole-url", "by-suffix"]) {
      expect(error.message).toContain(`of runbook ${name} must spell out`);
    }
    // Literal user info and query values may be tokens: the message hides them, placeholders stay.
    const secret = loadError({
      "s.yaml": hookRunbookYaml("https://ops:s3cret@{{ labels.host }}/x?token=abc123&ns={{ labels.ns }}"),
    });
    expect(secret.message).toContain('("https://…@{{ labels.host }}/x?token=…&ns={{ labels.ns }}")');
    expect(secret.message).not.toMatch(/s3cret|abc123/);
    // A fixed origin with labels in the path and query loads.
    const [runbook] = runbooksFromYaml({
      "hook.yaml": hookRunbookYaml(
        "https://ops:token@hooks.example:8443/svc/{{ labels.service }}?ns={{ labels.namespace }}",
      ),
    });
    expect(runbook?.steps[0]?.params.url).toBe(
      "https://ops:token@hooks.example:8443/svc/{{ labels.service }}?ns={{ labels.namespace }}",
    );
  });

  it("percent-encodes label values in the path and query, so the request reaches the declared path on the declared origin", async () => {
    const hook = await recordingServer();
    const elsewhere = await recordingServer();
    const [runbook] = runbooksFromYaml({
      "hook.yaml": hookRunbookYaml(
        `http://127.0.0.1:${hook.port}/hooks/{{ labels.service }}/restart?ns={{ labels.namespace }}&v=1`,
        '{ target: "{{ labels.target }}" }',
      ),
    });
    const detail = await runHook(runbook!, {
      service: "../../admin",
      namespace: "shop?x=1#frag&v=2",
      target: `http://127.0.0.1:${elsewhere.port}/steal`,
    });
    expect(detail).toMatch(/answered HTTP 200/);
    expect(hook.received).toEqual([
      {
        method: "POST",
        url: "/hooks/..%2F..%2Fadmin/restart?ns=shop%3Fx%3D1%23frag%26v%3D2&v=1",
        body: JSON.stringify({ target: `http://127.0.0.1:${elsewhere.port}/steal` }),
      },
    ]);
    expect(elsewhere.received).toEqual([]);

    const [userInfo] = runbooksFromYaml({
      "hook.yaml": hookRunbookYaml(`http://127.0.0.1:${hook.port}/{{ labels.who }}`),
    });
    await runHook(userInfo!, { who: `x@127.0.0.1:${elsewhere.port}/` });
    expect(hook.received[1]?.url).toBe(`/x%40127.0.0.1%3A${elsewhere.port}%2F`);
    expect(elsewhere.received).toEqual([]);
  });

  it('refuses to render a label that would be a "." or ".." path segment, and pages instead of acting', () => {
    const runbooks = runbooksFromYaml({
      "hook.yaml": hookRunbookYaml("https://hooks.example/api/{{ labels.service }}/restart"),
    });
    const rendered = renderSteps(runbooks[0]!, { service: ".." });
    expect(rendered.ok).toBe(false);
    expect(rendered.ok ? [] : rendered.problems).toEqual([
      expect.stringMatching(/^steps\[0\]\.params\.url: must not hold a "\." or "\.\." path segment/),
    ]);
    const plan = planRemediation(receivedAlert({ alertname: "HookAlert", service: "." }), runbooks, {
      nowMs: Date.parse("2026-11-28T02:00:00Z"),
      defaultMode: "auto",
      maintenanceWindows: [],
      breakers: {},
      silences: [],
      actWithoutSilences: false,
    });
    expect(plan).toMatchObject({ kind: "skip", runbook: "call-hook", reason: "template", page: true });
  });

  it("does not follow a redirect away from the declared origin", async () => {
    const elsewhere = await recordingServer();
    const hook = await recordingServer((response) => {
      response.writeHead(302, { location: `http://127.0.0.1:${elsewhere.port}/latest/meta-data/` }).end();
    });
    const [runbook] = runbooksFromYaml({
      "hook.yaml": hookRunbookYaml(`http://127.0.0.1:${hook.port}/restart`),
    });
    await expect(runHook(runbook!, {})).rejects.toThrow(/answered HTTP 302 \(redirects are not followed\)/);
    expect(hook.received).toHaveLength(1);
    expect(elsewhere.received).toEqual([]);
  });
});

describe("remediation.httpHooks.allowedHosts", () => {
  it("refuses at load a hook to a host (or port) the allow-list does not name", () => {
    const allowed = ["hooks.example.com", "10.0.0.5:8443"];
    const error = loadError(
      {
        "metadata.yaml": hookRunbookYaml("http://169.254.169.254/latest/meta-data/", "{}", "metadata"),
        "port.yaml": hookRunbookYaml("https://10.0.0.5:9443/restart", "{}", "wrong-port"),
      },
      allowed,
    );
    expect(error.problems.map((problem) => [problem.file, problem.field])).toEqual([
      ["metadata.yaml", "steps[0].params.url"],
      ["port.yaml", "steps[0].params.url"],
    ]);
    expect(error.message).toContain(
      "of runbook metadata calls 169.254.169.254:80, which remediation.httpHooks.allowedHosts (hooks.example.com, 10.0.0.5:8443) does not list",
    );
    expect(error.message).toContain("of runbook wrong-port calls 10.0.0.5:9443");
    const loaded = parseRunbookFiles(
      [
        { name: "a.yaml", text: hookRunbookYaml("https://HOOKS.example.com:444/{{ labels.x }}", "{}", "a") },
        { name: "b.yaml", text: hookRunbookYaml("https://10.0.0.5:8443/restart", "{}", "b") },
      ],
      { httpHookAllowedHosts: allowed },
    );
    expect(loaded.map((runbook) => runbook.name)).toEqual(["a", "b"]);
  });

  it("is read from the config file, checked entry by entry, and applied by loadRunbooks", async () => {
    const config = parseConfigText(`remediation:
  webhook: { tokens: ["a-webhook-token-of-some-length"] }
  httpHooks: { allowedHosts: ["hooks.example.com", "10.0.0.5:8443"] }
`);
    expect(config.remediation?.httpHookAllowedHosts).toEqual(["hooks.example.com", "10.0.0.5:8443"]);
    let problems: string[] = [];
    try {
      parseConfigText(`remediation:
  webhook: { tokens: ["a-webhook-token-of-some-length"] }
  httpHooks: { allowedHosts: ["https://hooks.example.com/", "ok.example", "h:99999"] }
`);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems = error.problems.map((problem) => `${problem.field} ${problem.rule}`);
    }
    expect(problems).toEqual([
      expect.stringMatching(/^remediation\.httpHooks\.allowedHosts\[0\] must be a host or host:port/),
      expect.stringMatching(/^remediation\.httpHooks\.allowedHosts\[2\] must be a host or host:port/),
    ]);

    const directory = await mkdtemp(join(tmpdir(), "presage-hook-allow-"));
    directories.push(directory);
    await writeFile(
      join(directory, "hook.yaml"),
      hookRunbookYaml("https://internal-admin:8080/x", "{}", "admin"),
    );
    await expect(
      loadRunbooks(directory, { httpHookAllowedHosts: config.remediation?.httpHookAllowedHosts }),
    ).rejects.toThrow(
      /of runbook admin calls internal-admin:8080, which remediation\.httpHooks\.allowedHosts/,
    );
    await expect(loadRunbooks(directory)).resolves.toHaveLength(1);
  });
});
