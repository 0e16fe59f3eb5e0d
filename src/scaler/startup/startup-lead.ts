/**
 * Lead time from measured pod start-ups (pure). The lead is how far ahead of demand a floor must be in
 * place: the time a new pod takes from created to Ready.
 */

/** Where the lead in use came from. */
export const LeadSource = { measured: "measured", configured: "configured" } as const;
export type LeadSource = (typeof LeadSource)[keyof typeof LeadSource];

/** Options of {@link startupLead}. */
export interface StartupLeadOptions {
  /** The target's lead (declared or the default), used when there is no measurement. */
  readonly configuredLeadMs: number;
  /**
   * Whether `configuredLeadMs` was declared by the user. A declared lead is a lower bound: the
   * measurement can only lengthen it (the user may know of delays kube-state-metrics cannot see, such
   * as node provisioning under a burst). A default lead is only a guess and the measurement replaces it.
   */
  readonly leadDeclared: boolean;
  /** Quantile of the per-pod start-up times, 0.5 ≤ q < 1. @defaultValue 0.9 */
  readonly quantile?: number;
  /** Fewer usable samples than this: no measurement. @defaultValue 3 */
  readonly minPods?: number;
  /**
   * Samples longer than this are not start-ups (a pod that went unready and came back reports its
   * latest Ready time) and are dropped. @defaultValue 1 800 000 (30 min)
   */
  readonly maxStartupMs?: number;
}

/** The lead to use, and why. */
export interface StartupLead {
  readonly leadMs: number;
  readonly source: LeadSource;
  /** The q-quantile of measured start-ups, when there were enough samples. */
  readonly measuredMs?: number;
  /** Usable samples (pods). */
  readonly pods: number;
  /** For decision details, e.g. `lead 95s measured (p90 of 12 pods)`. */
  readonly detail: string;
}

/**
 * The lead a target should use given per-pod start-up times in seconds (created → Ready). Samples
 * that are not finite, negative or longer than `maxStartupMs` are dropped. With at least `minPods`
 * left, the measured lead is their q-quantile (nearest rank, rounded up to whole seconds: it errs
 * long, the cheaper mistake — a floor in place early costs pod-minutes, one in place late costs
 * unserved demand); the lead is then the measured one, or the larger of it and a declared lead.
 * Otherwise the configured lead is kept.
 *
 * @throws RangeError when an option breaks its rule.
 */
export function startupLead(samplesSeconds: readonly number[], options: StartupLeadOptions): StartupLead {
  const quantile = options.quantile ?? 0.9;
  const minPods = options.minPods ?? 3;
  const maxStartupMs = options.maxStartupMs ?? 1_800_000;
  const problems: string[] = [];
  if (!Number.isFinite(options.configuredLeadMs) || options.configuredLeadMs < 0)
    problems.push(`\`configuredLeadMs\` (${options.configuredLeadMs}) must be ≥ 0`);
  if (!(quantile >= 0.5 && quantile < 1)) problems.push(`\`quantile\` (${quantile}) must be ≥ 0.5 and < 1`);
  if (!Number.isSafeInteger(minPods) || minPods < 1)
    problems.push(`\`minPods\` (${minPods}) must be an integer ≥ 1`);
  if (!(maxStartupMs > 0)) problems.push(`\`maxStartupMs\` (${maxStartupMs}) must be > 0`);
  if (problems.length > 0) throw new RangeError(problems.join("; "));

  const usable = samplesSeconds
    .filter((seconds) => Number.isFinite(seconds) && seconds >= 0 && seconds * 1000 <= maxStartupMs)
    .sort((a, b) => a - b);
  const configured = options.configuredLeadMs;
  const configuredText = `${formatSeconds(configured)} ${options.leadDeclared ? "configured" : "default"}`;
  if (usable.length < minPods) {
    return {
      leadMs: configured,
      source: LeadSource.configured,
      pods: usable.length,
      detail: `lead ${configuredText} (${usable.length} of ${minPods} pod start-ups needed to measure)`,
    };
  }
  const rank = Math.min(usable.length, Math.ceil(quantile * usable.length));
  const measuredMs = Math.ceil(usable[rank - 1] ?? 0) * 1000;
  const percentile = `p${Math.round(quantile * 100)}`;
  const measuredText = `${percentile} of ${usable.length} pod start-ups`;
  if (options.leadDeclared && configured > measuredMs) {
    return {
      leadMs: configured,
      source: LeadSource.configured,
      measuredMs,
      pods: usable.length,
      detail: `lead ${configuredText} (longer than the measured ${measuredText}: ${formatSeconds(measuredMs)})`,
    };
  }
  return {
    leadMs: measuredMs,
    source: LeadSource.measured,
    measuredMs,
    pods: usable.length,
    detail: `lead ${formatSeconds(measuredMs)} measured (${measuredText})`,
  };
}

/** The lead of a target that is not measured: its configured (declared or default) lead. */
export function configuredLead(target: {
  readonly leadMs: number;
  readonly leadDeclared: boolean;
}): StartupLead {
  return {
    leadMs: target.leadMs,
    source: LeadSource.configured,
    pods: 0,
    detail: `lead ${formatSeconds(target.leadMs)} ${target.leadDeclared ? "configured" : "default"}`,
  };
}

function formatSeconds(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return seconds >= 120 && seconds % 60 === 0 ? `${seconds / 60}m` : `${seconds}s`;
}
