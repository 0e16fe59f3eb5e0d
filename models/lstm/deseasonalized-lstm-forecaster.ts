import { cleanValues } from "../cleaning/clean-values.js";
import { mstl } from "../decomposition/mstl.js";
import { rotateCycle } from "../decomposition/rotate-cycle.js";
import { assertHorizon, ModelError, ModelErrorCode } from "../errors.js";
import type { Forecast, PredictOptions } from "../forecast.js";
import type { FittedModel, Forecaster, ModelState } from "../forecaster.js";
import type { Series } from "../series.js";

/** How the seasonal part is taken out: divided (log-additive) when every value is > 0, else subtracted. */
export type SeasonalAdjustment = "multiplicative" | "additive";

/** A series with its MSTL seasonality removed, and the last cycle of each seasonal component. */
export interface DeseasonalizedSeries {
  readonly adjustment: SeasonalAdjustment;
  /** `values / exp(S)` (multiplicative) or `values − S` (additive): level, trend and remainder. */
  readonly adjusted: number[];
  /** Seasonal components (log scale when multiplicative) over the next cycle of each period. */
  readonly cycles: readonly { readonly period: number; readonly cycle: readonly number[] }[];
  readonly notes: readonly string[];
  /** Leading missing values dropped by cleaning (the adjusted series starts that much later). */
  readonly droppedLeading: number;
}

/**
 * Removes the MSTL seasonal components of `periods` from a series (missing values repaired first):
 * on the log scale when every value is positive, so daily and weekly swings proportional to the
 * level come out as factors and the adjusted series keeps the original units.
 */
export function deseasonalize(values: readonly number[], periods: readonly number[]): DeseasonalizedSeries {
  const cleaned = cleanValues(values);
  const n = cleaned.values.length;
  const multiplicative = n > 0 && cleaned.values.every((x) => x > 0);
  const base = multiplicative ? cleaned.values.map(Math.log) : cleaned.values;
  const decomposition =
    n === 0
      ? { seasonals: [], notes: [] as string[] }
      : mstl(base, { periods: periods.filter((p) => Number.isInteger(p) && p >= 2) });
  const seasonal = new Array<number>(n).fill(0);
  for (const component of decomposition.seasonals) {
    component.values.forEach((s, i) => {
      seasonal[i] = (seasonal[i] ?? 0) + s;
    });
  }
  const adjusted = cleaned.values.map((x, i) =>
    multiplicative ? x / Math.exp(seasonal[i] ?? 0) : x - (seasonal[i] ?? 0),
  );
  return {
    adjustment: multiplicative ? "multiplicative" : "additive",
    adjusted,
    cycles: decomposition.seasonals.map(({ period, values: component }) => ({
      period,
      cycle: component.slice(n - period),
    })),
    notes: [
      ...cleaned.notes,
      ...decomposition.notes,
      ...(multiplicative ? [] : ["values ≤ 0 present: additive seasonal adjustment"]),
    ],
    droppedLeading: cleaned.droppedLeading,
  };
}

/** Settings of {@link DeseasonalizedLstmForecaster}. */
export interface DeseasonalizedLstmOptions {
  /** Seasonal periods taken out by MSTL before the network sees the series, e.g. `[24, 168]`. */
  readonly periods: readonly number[];
  /**
   * Forecaster of the seasonally adjusted series: an `LstmForecaster` (or a `GlobalLstmForecaster`
   * whose pool was adjusted the same way, see {@link deseasonalize}), configured without a seasonal
   * skip (`period` 1).
   */
  readonly adjustedModel: Forecaster;
}

export interface DeseasonalizedLstmState extends ModelState {
  readonly kind: "mstl-lstm";
  readonly adjustment: SeasonalAdjustment;
  readonly cycles: DeseasonalizedSeries["cycles"];
  readonly adjusted: ModelState;
  readonly notes: readonly string[];
}

/**
 * Hybrid in the spirit of the M4 winner (ES-RNN, Smyl 2020): a statistical decomposition carries the
 * seasonality and the network learns the rest. MSTL removes the daily/weekly cycles (as factors when
 * the series is positive); the LSTM, with its per-window level scaling, forecasts the adjusted series;
 * the last seasonal cycles, repeated, are put back on its forecast and intervals.
 */
export class DeseasonalizedLstmForecaster implements Forecaster {
  readonly name = "mstl-lstm";
  readonly capabilities;

  constructor(private readonly options: DeseasonalizedLstmOptions) {
    if (options.periods.length === 0) {
      throw new ModelError(ModelErrorCode.invalidOption, "periods must name at least one seasonal period");
    }
    this.capabilities = options.adjustedModel.capabilities;
  }

