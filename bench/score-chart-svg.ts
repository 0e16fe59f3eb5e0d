/** One bar of a horizontal bar chart. */
export interface ChartBar {
  readonly label: string;
  readonly value: number;
  /** Bars of peers (e.g. R) are drawn in a second colour. */
  readonly peer: boolean;
}

export interface ChartPanel {
  readonly title: string;
  readonly bars: readonly ChartBar[];
}

/**
 * A dependency-free SVG of horizontal bar panels (one per data set), sorted best first, with a dashed
 * reference line at 1.0 (Naive2's OWA). Lower is better.
 */
export function renderScoreChartSvg(panels: readonly ChartPanel[], valueLabel: string): string {
  const width = 720;
  const barHeight = 18;
  const gap = 6;
  const labelWidth = 210;
  const plotWidth = width - labelWidth - 70;
  const parts: string[] = [];
  let y = 10;
  for (const panel of panels) {
    const bars = [...panel.bars]
      .filter((bar) => Number.isFinite(bar.value))
      .sort((a, b) => a.value - b.value);
    const max = Math.max(1.05, ...bars.map((bar) => bar.value));
    const x = (value: number): number => labelWidth + (value / max) * plotWidth;
    parts.push(`<text x="10" y="${y + 14}" font-weight="bold">${escapeXml(panel.title)}</text>`);
    y += 24;
    const top = y;
    for (const bar of bars) {
      const fill = bar.peer ? "#9aa5b1" : bar.label === "auto" ? "#d9822b" : "#2b7bb9";
      parts.push(
        `<text x="${labelWidth - 8}" y="${y + 13}" text-anchor="end">${escapeXml(bar.label)}</text>`,
        `<rect x="${labelWidth}" y="${y}" width="${(x(bar.value) - labelWidth).toFixed(1)}" height="${barHeight}" fill="${fill}"/>`,
        `<text x="${(x(bar.value) + 4).toFixed(1)}" y="${y + 13}">${bar.value.toFixed(3)}</text>`,
      );
      y += barHeight + gap;
    }
    parts.push(
      `<line x1="${x(1).toFixed(1)}" y1="${top - 4}" x2="${x(1).toFixed(1)}" y2="${y}" stroke="#444" stroke-dasharray="4 3"/>`,
    );
    y += 16;
  }
  const legend = `<text x="10" y="${y + 4}" fill="#555">${escapeXml(valueLabel)} — lower is better; dashed line: Naive2 = 1; orange: presage auto, blue: presage models, grey: R forecast</text>`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y + 20}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    ...parts,
    legend,
    "</svg>",
    "",
  ].join("\n");
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
