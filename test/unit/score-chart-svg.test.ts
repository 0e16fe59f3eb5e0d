import { describe, expect, it } from "vitest";
import { renderScoreChartSvg } from "../../bench/score-chart-svg.js";

describe("renderScoreChartSvg", () => {
  it("draws one bar per finite score, best first, with the Naive2 reference line", () => {
    const svg = renderScoreChartSvg(
      [
        {
          title: "M4 hourly",
          bars: [
            { label: "R ets", value: 0.893, peer: true },
            { label: "auto", value: 0.568, peer: false },
            { label: "broken", value: Number.NaN, peer: false },
          ],
        },
      ],
      "OWA",
    );
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.match(/<rect x=/g)).toHaveLength(2);
    expect(svg.indexOf(">auto<")).toBeLessThan(svg.indexOf(">R ets<"));
    expect(svg).toContain("0.568");
    expect(svg).not.toContain("broken");
    expect(svg).toContain('stroke-dasharray="4 3"');
  });
});
