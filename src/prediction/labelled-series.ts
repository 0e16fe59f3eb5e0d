/** One series of a query result with its labels and the samples it has (no gaps filled in). */
export interface LabelledSeries {
  /** The series' labels, `__name__` left out. */
  readonly labels: Readonly<Record<string, string>>;
  /** Ascending epoch ms, one per sample. */
  readonly timestampsMs: readonly number[];
  readonly values: readonly number[];
}

/** A range of a query, every series of it. */
export interface LabelledRangeRequest {
  readonly query: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly stepMs: number;
  readonly signal?: AbortSignal;
}

/**
 * Port: every series of a query over a range, with labels — the failure predictor keeps one forecast
 * per series (per pod, per volume, per database). The Prometheus adapter is
 * `PrometheusLabelledSeries`; tests implement it in memory.
 */
export interface LabelledSeriesSource {
  fetchSeries(request: LabelledRangeRequest): Promise<LabelledSeries[]>;
}

/** `{a="1",b="2"}` with labels sorted: the identity of a series. */
export function seriesKey(labels: Readonly<Record<string, string>>): string {
  const pairs = Object.keys(labels)
    .sort()
    .map((name) => `${name}=${JSON.stringify(labels[name] ?? "")}`);
  return `{${pairs.join(",")}}`;
}

/**
 * Whether two label sets describe the same workload: with `on`, those labels are present in both and
 * equal; without, every label both carry is equal (and they share at least one).
 */
export function labelsAgree(
  a: Readonly<Record<string, string>>,
  b: Readonly<Record<string, string>>,
  on?: readonly string[],
): boolean {
  if (on !== undefined) return on.every((name) => a[name] !== undefined && a[name] === b[name]);
  let shared = 0;
  for (const [name, value] of Object.entries(a)) {
    const other = b[name];
    if (other === undefined) continue;
    if (other !== value) return false;
    shared++;
  }
  return shared > 0 || (Object.keys(a).length === 0 && Object.keys(b).length === 0);
}
