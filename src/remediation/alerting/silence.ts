import type { CompiledMatcher } from "./label-matcher.js";

/** An Alertmanager silence as presage checks it. */
export interface Silence {
  readonly id: string;
  readonly matchers: readonly CompiledMatcher[];
  readonly startsAtMs: number;
  readonly endsAtMs: number;
  readonly createdBy: string;
  readonly comment: string;
}

/** The first silence active at `nowMs` whose matchers all match `labels`, as Alertmanager decides it. */
export function matchingSilence(
  silences: readonly Silence[],
  labels: Readonly<Record<string, string>>,
  nowMs: number,
): Silence | undefined {
  return silences.find(
    (silence) =>
      silence.startsAtMs <= nowMs &&
      nowMs < silence.endsAtMs &&
      silence.matchers.length > 0 &&
      silence.matchers.every((matcher) => matcher.test(labels)),
  );
}
