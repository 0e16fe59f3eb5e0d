import { describe, expect, it } from "vitest";
import {
  renderDeep,
  renderTemplate,
  templateLabels,
  templateSyntaxProblems,
} from "../../src/remediation/runbooks/label-template.js";

describe("runbook templating from alert labels", () => {
  it("replaces {{ labels.x }} with the label's value, spaces optional", () => {
    expect(
      renderTemplate("{{ labels.namespace }}/{{labels.deployment}}", {
        namespace: "shop",
        deployment: "api",
      }),
    ).toEqual({
      ok: true,
      text: "shop/api",
    });
  });

  it("reports every label the alert lacks instead of rendering an empty string", () => {
    expect(renderTemplate("{{ labels.a }}-{{ labels.b }}-{{ labels.a }}", { b: "x" })).toEqual({
      ok: false,
      missing: ["a"],
    });
  });

  it("never evaluates code and never re-scans inserted values", () => {
    const labels = { deployment: "{{ labels.secret }}", secret: "s3cr3t", evil: "${process.exit(1)}" };
    expect(renderTemplate("{{ labels.deployment }}", labels)).toEqual({
      ok: true,
      text: "{{ labels.secret }}",
    });
    expect(renderTemplate("{{ labels.evil }}", labels)).toEqual({ ok: true, text: "${process.exit(1)}" });
    expect(templateSyntaxProblems("{{ process.exit(1) }}")).toHaveLength(1);
    expect(templateSyntaxProblems("{{ labels['a'] }}")).toHaveLength(1);
    expect(templateSyntaxProblems("{{ labels.a | upper }}")).toHaveLength(1);
  });

  it("flags unbalanced braces and accepts plain text", () => {
    expect(templateSyntaxProblems("{{ labels.a")).toEqual(["has an unbalanced {{ or }}"]);
    expect(templateSyntaxProblems("plain")).toEqual([]);
    expect(templateLabels("{{ labels.a }} {{ labels.b }}")).toEqual(["a", "b"]);
  });

  it("renders every string inside nested objects and arrays, keeping numbers", () => {
    const rendered = renderDeep(
      { spec: { nodeName: "{{ labels.node }}", args: ["--node={{ labels.node }}"], replicas: 2 } },
      { node: "n1" },
    );
    expect(rendered).toEqual({
      ok: true,
      value: { spec: { nodeName: "n1", args: ["--node=n1"], replicas: 2 } },
    });
    expect(renderDeep({ a: ["{{ labels.x }}"], b: "{{ labels.y }}" }, {})).toEqual({
      ok: false,
      missing: ["x", "y"],
    });
  });
});
