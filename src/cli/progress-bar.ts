/** Something that can show how far long work has come. */
export interface ProgressReporter {
  update(done: number, total: number, label?: string): void;
  finish(): void;
}

/**
 * A one-line progress bar on stderr, redrawn at most every `intervalMs`. It draws nothing when stderr
 * is not a terminal, so piped and CI output stays clean.
 */
export class ProgressBar implements ProgressReporter {
  private lastDrawMs = 0;
  private drawn = false;
  private readonly startedMs = Date.now();

  constructor(
    private readonly title: string,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly intervalMs = 100,
  ) {}

  get enabled(): boolean {
    return this.stream.isTTY;
  }

  update(done: number, total: number, label = ""): void {
    if (!this.enabled) return;
    const nowMs = Date.now();
    if (done < total && nowMs - this.lastDrawMs < this.intervalMs) return;
    this.lastDrawMs = nowMs;
    const width = 30;
    const fraction = total > 0 ? Math.min(1, done / total) : 0;
    const filled = Math.round(fraction * width);
    const elapsedSeconds = (nowMs - this.startedMs) / 1000;
    const etaSeconds = fraction > 0 ? (elapsedSeconds / fraction) * (1 - fraction) : Number.NaN;
    const eta = Number.isFinite(etaSeconds) ? ` eta ${formatSeconds(etaSeconds)}` : "";
    const bar = `${"█".repeat(filled)}${"░".repeat(width - filled)}`;
    const line = `${this.title} ${bar} ${done}/${total} ${(fraction * 100).toFixed(0)}%${eta} ${label}`;
    this.stream.write(`\r\x1b[2K${line.slice(0, (this.stream.columns || 120) - 1)}`);
    this.drawn = true;
  }

  finish(): void {
    if (this.drawn) this.stream.write("\r\x1b[2K");
    this.drawn = false;
  }
}

function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(0)}s`;
  return `${Math.floor(seconds / 60)}m${Math.round(seconds % 60)
    .toString()
    .padStart(2, "0")}s`;
}
