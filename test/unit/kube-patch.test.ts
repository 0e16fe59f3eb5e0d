import { describe, expect, it } from "vitest";
import { applyJsonPatch, applyMergePatch } from "../support/kube-patch.js";

describe("the stand-in's JSON Merge Patch (RFC 7386)", () => {
  // The examples of RFC 7386, Appendix A.
  it.each([
    [{ a: "b" }, { a: "c" }, { a: "c" }],
    [{ a: "b" }, { b: "c" }, { a: "b", b: "c" }],
    [{ a: "b" }, { a: null }, {}],
    [{ a: "b", b: "c" }, { a: null }, { b: "c" }],
    [{ a: ["b"] }, { a: "c" }, { a: "c" }],
    [{ a: "c" }, { a: ["b"] }, { a: ["b"] }],
    [{ a: { b: "c" } }, { a: { b: "d", c: null } }, { a: { b: "d" } }],
    [{ a: [{ b: "c" }] }, { a: [1] }, { a: [1] }],
    [
      ["a", "b"],
      ["c", "d"],
      ["c", "d"],
    ],
    [{ a: "b" }, ["c"], ["c"]],
    [{ a: "foo" }, null, null],
    [{ a: "foo" }, "bar", "bar"],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: "b", c: null }, { a: "b" }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ])("merge(%j, %j) = %j", (target, patch, expected) => {
    expect(applyMergePatch(target, patch)).toEqual(expected);
  });

  it("does not modify the target", () => {
    const target = { metadata: { annotations: { a: "1" } } };
    applyMergePatch(target, { metadata: { annotations: { a: null } } });
    expect(target).toEqual({ metadata: { annotations: { a: "1" } } });
  });
});

describe("the stand-in's JSON Patch (RFC 6902)", () => {
  const hpa = {
    metadata: { annotations: { "presage.io/enabled": "true" } },
    spec: { minReplicas: 2, list: [1, 2] },
  };

  it("adds, replaces, removes, moves and copies, escaping ~1 and ~0", () => {
    expect(
      applyJsonPatch(hpa, [
        { op: "test", path: "/spec/minReplicas", value: 2 },
        { op: "replace", path: "/spec/minReplicas", value: 6 },
        { op: "add", path: "/metadata/annotations/presage.io~1baseline-min-replicas", value: "2" },
        { op: "remove", path: "/metadata/annotations/presage.io~1enabled" },
        { op: "add", path: "/spec/list/-", value: 3 },
        { op: "add", path: "/spec/list/0", value: 0 },
        { op: "copy", from: "/spec/minReplicas", path: "/spec/copied" },
        { op: "move", from: "/spec/copied", path: "/spec/moved~0x" },
      ]),
    ).toEqual({
      metadata: { annotations: { "presage.io/baseline-min-replicas": "2" } },
      spec: { minReplicas: 6, list: [0, 1, 2, 3], "moved~x": 6 },
    });
  });

  it("fails a test operation that does not match, and a path that does not exist", () => {
    expect(() => applyJsonPatch(hpa, [{ op: "test", path: "/spec/minReplicas", value: 3 }])).toThrow(
      "testing value /spec/minReplicas failed",
    );
    expect(() => applyJsonPatch(hpa, [{ op: "remove", path: "/spec/nothing" }])).toThrow("does not exist");
    expect(() => applyJsonPatch(hpa, [{ op: "replace", path: "/status/x", value: 1 }])).toThrow(
      "does not exist",
    );
  });
});
