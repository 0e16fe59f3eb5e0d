import { parseHookUrlTemplate, renderHookUrl } from "./hook-url-template.js";
import { renderDeep } from "./label-template.js";
import { ActionKind } from "./remediation-action.js";
import type { RunbookStep } from "./runbook.js";

/**
 * Renders one step's parameters for an alert's labels. Label values are inserted verbatim, except in
 * an `http-hook` URL: there they are percent-encoded and the rendered URL must keep the origin the
 * runbook declares (see {@link renderHookUrl}); the hook's body is data and cannot reach its URL.
 * Problems name the step (`steps[1]…`), every one at once.
 */
export function renderStepParams(
  step: RunbookStep,
  index: number,
  labels: Readonly<Record<string, string>>,
): { ok: true; value: unknown } | { ok: false; problems: string[] } {
  const { url, ...rest } = step.params;
  const hookUrl = step.action === ActionKind.httpHook && typeof url === "string";
  const rendered = renderDeep(hookUrl ? rest : step.params, labels);
  const missing = new Set(rendered.ok ? [] : rendered.missing);
  const problems: string[] = [];
  let renderedUrl: string | undefined;
  if (hookUrl) {
    const parsed = parseHookUrlTemplate(url);
    const result = parsed.ok ? renderHookUrl(parsed.url, labels) : parsed;
    if (result.ok) renderedUrl = result.text;
    else if ("missing" in result) for (const name of result.missing) missing.add(name);
    else problems.push(`steps[${index}].params.url: ${result.rule}`);
  }
  if (missing.size > 0) {
    problems.unshift(
      `steps[${index}]: the alert has no label ${[...missing].map((name) => `"${name}"`).join(", ")}`,
    );
  }
  if (problems.length > 0 || !rendered.ok) return { ok: false, problems };
  return {
    ok: true,
    value: renderedUrl === undefined ? rendered.value : { ...(rendered.value as object), url: renderedUrl },
  };
}