  fit(series: Series): FittedModel {
    const result = deseasonalize(series.values, this.options.periods);
    const startMs =
      series.startMs === undefined
        ? undefined
        : series.startMs + result.droppedLeading * series.stepSeconds * 1000;
    const adjusted = this.options.adjustedModel.fit({
      values: result.adjusted,
      stepSeconds: series.stepSeconds,
      ...(startMs === undefined ? {} : { startMs }),
    });
    return new FittedDeseasonalizedLstm(
      {
        kind: "mstl-lstm",
        version: 1,
        adjustment: result.adjustment,
        cycles: result.cycles,
        adjusted: adjusted.toJSON(),
        notes: result.notes,
      },
      adjusted,
    );
  }
}

export class FittedDeseasonalizedLstm implements FittedModel {
  readonly name: string;
  readonly notes: readonly string[];

  constructor(
    private readonly state: DeseasonalizedLstmState,
    private readonly adjusted: FittedModel,
  ) {
    const periods = state.cycles.map((c) => c.period).join(",");
    this.name = `mstl(${periods}${state.adjustment === "multiplicative" ? ";log" : ""})+${adjusted.name}`;
    this.notes = [...state.notes, ...adjusted.notes];
  }

  predict(horizonSteps: number, options: PredictOptions = {}): Forecast {
    assertHorizon(horizonSteps);
    const seasonal = this.seasonalForecast(horizonSteps);
    const base = this.adjusted.predict(horizonSteps, options);
    const put = (series: readonly number[]): number[] =>
      series.map((x, h) =>
        this.state.adjustment === "multiplicative" ? x * Math.exp(seasonal[h] ?? 0) : x + (seasonal[h] ?? 0),
      );
    return {
      model: this.name,
      mean: put(base.mean),
      // Multiplying by a positive factor (or adding) keeps each bound a quantile of the same level.
      intervals: base.intervals.map((interval) => ({
        level: interval.level,
        lower: put(interval.lower),
        upper: put(interval.upper),
      })),
      notes: this.notes,
    };
  }

  /** Sum of the seasonal components over the next `horizonSteps` steps. */
  private seasonalForecast(horizonSteps: number): number[] {
    const out = new Array<number>(horizonSteps).fill(0);
    for (const { period, cycle } of this.state.cycles) {
      for (let h = 0; h < horizonSteps; h++) out[h] = (out[h] ?? 0) + (cycle[h % period] ?? 0);
    }
    return out;
  }

  /**
   * Seasonal components are not re-estimated: new values are adjusted with the projected cycles and
   * passed to the network's `update`, and the cycles roll forward.
   */
  update(newValues: readonly number[]): FittedModel {
    if (newValues.length === 0) return this;
    const seasonal = this.seasonalForecast(newValues.length);
    const adjusted = this.adjusted.update(
      newValues.map((x, i) =>
        this.state.adjustment === "multiplicative"
          ? x > 0
            ? x / Math.exp(seasonal[i] ?? 0)
            : Number.NaN
          : x - (seasonal[i] ?? 0),
      ),
    );
    return new FittedDeseasonalizedLstm(
      {
        ...this.state,
        cycles: this.state.cycles.map(({ period, cycle }) => ({
          period,
          cycle: rotateCycle(cycle, newValues.length),
        })),
        adjusted: adjusted.toJSON(),
      },
      adjusted,
    );
  }

  toJSON(): DeseasonalizedLstmState {
    return this.state;
  }
}

/** Rebuilds the hybrid; `restoreAdjusted` rebuilds the nested network model (or its fallback). */
export function restoreDeseasonalizedLstm(
  state: ModelState,
  restoreAdjusted: (state: ModelState) => FittedModel,
): FittedDeseasonalizedLstm {
  const candidate = state as Partial<Record<keyof DeseasonalizedLstmState, unknown>>;
  const cycles = candidate.cycles;
  const valid =
    state.kind === "mstl-lstm" &&
    (candidate.adjustment === "multiplicative" || candidate.adjustment === "additive") &&
    Array.isArray(cycles) &&
    cycles.every((c: Partial<Record<"period" | "cycle", unknown>>) => {
      const { period, cycle } = c;
      return (
        typeof period === "number" &&
        Number.isInteger(period) &&
        Array.isArray(cycle) &&
        cycle.length === period
      );
    }) &&
    typeof candidate.adjusted === "object" &&
    candidate.adjusted !== null;
  if (!valid) throw new ModelError(ModelErrorCode.invalidState, "not an mstl-lstm state");
  const full = state as DeseasonalizedLstmState;
  return new FittedDeseasonalizedLstm(
    { ...full, notes: Array.isArray(candidate.notes) ? full.notes : [] },
    restoreAdjusted(full.adjusted),
  );
}
