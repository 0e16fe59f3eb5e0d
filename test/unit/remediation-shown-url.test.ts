import { describe, expect, it } from "vitest";
import { HttpHookRunner } from "../../src/remediation/execution/http-hook-runner.js";
import {
  ActionKind,
  actionTarget,
  describeAction,
  shownUrl,
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
