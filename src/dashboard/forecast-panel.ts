import type { ForecastJson, SeriesJson } from "./api-types.js";
import { createElement } from "./create-element.js";
import { errorMessage, isPageWide } from "./dashboard-api.js";
import { PanelFrame, type TargetPanel, type PanelContext } from "./dashboard-panel.js";
import { formatTime, formatValue } from "./format-value.js";
import { TimeSeriesChart, type ChartSpec } from "./time-series-chart.js";

const ACTUAL = "#1f2937";
const FORECAST = "#2563eb";
/** Band fill per level, widest (palest) last. */
const BAND_FILLS = ["rgba(37, 99, 235, 0.28)", "rgba(37, 99, 235, 0.13)", "rgba(37, 99, 235, 0.07)"];

/** Observed load (history) against the current model's forecast with its interval bands. */
export class ForecastPanel implements TargetPanel {
  private readonly frame = new PanelFrame("forecast", "Load: actual vs forecast");
  private readonly chart: TimeSeriesChart;
  private readonly summary = createElement("p", { class: "panel-summary" });
  private readonly notes = createElement("ul", { class: "panel-notes" });

  constructor() {
    const container = createElement("div", { class: "chart-container" });
    this.frame.body.append(this.summary, container, this.notes);
    this.chart = new TimeSeriesChart(container);
  }

  get element(): HTMLElement {
    return this.frame.element;
  }

  async refresh({ api, target, settings }: PanelContext): Promise<void> {
    const [history, forecast] = await Promise.allSettled([
      api.history(target.name, settings.historyRange),
      api.forecast(target.name, settings.horizon, settings.levels),
    ]);
    for (const outcome of [history, forecast]) {
      if (outcome.status === "rejected" && isPageWide(outcome.reason)) throw outcome.reason;
    }
    const problems = [history, forecast].flatMap((outcome) =>
      outcome.status === "rejected" ? [errorMessage(outcome.reason)] : [],
    );
    if (history.status === "rejected" && forecast.status === "rejected") {
      this.frame.setProblem(problems.join("; "));
      return;
    }
    const historyView = history.status === "fulfilled" ? history.value : undefined;
    const forecastView = forecast.status === "fulfilled" ? forecast.value : undefined;
    this.frame.setProblem(problems.length === 0 ? undefined : problems.join("; "));
    this.frame.setSubtitle(
      forecastView ? `${forecastView.model} v${forecastView.modelVersion}` : (target.model?.modelName ?? ""),
    );
    this.drawSummary(historyView, forecastView, target.unit);
    this.notes.replaceChildren(...(forecastView?.notes ?? []).map((note) => createElement("li", {}, note)));
    const { spec, data } = forecastChart(historyView, forecastView, target.unit);
    this.chart.draw(spec, data);
  }

  showProblem(message: string): void {
    this.frame.setProblem(message);
  }

  dispose(): void {
    this.chart.dispose();
  }

  private drawSummary(
    history: SeriesJson | undefined,
    forecast: ForecastJson | undefined,
    unit: string | undefined,
  ): void {
    const parts: string[] = [];
    const unitText = unit === undefined ? "" : ` ${unit}`;
    const lastIndex = history ? lastPresentIndex(history.values) : -1;
    if (history && lastIndex >= 0) {
      parts.push(
        `Actual ${formatValue(history.values[lastIndex])}${unitText} at ${formatTime(history.timesMs[lastIndex] ?? Number.NaN)}`,
      );
    }
    if (forecast && forecast.mean.length > 0) {
      const end = forecast.mean.length - 1;
      const bands = forecast.intervals
        .map((band) => `${band.level}%: ${formatValue(band.lower[end])}–${formatValue(band.upper[end])}`)
        .join(", ");
      parts.push(
        `forecast ${formatValue(forecast.mean[end])}${unitText} at ${formatTime(forecast.timesMs[end] ?? Number.NaN)}` +
          (bands === "" ? "" : ` (${bands})`),
      );
      parts.push(`computed ${formatTime(forecast.computedAtMs)}`);
    }
    this.summary.textContent = parts.join(" · ");
  }
}

/**
 * Puts history and forecast on one time axis: history values, then the forecast mean and bands,
 * which start at the newest observation so the lines join.
 */
export function forecastChart(
  history: SeriesJson | undefined,
  forecast: ForecastJson | undefined,
  unit: string | undefined,
): { spec: ChartSpec; data: uPlot.AlignedData } {
  const historyTimes = history?.timesMs ?? [];
  const lastHistoryMs =
    historyTimes.length > 0 ? (historyTimes[historyTimes.length - 1] ?? -Infinity) : -Infinity;
  const futureTimes = (forecast?.timesMs ?? []).filter((time) => time > lastHistoryMs);
  const skipped = (forecast?.timesMs.length ?? 0) - futureTimes.length;
  const times = [...historyTimes, ...futureTimes];
  const historyLength = historyTimes.length;
  const actual: (number | null)[] = times.map((_, index) =>
    index < historyLength ? (history?.values[index] ?? null) : null,
  );
  const joinValue = historyLength > 0 ? (actual[historyLength - 1] ?? null) : null;
  const forecastSeries = (values: readonly (number | null)[]): (number | null)[] =>
    times.map((_, index) => {
      if (index < historyLength - 1) return null;
      if (index === historyLength - 1) return joinValue;
      return finiteOrNull(values[index - historyLength + skipped]);
    });

  const intervals = [...(forecast?.intervals ?? [])].sort((a, b) => a.level - b.level);
  const series: uPlot.Series[] = [
    { label: "Actual", stroke: ACTUAL, width: 1.5 },
    { label: "Forecast", stroke: FORECAST, width: 2 },
  ];
  const data: (number | null)[][] = [actual, forecastSeries(forecast?.mean ?? [])];
  const bands: uPlot.Band[] = [];
  intervals.forEach((interval, index) => {
    const fill = BAND_FILLS[Math.min(index, BAND_FILLS.length - 1)] ?? BAND_FILLS[0];
    const lowerIndex = data.length + 1;
    series.push(
      { label: `${interval.level}% low`, stroke: "rgba(37, 99, 235, 0.35)", width: 0.5 },
      { label: `${interval.level}% high`, stroke: "rgba(37, 99, 235, 0.35)", width: 0.5 },
    );
    data.push(forecastSeries(interval.lower), forecastSeries(interval.upper));
    bands.push({ series: [lowerIndex + 1, lowerIndex], fill });
  });
  return {
    spec: { series, bands, height: 300, ...(unit === undefined ? {} : { yLabel: unit }) },
    data: [times.map((time) => time / 1000), ...data] as uPlot.AlignedData,
  };
}

function finiteOrNull(value: number | null | undefined): number | null {
  return value !== undefined && value !== null && Number.isFinite(value) ? value : null;
}

function lastPresentIndex(values: readonly (number | null)[]): number {
  for (let index = values.length - 1; index >= 0; index--) if (values[index] !== null) return index;
  return -1;
}
