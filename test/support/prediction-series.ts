import type {
  LabelledRangeRequest,
  LabelledSeries,
  LabelledSeriesSource,
} from "../../src/prediction/labelled-series.js";

/** One scripted series: its labels and its value at a time (undefined: no sample). */
export interface ScriptedSeries {
  readonly labels: Readonly<Record<string, string>>;
  valueAt(timeMs: number): number | undefined;
}

/**
 * The predictor's series port in memory, for loop tests on a fake clock: each query maps to scripted
 * series sampled on the step grid of the request (as a Prometheus range query is). Records requests.
 */
export class ScriptedLabelledSeries implements LabelledSeriesSource {
  readonly requests: LabelledRangeRequest[] = [];
  /** Makes the next `fetchSeries` calls fail (as an unavailable Prometheus). */
  failNext = 0;

  constructor(private readonly byQuery: Readonly<Record<string, readonly ScriptedSeries[]>>) {}

  fetchSeries(request: LabelledRangeRequest): Promise<LabelledSeries[]> {
    this.requests.push(request);
    if (this.failNext > 0) {
      this.failNext--;
      return Promise.reject(new Error("prometheus unavailable (scripted)"));
    }
    const scripted = this.byQuery[request.query];
    if (scripted === undefined) return Promise.reject(new Error(`no scripted query ${request.query}`));
    const first = Math.ceil(request.startMs / request.stepMs) * request.stepMs;
    return Promise.resolve(
      scripted.map((series) => {
        const timestampsMs: number[] = [];
        const values: number[] = [];
        for (let atMs = first; atMs <= request.endMs; atMs += request.stepMs) {
          const value = series.valueAt(atMs);
          if (value === undefined) continue;
          timestampsMs.push(atMs);
          values.push(value);
        }
        return { labels: series.labels, timestampsMs, values };
      }),
    );
  }
}

/**
 * A leaking container's memory: `baseBytes + bytesPerSecond · (t − started)`; `restart(t)` starts it
 * over (a rolling restart). At the limit it is OOM-killed: the kill is recorded and it starts over.
 */
export class LeakingMemory implements ScriptedSeries {
  private startedAtMs: number;
  readonly oomKillsMs: number[] = [];
  readonly restartsMs: number[] = [];

  constructor(
    readonly labels: Readonly<Record<string, string>>,
    private readonly options: {
      readonly startMs: number;
      readonly baseBytes: number;
      readonly bytesPerSecond: number;
      readonly limitBytes: number;
    },
  ) {
    this.startedAtMs = options.startMs;
  }

  restart(atMs: number): void {
    this.restartsMs.push(atMs);
    this.startedAtMs = atMs;
  }

  valueAt(timeMs: number): number | undefined {
    const { baseBytes, bytesPerSecond, limitBytes } = this.options;
    if (timeMs < this.startedAtMs) return undefined;
    const value = baseBytes + (bytesPerSecond * (timeMs - this.startedAtMs)) / 1000;
    if (value < limitBytes) return value;
    // The kernel kills it at the limit; the kubelet starts it again.
    this.oomKillsMs.push(timeMs);
    this.startedAtMs = timeMs;
    return limitBytes;
  }
}
