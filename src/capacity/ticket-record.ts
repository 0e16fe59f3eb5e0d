/** What a ticket last told people: the runway it reported and when. */
export interface ReportedRunway {
  /** `YYYY-MM-DD` of the last observed day of the forecast reported. */
  readonly originDay: string;
  readonly p50Date: string | undefined;
  readonly p90Date: string | undefined;
  /** p90 days left when reported (counted from `originDay`). */
  readonly p90Days: number | undefined;
  readonly limit: number;
  readonly capacity: number;
}

/** The persisted state of one target/resource's ticket. */
export interface TicketRecord {
  /** `<target>/<resource>`. */
  readonly fingerprint: string;
  readonly target: string;
  readonly resource: string;
  readonly status: "open" | "resolved";
  /** 1 for the first ticket of this fingerprint; each reopening after a resolve is a new ticket. */
  readonly generation: number;
  readonly openedAtMs: number;
  readonly updatedAtMs: number;
  readonly resolvedAtMs?: number;
  readonly reported: ReportedRunway;
  /**
   * References sinks returned for this ticket (GitHub issue number, Jira key), keyed
   * `<sink>#<generation>` so a pending message of an older ticket still finds its own issue.
   */
  readonly refs: Readonly<Record<string, string>>;
}

/** Key of a sink reference in {@link TicketRecord.refs}. */
export function refKey(sink: string, generation: number): string {
  return `${sink}#${generation}`;
}
