import { LABEL_NAME } from "./alertmanager-payload.js";

/** The four matcher operators of Prometheus and Alertmanager. */
export const MatchOperator = {
  equal: "=",
  notEqual: "!=",
  regex: "=~",
  notRegex: "!~",
} as const;
export type MatchOperator = (typeof MatchOperator)[keyof typeof MatchOperator];

/** One label matcher, e.g. `namespace=~"shop|web"`. */
export interface LabelMatcher {
  readonly name: string;
  readonly operator: MatchOperator;
  readonly value: string;
}

/** A matcher compiled once: regular expressions are fully anchored, as Prometheus' are. */
export interface CompiledMatcher extends LabelMatcher {
  readonly test: (labels: Readonly<Record<string, string>>) => boolean;
}

const MATCHER_TEXT = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|([^"\s]*))\s*$/;

/** Parses `name op "value"` (quotes optional for simple values); a string saying why when it is not one. */
export function parseMatcher(text: string): LabelMatcher | string {
  const found = MATCHER_TEXT.exec(text);
  if (!found) return `must look like name="value", name!="value", name=~"regex" or name!~"regex"`;
  const quoted = found[3];
  const value = quoted === undefined ? (found[4] ?? "") : quoted.replace(/\\(.)/g, "$1");
  return { name: found[1]!, operator: found[2] as MatchOperator, value };
}

/**
 * Compiles a matcher, or says why its regex is invalid. A missing label reads as the empty string, as
 * in Prometheus: `team=""` matches alerts without `team`, `team!=""` requires it.
 */
export function compileMatcher(matcher: LabelMatcher): CompiledMatcher | string {
  if (!LABEL_NAME.test(matcher.name)) return `label name ${JSON.stringify(matcher.name)} is not valid`;
  const read = (labels: Readonly<Record<string, string>>): string =>
    Object.hasOwn(labels, matcher.name) ? (labels[matcher.name] ?? "") : "";
  switch (matcher.operator) {
    case MatchOperator.equal:
      return { ...matcher, test: (labels) => read(labels) === matcher.value };
    case MatchOperator.notEqual:
      return { ...matcher, test: (labels) => read(labels) !== matcher.value };
    case MatchOperator.regex:
    case MatchOperator.notRegex: {
      let pattern: RegExp;
      try {
        pattern = new RegExp(`^(?:${matcher.value})$`, "u");
      } catch (error) {
        return `regex ${JSON.stringify(matcher.value)} is invalid: ${(error as Error).message}`;
      }
      const wanted = matcher.operator === MatchOperator.regex;
      return { ...matcher, test: (labels) => pattern.test(read(labels)) === wanted };
    }
  }
}

/** `name=~"value"`, as written in Alertmanager and PromQL. */
export function formatMatcher(matcher: LabelMatcher): string {
  return `${matcher.name}${matcher.operator}${JSON.stringify(matcher.value)}`;
}
