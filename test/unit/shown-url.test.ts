import { describe, expect, it } from "vitest";
import { shownUrl } from "../../src/http/shown-url.js";
import { HttpHookRunner } from "../../src/remediation/execution/http-hook-runner.js";
import {
  ActionKind,
  actionTarget,
  describeAction,
  type RemediationAction,
} from "../../src/remediation/runbooks/remediation-action.js";

describe("shownUrl", () => {
  it("hides user info and query values, keeps the rest", () => {
    expect(shownUrl("https://ops:s3cret@hooks.example.com/restart?token=abc&service=cart#x")).toBe(
      "https://hooks.example.com/restart?token=…&service=…#x",
    );
    expect(shownUrl("http://127.0.0.1:8080/hook")).toBe("http://127.0.0.1:8080/hook");
    expect(shownUrl("not a url")).toBe("(invalid URL)");
  });

  it("is the one redactor for Redis, Prometheus and issue-tracker URLs too", () => {
    expect(shownUrl("redis://:hunter2@redis.presage:6379/0")).toBe("redis://redis.presage:6379/0");
    expect(shownUrl("http://scraper:pw@prometheus:9090/")).toBe("http://prometheus:9090/");
    expect(
      shownUrl("https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX", {
        compact: true,
      }),
    ).toBe("https://hooks.slack.com/services/T00000000/B000…");
    expect(shownUrl("https://api.github.com/repos/acme/ops/issues?labels=presage-capacity&since=x")).toBe(
      "https://api.github.com/repos/acme/ops/issues?labels=…&since=…",
    );
    expect(shownUrl("https://api.github.com/repos/acme/ops/issues?since=x#top", { compact: true })).toBe(
      "https://api.github.com/repos/acme/ops/issues",
    );
  });

  it("keeps hook secrets out of timelines, guard keys and failure messages", async () => {
    const action = {
      kind: ActionKind.httpHook,
      params: {
        url: "http://127.0.0.1:9/flush?token=t0p-s3cret",
        method: "POST",
        body: {},
        timeoutMs: 1000,
      },
    } as unknown as RemediationAction;
    expect(describeAction(action)).not.toContain("t0p-s3cret");
    expect(actionTarget(action)).not.toContain("t0p-s3cret");
    const runner = new HttpHookRunner({
      fetch: () => Promise.resolve(new Response("nope", { status: 500 })),
    });
    const prepared = await runner.prepare(action);
    expect(prepared.detail).not.toContain("t0p-s3cret");
    const failure = await runner.apply(prepared).catch((error: unknown) => error);
    expect(String(failure)).toMatch(/answered HTTP 500/);
    expect(String(failure)).not.toContain("t0p-s3cret");
  });
});
