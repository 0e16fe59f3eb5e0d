import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { ProgressBar } from "../../src/cli/progress-bar.js";
import { renderForecastChart } from "../../src/cli/terminal-chart.js";
import { formatNumber, formatTable } from "../../src/cli/text-table.js";

describe("terminal output", () => {
  it("draws history, forecast, both bands and the origin line", () => {
    const history = Array.from({ length: 60 }, (_, i) => 100 + 20 * Math.sin(i / 5));
    const mean = Array.from({ length: 20 }, () => 100);
    const chart = renderForecastChart(history, {
      model: "test",
      mean,
      intervals: [
        { level: 80, lower: mean.map((m) => m - 10), upper: mean.map((m) => m + 10) },
        { level: 95, lower: mean.map((m) => m - 25), upper: mean.map((m) => m + 25) },
      ],
      notes: [],
    });
    const lines = chart.split("\n");
    expect(lines).toHaveLength(19);
    for (const symbol of ["·", "●", "▓", "░", "│"]) expect(chart).toContain(symbol);
    expect(lines[lines.length - 1]).toContain("▓ 80%");
    expect(lines[lines.length - 1]).toContain("░ 95%");
    // The 95% band reaches the bottom of the plot: its lower bound (75) is the minimum.
    expect(lines[17]).toMatch(/^\s*75\.0 ┤/);
  });

  it("summarises long series into at most the requested number of columns", () => {
    const history = Array.from({ length: 1000 }, (_, i) => i);
    const mean = Array.from({ length: 500 }, (_, i) => 1000 + i);
    const chart = renderForecastChart(history, { model: "t", mean, intervals: [], notes: [] }, { width: 80 });
    const widest = Math.max(
      ...chart
        .split("\n")
        .slice(0, -1)
        .map((line) => line.split("┤")[1]?.length ?? 0),
    );
    expect(widest).toBeLessThanOrEqual(81);
    expect(chart).toContain("1 column = 19 steps");
  });

  it("aligns numbers right and text left in tables", () => {
    const table = formatTable(
      ["method", "OWA"],
      [
        ["auto", 0.5678],
        ["snaive", 0.717],
      ],
    ).split("\n");
    expect(table[2]).toBe("auto    0.568");
    expect(table[3]).toBe("snaive  0.717");
    expect(formatNumber(Number.NaN)).toBe("—");
  });

  it("keeps the progress bar off when stderr is not a terminal", () => {
    const sink = new PassThrough() as unknown as NodeJS.WriteStream;
    let written = "";
    (sink as unknown as PassThrough).on("data", (chunk: Buffer) => (written += chunk.toString()));
    const bar = new ProgressBar("work", sink);
    bar.update(5, 10);
    bar.finish();
    expect(bar.enabled).toBeFalsy();
    expect(written).toBe("");
  });

  it("draws a bar with counts and percentage on a terminal", () => {
    const chunks: string[] = [];
    const tty = {
      isTTY: true,
      columns: 120,
      write: (text: string) => chunks.push(text),
    } as unknown as NodeJS.WriteStream;
    const bar = new ProgressBar("eval", tty, 0);
    bar.update(3, 4, "ets");
    expect(chunks.join("")).toMatch(/eval █+░* 3\/4 75%.*ets/);
  });
});
