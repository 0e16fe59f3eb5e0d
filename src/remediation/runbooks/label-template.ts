import { LABEL_NAME } from "../alerting/alertmanager-payload.js";

/**
 * Templating of runbook parameters from alert labels: `{{ labels.deployment }}` and nothing else. No
 * expressions, filters or code: a placeholder is replaced by the label's value, verbatim (values are
 * never re-scanned, so a label containing `{{ … }}` stays literal text).
 */
const PLACEHOLDER = /\{\{(.*?)\}\}/g;
const LABEL_REFERENCE = /^\s*labels\.([a-zA-Z_][a-zA-Z0-9_]*)\s*$/;

/** Problems with a template's syntax (empty when fine). */
export function templateSyntaxProblems(template: string): string[] {
  const problems: string[] = [];
  for (const [whole, inner] of template.matchAll(PLACEHOLDER)) {
    if (!LABEL_REFERENCE.test(inner ?? "")) {
      problems.push(`placeholder ${whole} must be {{ labels.<name> }} with a valid label name`);
    }
  }
  const stripped = template.replace(PLACEHOLDER, "");
  if (stripped.includes("{{") || stripped.includes("}}")) {
    problems.push("has an unbalanced {{ or }}");
  }
  return problems;
}

/** The label names a template refers to. */
export function templateLabels(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)]
    .map(([, inner]) => LABEL_REFERENCE.exec(inner ?? "")?.[1])
    .filter((name): name is string => name !== undefined && LABEL_NAME.test(name));
}

/** The outcome of rendering: the text, or the labels the alert lacks. */
export type Rendered =
  { readonly ok: true; readonly text: string } | { readonly ok: false; readonly missing: string[] };

/**
 * Replaces every `{{ labels.x }}`; a label the alert does not carry is reported, never rendered as "".
 * `encode` is applied to each label value (`encodeURIComponent` for URLs), never to the template's text.
 */
export function renderTemplate(
  template: string,
  labels: Readonly<Record<string, string>>,
  encode: (value: string) => string = (value) => value,
): Rendered {
  const missing = templateLabels(template).filter((name) => !Object.hasOwn(labels, name));
  if (missing.length > 0) return { ok: false, missing: [...new Set(missing)] };
  return {
    ok: true,
    text: template.replace(PLACEHOLDER, (_whole, inner: string) => {
      const name = LABEL_REFERENCE.exec(inner)?.[1] ?? "";
      return encode(labels[name] ?? "");
    }),
  };
}

/**
 * Renders every string inside a JSON-like value (objects, arrays, strings; numbers and booleans kept).
 * Returns the missing labels of all strings at once.
 */
export function renderDeep(
  value: unknown,
  labels: Readonly<Record<string, string>>,
): { ok: true; value: unknown } | { ok: false; missing: string[] } {
  const missing = new Set<string>();
  const walk = (node: unknown): unknown => {
    if (typeof node === "string") {
      const rendered = renderTemplate(node, labels);
      if (!rendered.ok) {
        for (const name of rendered.missing) missing.add(name);
        return node;
      }
      return rendered.text;
    }
    if (Array.isArray(node)) return node.map(walk);
    if (typeof node === "object" && node !== null) {
      return Object.fromEntries(Object.entries(node).map(([key, child]) => [key, walk(child)]));
    }
    return node;
  };
  const rendered = walk(value);
  return missing.size > 0 ? { ok: false, missing: [...missing] } : { ok: true, value: rendered };
}

/** Every string inside a JSON-like value, for syntax checks at load. */
export function stringsIn(value: unknown, path = ""): { path: string; text: string }[] {
  if (typeof value === "string") return [{ path, text: value }];
  if (Array.isArray(value)) return value.flatMap((child, index) => stringsIn(child, `${path}[${index}]`));
  if (typeof value === "object" && value !== null) {
    return Object.entries(value).flatMap(([key, child]) =>
      stringsIn(child, path === "" ? key : `${path}.${key}`),
    );
  }
  return [];
}
