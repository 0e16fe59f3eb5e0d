import { classicalDecomposition, DecompositionType } from "./classical-decomposition.js";
import { seasonalityTest, type SeasonalityTestOptions } from "./seasonality-test.js";

/** A series divided by its multiplicative seasonal indices, M4-benchmark style. */
export interface MultiplicativeAdjustment {
  /** Whether the series was found seasonal and adjusted. */
  readonly seasonal: boolean;
  /** `values / seasonal` when seasonal, else a copy of `values`. */
  readonly adjusted: number[];
  /**
   * Seasonal indices of the last observed cycle (R's `tail(decompose(x)$seasonal, m)`): step `h`
   * ahead is reseasonalized by `cycleIndices[(h − 1) mod period]`. All ones when not seasonal.
   */
  readonly cycleIndices: number[];
  /** What was decided and why, for model notes. */
  readonly notes: string[];
}

/** Indices this close to zero would blow the adjusted series up; R's `thetaf` refuses them too. */
const MIN_SEASONAL_INDEX = 1e-4;

/**
 * Seasonality test, then classical multiplicative decomposition when seasonal, as the M4 benchmarks
 * (Naive2, SES, Theta) and R's `thetaf` do. Non-positive data or indices near zero leave the series
 * unadjusted, with a note: multiplicative indices are meaningless there. `values` must be finite.
 */
export function multiplicativeAdjustment(
  values: readonly number[],
  period: number,
  testOptions: SeasonalityTestOptions = {},
): MultiplicativeAdjustment {
  const unadjusted = (notes: string[]): MultiplicativeAdjustment => ({
    seasonal: false,
    adjusted: [...values],
    cycleIndices: new Array<number>(period).fill(1),
    notes,
  });
  if (period <= 1) return unadjusted([]);
  const test = seasonalityTest(values, period, testOptions);
  if (!test.seasonal) {
    const why = test.skipped ?? `|r_${period}| ${test.statistic.toFixed(3)} ≤ limit ${test.limit.toFixed(3)}`;
    return unadjusted([`not seasonal at period ${period} (${why}): no seasonal adjustment`]);
  }
  if (values.some((x) => x <= 0)) {
    return unadjusted([
      `seasonal at period ${period} but the series has values ≤ 0: multiplicative adjustment skipped`,
    ]);
  }
  const decomposition = classicalDecomposition(values, period, DecompositionType.multiplicative);
  const indices = decomposition.seasonalIndices;
  if (indices.some((s) => !Number.isFinite(s) || Math.abs(s) < MIN_SEASONAL_INDEX)) {
    return unadjusted([
      `seasonal at period ${period} but an index is below ${MIN_SEASONAL_INDEX}: multiplicative adjustment skipped`,
    ]);
  }
  const n = values.length;
  return {
    seasonal: true,
    adjusted: values.map((x, i) => x / (decomposition.seasonal[i] ?? 1)),
    cycleIndices: decomposition.seasonal.slice(n - period),
    notes: [
      `seasonal at period ${period} (|r_${period}| ${test.statistic.toFixed(3)} > ${test.limit.toFixed(3)}): multiplicative classical adjustment`,
    ],
  };
}
