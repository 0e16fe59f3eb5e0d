import { ModelError, ModelErrorCode } from "../errors.js";
import { stl, type StlOptions } from "./stl.js";

/** Settings of {@link mstl}, defaulted as R's `forecast::mstl`. */
export interface MstlOptions {
  /** Seasonal periods in steps, e.g. `[24, 168]` for hourly data; integers ≥ 2, any order. */
  readonly periods: readonly number[];
  /**
   * Passes over all periods; each pass re-estimates every seasonal component in turn.
   * @defaultValue `2`
   */
  readonly iterations?: number;
  /**
   * STL seasonal window per period, shortest period first; the last one repeats for further periods.
   * @defaultValue `[11, 15, 19, 23, 27, 31]` (R's `7 + 4 · seq(6)`)
   */
  readonly seasonalWindows?: readonly (number | "periodic")[];
  /**
   * Further STL settings shared by every period (windows other than seasonal, robustness).
   * @defaultValue R's `stl` defaults
   */
  readonly stl?: Omit<StlOptions, "period" | "seasonalWindow">;
}

/** One seasonal component of an {@link MstlDecomposition}. */
export interface MstlSeasonalComponent {
  readonly period: number;
  readonly values: number[];
}

/** Result of {@link mstl}; every array is as long as the input. */
export interface MstlDecomposition {
  /** Trend of the last STL fit (the smooth part of the seasonally adjusted series). */
  readonly trend: number[];
  /** Seasonal components for the periods kept, shortest period first. */
  readonly seasonals: MstlSeasonalComponent[];
  /** `values − trend − Σ seasonals`. */
  readonly remainder: number[];
  /** Periods dropped because the series holds two full cycles of them or fewer. */
  readonly droppedPeriods: number[];
  /** Remarks (dropped periods) for model notes. */
  readonly notes: string[];
}

/** R's default `s.window = 7 + 4 · seq(6)`. */
export const MSTL_DEFAULT_SEASONAL_WINDOWS: readonly number[] = [11, 15, 19, 23, 27, 31];

/**
 * MSTL, multiple seasonal-trend decomposition by loess (Bandara, Hyndman & Bergmeir 2021), as R's
 * `forecast::mstl`: periods ascending, periods with no more than two full cycles in the data dropped,
 * then `iterations` passes in which each seasonal component is re-estimated by STL on the series
 * minus all other components; trend from the last STL. With no period left the trend is the series
 * itself and the remainder zero (R smooths with `supsmu` instead: not needed by forecasters, which
 * only use trend + remainder). `values` must be finite.
 */
export function mstl(values: readonly number[], options: MstlOptions): MstlDecomposition {
  const n = values.length;
  for (const period of options.periods) {
    if (!Number.isInteger(period) || period < 2) {
      throw new ModelError(
        ModelErrorCode.invalidOption,
        `periods contains ${period}; each must be an integer ≥ 2`,
      );
    }
  }
  if (!values.every(Number.isFinite)) {
    throw new ModelError(ModelErrorCode.invalidOption, "values must be finite for MSTL (clean them first)");
  }
  const iterations = options.iterations ?? 2;
  if (!Number.isInteger(iterations) || iterations < 1) {
    throw new ModelError(ModelErrorCode.invalidOption, `iterations (${iterations}) must be an integer ≥ 1`);
  }
  const windows = options.seasonalWindows ?? MSTL_DEFAULT_SEASONAL_WINDOWS;
  if (windows.length === 0) {
    throw new ModelError(ModelErrorCode.invalidOption, "seasonalWindows must not be empty");
  }
  const unique = [...new Set(options.periods)].sort((a, b) => a - b);
  const periods = unique.filter((period) => 2 * period < n);
  const droppedPeriods = unique.filter((period) => 2 * period >= n);
  const notes =
    droppedPeriods.length > 0
      ? [`dropped period(s) ${droppedPeriods.join(", ")}: ${n} points hold no more than two full cycles`]
      : [];

  const seasonals = periods.map((period) => ({ period, values: new Array<number>(n).fill(0) }));
  const deseasonalized = [...values];
  let trend = [...values];
  for (let pass = 0; pass < iterations; pass++) {
    seasonals.forEach((component, index) => {
      for (let i = 0; i < n; i++) deseasonalized[i] = (deseasonalized[i] ?? 0) + (component.values[i] ?? 0);
      const fit = stl(deseasonalized, {
        ...options.stl,
        period: component.period,
        seasonalWindow: windows[Math.min(index, windows.length - 1)] ?? "periodic",
      });
      component.values = fit.seasonal;
      trend = fit.trend;
      for (let i = 0; i < n; i++) deseasonalized[i] = (deseasonalized[i] ?? 0) - (fit.seasonal[i] ?? 0);
    });
  }
  const remainder = deseasonalized.map((x, i) => x - (trend[i] ?? 0));
  return { trend, seasonals, remainder, droppedPeriods, notes };
}
