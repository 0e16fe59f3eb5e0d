import { formatTime, formatValue } from "./format-value.js";

/** A vertical line across the plot at one instant, labelled (e.g. a runway crossing date). */
export interface ChartMarker {
  readonly atMs: number;
  readonly label: string;
  readonly color: string;
}

/** What a chart draws, apart from its data. */
export interface ChartSpec {
  /** The y series (uPlot series options, without the x series). */
  readonly series: readonly uPlot.Series[];
  /** Filled bands between two series, by their index counted with the x series as 0. */
  readonly bands?: readonly uPlot.Band[];
  /** Plot height in CSS pixels. @defaultValue 260 */
  readonly height?: number;
  /** Caption of the y axis, e.g. the unit. */
  readonly yLabel?: string;
  /** Lowest y to show (replica counts start at 0). */
  readonly yMin?: number;
  /** Called with the data index the legend shows: the cursor's, or the newest when the cursor is away. */
  readonly onLegendIndex?: (index: number) => void;
  /** Vertical marker lines with labels, drawn over the series. @defaultValue none */
  readonly markers?: readonly ChartMarker[];
  /** How the legend shows the x value under the cursor. @defaultValue `formatTime` (date and time) */
  readonly formatX?: (epochMs: number) => string;
}

/**
 * A uPlot time-series chart in a container that follows its width. The legend always shows
 * numbers: at rest the newest value of each series (uPlot would show "--" without a cursor), while
 * hovering the values under the cursor. The container's `data-points` attribute says how many x
 * values were drawn last, for tests and for people inspecting the page.
 */
export class TimeSeriesChart {
  private plot: uPlot | undefined;
  private specKey = "";
  private spec: ChartSpec | undefined;
  private readonly resizeObserver: ResizeObserver;

  constructor(private readonly container: HTMLElement) {
    this.container.classList.add("chart");
    this.resizeObserver = new ResizeObserver(() => {
      const width = this.width();
      if (this.plot && Math.abs(this.plot.width - width) > 1) {
        this.plot.setSize({ width, height: this.plot.height });
      }
    });
    this.resizeObserver.observe(this.container);
  }

  /** Draws `data` (x in epoch seconds first, then one array per series), re-creating the plot if the series changed. */
  draw(spec: ChartSpec, data: uPlot.AlignedData): void {
    this.spec = spec;
    const key = JSON.stringify([spec.series.map((series) => series.label), spec.bands?.length ?? 0]);
    if (this.plot === undefined || key !== this.specKey) {
      this.plot?.destroy();
      this.plot = new uPlot(this.options(spec), data, this.container);
      this.specKey = key;
    } else {
      this.plot.setData(data);
    }
    this.showNewest(this.plot);
    this.container.dataset.points = String(data[0].length);
    this.container.dataset.markers = (spec.markers ?? []).map((marker) => marker.label).join("; ");
  }

  dispose(): void {
    this.resizeObserver.disconnect();
    this.plot?.destroy();
    this.plot = undefined;
  }

  private width(): number {
    return Math.max(240, Math.floor(this.container.clientWidth));
  }

  private options(spec: ChartSpec): uPlot.Options {
    const cursorActive = (plot: uPlot): boolean => plot.cursor.left !== undefined && plot.cursor.left >= 0;
    return {
      width: this.width(),
      height: spec.height ?? 260,
      series: [
        {
          label: "Time",
          // uPlot passes null (despite its types) when no point is under the cursor.
          value: (plot: uPlot, seconds: number | null) =>
            cursorActive(plot) && seconds !== null ? (spec.formatX ?? formatTime)(seconds * 1000) : "newest",
        },
        ...spec.series.map((series) => ({
          value: (_plot: uPlot, value: number | null) => formatValue(value),
          ...series,
        })),
      ],
      ...(spec.bands ? { bands: [...spec.bands] } : {}),
      scales: {
        x: {
          time: true,
          // One point would otherwise span years; show it with five minutes either side.
          range: (_plot, min, max): uPlot.Range.MinMax => (min === max ? [min - 300, max + 300] : [min, max]),
        },
        ...(spec.yMin === undefined
          ? {}
          : {
              y: {
                range: (_plot, min, max): uPlot.Range.MinMax => [
                  Math.min(spec.yMin ?? 0, min),
                  max <= (spec.yMin ?? 0) ? (spec.yMin ?? 0) + 1 : max * 1.08,
                ],
              },
            }),
      },
      axes: [
        // Room for labels such as "10:35am" so that they never run into each other.
        { space: 70 },
        {
          size: 64,
          ...(spec.yLabel === undefined ? {} : { label: spec.yLabel, labelSize: 18 }),
          values: (_plot, splits) => splits.map((split) => formatValue(split)),
        },
      ],
      legend: { live: true },
      cursor: { drag: { x: true, y: false } },
      hooks: {
        draw: [
          (plot) => {
            this.drawMarkers(plot);
          },
        ],
        setLegend: [
          (plot) => {
            if (plot.legend.idx === null || plot.legend.idx === undefined || !cursorActive(plot)) {
              this.showNewest(plot);
            } else {
              this.spec?.onLegendIndex?.(plot.legend.idx);
            }
          },
        ],
      },
    };
  }

  /** Draws the spec's markers: a dashed vertical line each, its label beside the line at the top. */
  private drawMarkers(plot: uPlot): void {
    const markers = this.spec?.markers ?? [];
    if (markers.length === 0) return;
    const ratio = uPlot.pxRatio;
    const { ctx } = plot;
    const { left, top, width, height } = plot.bbox;
    ctx.save();
    ctx.font = `${Math.round(11 * ratio)}px system-ui, sans-serif`;
    ctx.textBaseline = "top";
    // uPlot leaves its axes' alignment on the context; labels are placed from their left edge.
    ctx.textAlign = "left";
    ctx.lineWidth = ratio;
    markers.forEach((marker, index) => {
      const x = Math.round(plot.valToPos(marker.atMs / 1000, "x", true));
      if (!(x >= left && x <= left + width)) return;
      ctx.strokeStyle = marker.color;
      ctx.fillStyle = marker.color;
      ctx.setLineDash([4 * ratio, 3 * ratio]);
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + height);
      ctx.stroke();
      ctx.setLineDash([]);
      // Labels stack so that two crossings on nearby days stay readable; near the right edge they
      // go on the left of their line.
      const textWidth = ctx.measureText(marker.label).width;
      const gap = 4 * ratio;
      const textX = x + gap + textWidth > left + width ? x - gap - textWidth : x + gap;
      ctx.fillText(marker.label, textX, top + (4 + index * 14) * ratio);
    });
    ctx.restore();
  }

  /** Puts each series' newest non-missing value in the legend (without re-firing the hook). */
  private showNewest(plot: uPlot): void {
    const idxs = plot.data.map((values, seriesIndex) => {
      const last = values.length - 1;
      if (seriesIndex === 0) return last < 0 ? null : last;
      for (let index = last; index >= 0; index--) {
        const value = values[index];
        if (value !== null && value !== undefined) return index;
      }
      return null;
    });
    plot.setLegend({ idxs }, false);
    const newest = plot.data[0].length - 1;
    if (newest >= 0) this.spec?.onLegendIndex?.(newest);
  }
}
