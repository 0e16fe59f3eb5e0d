/** One gauge series to backfill: `values[i]` is the sample at `startMs + i * stepSeconds * 1000`. */
export interface BackfillSeries {
  /** Metric name, e.g. `http_requests`. */
  readonly name: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly startMs: number;
  readonly stepSeconds: number;
  /** `NaN` (or any non-finite value) writes no sample: a gap Prometheus will not know about. */
  readonly values: readonly number[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * OpenMetrics text for `promtool tsdb create-blocks-from openmetrics`: one `# TYPE <name> gauge` per
 * metric family with all its series' samples after it, timestamps in seconds, ending with `# EOF`.
 */
export function toOpenMetricsText(series: readonly BackfillSeries[]): string {
  const families = new Map<string, BackfillSeries[]>();
  for (const one of series) {
    if (!METRIC_NAME.test(one.name)) throw new Error(`metric name "${one.name}" is not valid`);
    families.set(one.name, [...(families.get(one.name) ?? []), one]);
  }
  const lines: string[] = [];
  for (const [name, members] of families) {
    lines.push(`# TYPE ${name} gauge`);
    for (const member of members) {
      const selector = `${name}${formatLabels(member.labels ?? {})}`;
      member.values.forEach((value, index) => {
        if (!Number.isFinite(value)) return;
        const seconds = (member.startMs + index * member.stepSeconds * 1000) / 1000;
        lines.push(`${selector} ${value} ${seconds}`);
      });
    }
  }
  lines.push("# EOF");
  return `${lines.join("\n")}\n`;
}

function formatLabels(labels: Readonly<Record<string, string>>): string {
  const pairs = Object.entries(labels).map(([label, value]) => {
    if (!LABEL_NAME.test(label) || label.startsWith("__"))
      throw new Error(`label name "${label}" is not valid`);
    const escaped = value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
    return `${label}="${escaped}"`;
  });
  return pairs.length === 0 ? "" : `{${pairs.join(",")}}`;
}
