import { describe, expect, it } from "vitest";
import { ModelError, ModelErrorCode } from "../../models/errors.js";
import { EtsForecaster } from "../../models/ets/ets-forecaster.js";
import { etsKernel, etsObjective } from "../../models/ets/ets-recursion.js";
import { fitEts } from "../../models/ets/fit-ets.js";
import { restoreEts } from "../../models/ets/fitted-ets.js";
import { etsInitialStates } from "../../models/ets/ets-initial-states.js";
import type { EtsSpec } from "../../models/ets/ets-spec.js";
import { initialStateGradient } from "../../models/ets/refine-initial-states.js";
import { SeededRandom } from "../../models/math/seeded-random.js";
import type { ModelState } from "../../models/forecaster.js";
import { gaussianNoise, runEts, simulateEts, type EtsProcess } from "../support/ets-simulate.js";

const series = (values: readonly number[]) => ({ values, stepSeconds: 3600 });
const spec = (error: EtsSpec["error"], trend: EtsSpec["trend"], season: EtsSpec["season"]): EtsSpec => ({
  error,
  trend,
  season,
});
const allFinite = (values: readonly number[]): boolean => values.every(Number.isFinite);
const halfWidths = (lower: readonly number[], upper: readonly number[]): number[] =>
  upper.map((u, i) => (u - lower[i]!) / 2);

/** Pattern with a daily-looking shape, mean zero. */
function additivePattern(period: number, amplitude: number): number[] {
  return Array.from({ length: period }, (_, p) => amplitude * Math.sin((2 * Math.PI * p) / period));
}

describe("EtsForecaster: estimation", () => {
  it("recovers the level and slope of a seeded linear trend with noise", () => {
    const slope = 2;
    const n = 150;
    const values = gaussianNoise(n, 3, 11).map((e, t) => 50 + slope * t + e);
    const fitted = new EtsForecaster({ trend: "A" }).fit(series(values));
    const mean = fitted.predict(20).mean;
    for (let h = 1; h < 20; h++) expect(mean[h]! - mean[h - 1]!).toBeCloseTo(slope, 1);
    expect(Math.abs(mean[0]! - (50 + slope * n))).toBeLessThan(3);
  });

  it("recovers a known additive seasonal pattern and chooses an additive season", () => {
    const period = 12;
    const pattern = additivePattern(period, 10);
    const values = gaussianNoise(240, 1, 12).map((e, t) => 100 + pattern[t % period]! + e);
    const fitted = fitEts(values, { period, error: "A" });
    expect(fitted.spec.season).toBe("A");
    expect(fitted.spec.trend).toBe("N");
    const mean = fitted.predict(period).mean;
    const centre = mean.reduce((sum, x) => sum + x, 0) / period;
    expect(centre).toBeCloseTo(100, 0);
    // The forecast starts at phase 240 % 12 = 0, so its shape is the pattern itself.
    mean.forEach((x, h) => {
      expect(Math.abs(x - centre - pattern[h % period]!)).toBeLessThan(1);
    });
  });

  it("chooses a multiplicative season when the seasonal swing grows with the level", () => {
    const period = 12;
    const factors = additivePattern(period, 0.6).map((x) => 1 + x);
    const values = simulateEts(
      {
        spec: spec("M", "A", "M"),
        period,
        alpha: 0.2,
        beta: 0.02,
        gamma: 0.05,
        level: 20,
        slope: 1,
        season: factors,
        sigma: 0.03,
      },
      288,
      13,
    );
    const fitted = fitEts(values, { period });
    expect(fitted.spec.season).toBe("M");
    expect(fitted.name).toMatch(/^ETS\(M,A(d)?,M\)$/);
  });

  it("chooses neither trend nor season for stationary noise", () => {
    const values = gaussianNoise(200, 5, 14).map((e) => 100 + e);
    const fitted = fitEts(values, { period: 12 });
    expect(fitted.spec.trend).toBe("N");
    expect(fitted.spec.season).toBe("N");
    expect(fitted.predict(5).mean.every((x) => Math.abs(x - 100) < 2)).toBe(true);
  });

  it("chooses a trend by AICc on a clearly trending random walk", () => {
    const values = simulateEts(
      { spec: spec("A", "A", "N"), alpha: 0.5, beta: 0.1, level: 10, slope: 1, sigma: 1 },
      200,
      15,
    );
    const fitted = fitEts(values);
    expect(fitted.spec.trend).not.toBe("N");
    expect(fitted.notes.join(" ")).toMatch(/selected ETS\(.,A(d)?,N\) by AICc .* among 6 candidates/);
  });

  it("estimates the smoothing parameters of a simulated ETS(A,N,N) process", () => {
    const values = simulateEts({ spec: spec("A", "N", "N"), alpha: 0.3, level: 50, sigma: 2 }, 1000, 16);
    const fitted = fitEts(values, { error: "A", trend: "N", season: "N" });
    expect(fitted.name).toBe("ETS(A,N,N)");
    expect(fitted.parameters.alpha).toBeGreaterThan(0.22);
    expect(fitted.parameters.alpha).toBeLessThan(0.38);
    expect(Math.sqrt(fitted.sigma2)).toBeCloseTo(2, 0);
  });

  it("fits seasonal periods above 24, which R refuses", () => {
    const period = 48;
    const pattern = additivePattern(period, 20);
    const values = gaussianNoise(period * 6, 2, 17).map((e, t) => 200 + pattern[t % period]! + e);
    const fitted = fitEts(values, { period, candidates: [spec("A", "N", "N"), spec("A", "N", "A")] });
    expect(fitted.name).toBe("ETS(A,N,A)");
    expect(fitted.currentStates.season).toHaveLength(period);
  });

  it("restricts the automatic search to the given candidates", () => {
    const values = gaussianNoise(100, 1, 18).map((e, t) => 10 + 0.1 * t + e);
    const candidates = [spec("A", "N", "N"), spec("A", "Ad", "N")];
    const fitted = fitEts(values, { candidates });
    expect(candidates.map((c) => `ETS(${c.error},${c.trend},${c.season})`)).toContain(fitted.name);
    expect(fitted.notes.join(" ")).toMatch(/among 2 candidates/);
  });
});

describe("EtsForecaster: prediction intervals", () => {
  it("uses the closed-form ETS(A,N,N) variance σ²(1 + α²(h − 1))", () => {
    const values = simulateEts({ spec: spec("A", "N", "N"), alpha: 0.4, level: 10, sigma: 1 }, 300, 21);
    const fitted = fitEts(values, { error: "A", trend: "N", season: "N" });
    const { alpha } = fitted.parameters;
    const interval = fitted.predict(10, { levels: [95] }).intervals[0]!;
    const widths = halfWidths(interval.lower, interval.upper);
    widths.forEach((width, index) => {
      const h = index + 1;
      expect(width / widths[0]!).toBeCloseTo(Math.sqrt(1 + alpha ** 2 * (h - 1)), 9);
    });
    expect(widths[0]).toBeCloseTo(1.959964 * Math.sqrt(fitted.sigma2), 5);
  });

  it("uses the closed-form ETS(A,A,N) variance σ²(1 + (h − 1)(α² + αβh + β²h(2h − 1)/6))", () => {
    const values = simulateEts(
      { spec: spec("A", "A", "N"), alpha: 0.5, beta: 0.2, level: 10, slope: 0.5, sigma: 1 },
      300,
      22,
    );
    const fitted = fitEts(values, { error: "A", trend: "A", season: "N" });
    const { alpha, beta } = fitted.parameters;
    const interval = fitted.predict(12, { levels: [80] }).intervals[0]!;
    const widths = halfWidths(interval.lower, interval.upper);
    widths.forEach((width, index) => {
      const h = index + 1;
      const factor = 1 + (h - 1) * (alpha ** 2 + alpha * beta * h + (beta ** 2 * h * (2 * h - 1)) / 6);
      expect(width / widths[0]!).toBeCloseTo(Math.sqrt(factor), 9);
    });
  });

  it("adds γ to the variance coefficient once per whole season for ETS(A,N,A)", () => {
    const period = 4;
    const values = gaussianNoise(120, 1, 23).map((e, t) => 20 + [3, -1, -4, 2][t % period]! + e);
    const fitted = fitEts(values, { period, error: "A", trend: "N", season: "A" });
    const { alpha, gamma } = fitted.parameters;
    const interval = fitted.predict(9, { levels: [80] }).intervals[0]!;
    const widths = halfWidths(interval.lower, interval.upper);
    let sum = 0;
    widths.forEach((width, index) => {
      const h = index + 1;
      expect(width / widths[0]!).toBeCloseTo(Math.sqrt(1 + sum), 9);
      const c = alpha + (h % period === 0 ? gamma : 0);
      sum += c * c;
    });
  });

  // Intervals ignore parameter uncertainty, so coverage falls short on short histories (for ETS(A,A,N)
  // about 75% at n = 120, 80% at n = 400); the histories here are long enough to test the formulas.
  const coverage = (process: EtsProcess, fitSpec: EtsSpec, replications: number, seed: number, n: number) => {
    const horizon = 8;
    const hits = { 80: 0, 95: 0 };
    let total = 0;
    for (let r = 0; r < replications; r++) {
      const values = simulateEts(process, n + horizon, seed + r);
      const fitted = fitEts(values.slice(0, n), { candidates: [fitSpec] });
      const forecast = fitted.predict(horizon, { levels: [80, 95] });
      for (let h = 0; h < horizon; h++) {
        const actual = values[n + h]!;
        const [i80, i95] = forecast.intervals;
        if (actual >= i80!.lower[h]! && actual <= i80!.upper[h]!) hits[80]++;
        if (actual >= i95!.lower[h]! && actual <= i95!.upper[h]!) hits[95]++;
        total++;
      }
    }
    return { c80: (100 * hits[80]) / total, c95: (100 * hits[95]) / total };
  };

  it("covers close to 80% and 95% of future ETS(A,N,N) observations", () => {
    const { c80, c95 } = coverage(
      { spec: spec("A", "N", "N"), alpha: 0.3, level: 100, sigma: 2 },
      spec("A", "N", "N"),
      300,
      1000,
      120,
    );
    expect(Math.abs(c80 - 80)).toBeLessThan(4);
    expect(Math.abs(c95 - 95)).toBeLessThan(2.5);
  });

  it("covers close to 80% and 95% of future ETS(A,A,N) observations", () => {
    const { c80, c95 } = coverage(
      { spec: spec("A", "A", "N"), alpha: 0.4, beta: 0.1, level: 100, slope: 1, sigma: 2 },
      spec("A", "A", "N"),
      300,
      5000,
      400,
    );
    expect(Math.abs(c80 - 80)).toBeLessThan(4);
    expect(Math.abs(c95 - 95)).toBeLessThan(2.5);
  });

  it("covers close to 80% and 95% with simulated intervals for ETS(M,N,N)", () => {
    const { c80, c95 } = coverage(
      { spec: spec("M", "N", "N"), alpha: 0.3, level: 100, sigma: 0.05 },
      spec("M", "N", "N"),
      200,
      9000,
      120,
    );
    expect(Math.abs(c80 - 80)).toBeLessThan(4);
    expect(Math.abs(c95 - 95)).toBeLessThan(2.5);
  });

  it("simulates intervals reproducibly for multiplicative models, around the analytic mean", () => {
    const period = 6;
    const values = gaussianNoise(120, 0.03, 24).map(
      (e, t) => 50 * [1.3, 1.1, 0.7, 0.6, 0.9, 1.4][t % period]! * (1 + e),
    );
    const fitted = fitEts(values, { period, candidates: [spec("M", "N", "M")] });
    expect(fitted.hasAnalyticIntervals).toBe(false);
    const first = fitted.predict(12);
    const second = fitted.predict(12);
    expect(second).toEqual(first);
    for (const interval of first.intervals) {
      first.mean.forEach((m, h) => {
        expect(interval.lower[h]!).toBeLessThan(m);
        expect(interval.upper[h]!).toBeGreaterThan(m);
      });
    }
    const [i80, i95] = first.intervals;
    first.mean.forEach((_, h) => {
      expect(i95!.upper[h]! - i95!.lower[h]!).toBeGreaterThan(i80!.upper[h]! - i80!.lower[h]!);
    });
  });
});

describe("EtsForecaster: awkward data", () => {
  it("repairs missing values before fitting and says so", () => {
    const values = gaussianNoise(100, 1, 31).map((e, t) => 10 + 0.05 * t + e);
    values[10] = Number.NaN;
    values[11] = Number.NaN;
    values[50] = Number.NaN;
    const forecast = fitEts(values).predict(6);
    expect(allFinite(forecast.mean)).toBe(true);
    expect(forecast.notes.join(" ")).toMatch(/interpolated 3 missing/);
  });

  it("never uses multiplicative components on series with zeros, and says why", () => {
    const period = 6;
    const values = gaussianNoise(120, 0.5, 32).map((e, t) =>
      Math.max(0, 3 + [2, 1, 0, -3, -2, 1][t % period]! + e),
    );
    expect(values).toContain(0);
    const fitted = fitEts(values, { period });
    expect(fitted.spec.error).toBe("A");
    expect(fitted.spec.season).not.toBe("M");
    expect(fitted.notes.join(" ")).toMatch(
      /skipped 9 candidate\(s\): multiplicative components need strictly positive data/,
    );
  });

  it("degrades an explicitly multiplicative model to additive on data with zeros", () => {
    const values = gaussianNoise(60, 1, 33).map((e) => Math.max(0, 2 + e));
    values[5] = 0;
    const fitted = fitEts(values, { error: "M", trend: "N", season: "N" });
    expect(fitted.name).toBe("ETS(A,N,N)");
    expect(fitted.notes.join(" ")).toMatch(/requested ETS\(M,N,N\) not admissible/);
  });

  it("forecasts a constant series flat with zero-width intervals", () => {
    for (const level of [5, 0]) {
      const fitted = fitEts(new Array<number>(50).fill(level), { period: 12 });
      const forecast = fitted.predict(4);
      expect(forecast.mean).toEqual([level, level, level, level]);
      expect(forecast.intervals[0]!.upper).toEqual(forecast.mean);
      expect(forecast.notes.join(" ")).toMatch(/constant/);
    }
  });

  it("forecasts the mean of one or two observations", () => {
    const one = fitEts([7]).predict(3);
    expect(one.model).toBe("mean");
    expect(one.mean).toEqual([7, 7, 7]);
    expect(allFinite(one.intervals[1]!.lower)).toBe(true);
    const two = fitEts([4, 6], { period: 24 }).predict(2);
    expect(two.mean).toEqual([5, 5]);
    expect(two.intervals[0]!.upper[0]!).toBeGreaterThan(5);
    expect(two.notes.join(" ")).toMatch(/fewer than 3: forecasting the mean/);
  });

  it("fits ETS(A,N,N) to a series too short for model selection, and says so", () => {
    const fitted = fitEts([3, 5, 4], { period: 24 });
    const forecast = fitted.predict(2);
    expect(forecast.model).toBe("ETS(A,N,N)");
    expect(allFinite(forecast.mean)).toBe(true);
    expect(allFinite(forecast.intervals[0]!.upper)).toBe(true);
    expect(forecast.notes.join(" ")).toMatch(/fell back to ETS\(A,N,N\)/);
  });

  it("drops seasonal candidates when there are not two whole seasons, and says so", () => {
    const values = gaussianNoise(40, 1, 34).map((e, t) => 10 + [1, -1][t % 2]! + e);
    const fitted = fitEts(values, { period: 24 });
    expect(fitted.spec.season).toBe("N");
    expect(fitted.notes.join(" ")).toMatch(/seasonal components need 52 observations/);
  });

  it("never forecasts NaN or Infinity on awkward series, before or after update()", () => {
    const random = new SeededRandom(61);
    const awkward: number[][] = [
      Array.from({ length: 50 }, (_, i) => i + 1), // a perfect line: zero residual variance
      [0, 0, 0, 1],
      Array.from({ length: 100 }, (_, i) => 1e12 + i * 1e9 * random.normal()),
      Array.from({ length: 100 }, () => -50 + random.normal()),
      Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? 1 : 1000)),
      Array.from({ length: 200 }, (_, i) => (i % 24 < 6 ? 1e-6 : 100) * (1 + 0.1 * random.normal())),
      Array.from({ length: 200 }, (_, i) => (i === 150 ? 1e6 : 10 + random.normal())),
      Array.from({ length: 100 }, (_, i) => Math.exp(i / 10)),
      [Number.NaN, 3, Number.NaN, 4, Number.POSITIVE_INFINITY, 5, 6, 7, 8, 9, Number.NaN],
    ];
    for (let k = 0; k < 20; k++) {
      const length = 1 + Math.floor(random.next() * 150);
      awkward.push(Array.from({ length }, () => (random.next() < 0.2 ? 0 : random.next() * 100)));
    }
    for (const values of awkward) {
      for (const period of [1, 4, 24]) {
        const fitted = fitEts(values, { period });
        for (const model of [fitted, fitted.update([1, Number.NaN, 2])]) {
          const forecast = model.predict(30);
          expect(allFinite(forecast.mean)).toBe(true);
          for (const interval of forecast.intervals) {
            expect(allFinite(interval.lower) && allFinite(interval.upper)).toBe(true);
          }
        }
      }
    }
  });

  it("throws a coded error for a series with no finite value", () => {
    expect(() => fitEts([Number.NaN, Number.NaN])).toThrow(
      expect.objectContaining({ code: ModelErrorCode.insufficientData }),
    );
  });

  it("rejects invalid options with messages naming field, value and rule", () => {
    const cases: [() => unknown, RegExp][] = [
      [() => new EtsForecaster({ period: 0 }), /period \(0\) must be an integer ≥ 1/],
      [() => new EtsForecaster({ period: 1, season: "A" }), /season \(A\) needs period > 1/],
      [() => new EtsForecaster({ period: 12, error: "A", season: "M" }), /error \(A\) with season \(M\)/],
      [() => new EtsForecaster({ candidates: [] }), /candidates must not be empty/],
      [() => new EtsForecaster({ candidates: [spec("A", "N", "M")] }), /candidates\[0\].*excluded/],
      [() => new EtsForecaster({ candidates: [spec("A", "N", "N")], error: "M" }), /no candidate/],
    ];
    for (const [make, message] of cases) {
      expect(make).toThrow(message);
      expect(make).toThrow(ModelError);
    }
    expect(() => fitEts([1, 2, 3, 4, 5, 6, 7, 8]).predict(0)).toThrow(/horizonSteps \(0\)/);
  });
});

describe("FittedEts: state", () => {
  const period = 6;
  const seasonalValues = simulateEts(
    {
      spec: spec("M", "Ad", "M"),
      period,
      alpha: 0.3,
      beta: 0.05,
      gamma: 0.1,
      phi: 0.9,
      level: 100,
      slope: 1,
      season: [1.3, 1.1, 0.7, 0.6, 0.9, 1.4],
      sigma: 0.02,
    },
    150,
    41,
  );

  it("round-trips through JSON and predicts identical forecasts and intervals", () => {
    for (const candidates of [[spec("A", "Ad", "A")], [spec("M", "Ad", "M")]]) {
      const fitted = fitEts(seasonalValues, { period, candidates });
      const restored = restoreEts(JSON.parse(JSON.stringify(fitted.toJSON())) as ModelState);
      expect(restored.name).toBe(fitted.name);
      expect(restored.predict(15, { levels: [50, 80, 99] })).toEqual(
        fitted.predict(15, { levels: [50, 80, 99] }),
      );
    }
  });

  it("refuses to restore a state of another kind or with a broken shape", () => {
    const state = fitEts(seasonalValues, { period }).toJSON();
    expect(() => restoreEts({ kind: "drift", version: 1 })).toThrow(/kind \(drift\) must be "ets"/);
    expect(() => restoreEts({ ...state, period: 0 })).toThrow(/period \(0\)/);
    expect(() => restoreEts({ ...state, current: { ...state.current, season: [1] } })).toThrow(
      expect.objectContaining({ code: ModelErrorCode.invalidState }),
    );
  });

  it("update() advances the states exactly as the ETS equations would over the full series", () => {
    const prefix = 100;
    for (const candidates of [[spec("A", "A", "A")], [spec("M", "Ad", "M")], [spec("A", "N", "N")]]) {
      const fitted = fitEts(seasonalValues.slice(0, prefix), { period, candidates });
      const updated = fitted.update(seasonalValues.slice(prefix));
      const { initialStates, parameters } = fitted;
      const reference = runEts(
        {
          spec: fitted.spec,
          period,
          ...parameters,
          level: initialStates.level,
          slope: initialStates.slope,
          season: initialStates.season,
          sigma: 0,
        },
        seasonalValues.length,
        () => 0,
        seasonalValues,
      );
      expect(updated.currentStates.level).toBeCloseTo(reference.level, 6);
      expect(updated.currentStates.slope).toBeCloseTo(reference.slope, 8);
      updated.currentStates.season.forEach((s, j) => {
        expect(s).toBeCloseTo(reference.season[j]!, 6);
      });
      // The updated forecast is the fitted model's forecast from the new origin.
      const chunked = fitted.update(seasonalValues.slice(prefix, 120)).update(seasonalValues.slice(120));
      expect(chunked.predict(8).mean).toEqual(updated.predict(8).mean);
      expect(fitted.currentStates).not.toEqual(updated.currentStates);
    }
  });

  it("update() treats a missing value as equal to its one-step forecast, and says so", () => {
    const fitted = fitEts(seasonalValues, { period });
    const oneStep = fitted.predict(1).mean[0]!;
    const withGap = fitted.update([Number.NaN, 120]);
    const filled = fitted.update([oneStep, 120]);
    expect(withGap.predict(6).mean).toEqual(filled.predict(6).mean);
    expect(withGap.notes.join(" ")).toMatch(/update replaced 1 missing values by their one-step forecasts/);
  });

  it("update() of the mean fallback keeps a running mean", () => {
    const fitted = fitEts([2, 4]).update([6, Number.NaN, 8]);
    expect(fitted.predict(1).mean[0]).toBeCloseTo(5, 12);
  });
});

describe("ETS internals", () => {
  it("computes exact derivatives of the likelihood with respect to the initial states", () => {
    const period = 6;
    const values = Float64Array.from(seasonalValuesFor(period));
    for (const candidate of [spec("A", "Ad", "A"), spec("M", "A", "M"), spec("M", "N", "A")]) {
      const kernel = etsKernel(candidate, period);
      const start = etsInitialStates(values, candidate, period);
      const parameters = { alpha: 0.4, beta: 0.1, gamma: 0.2, phi: candidate.trend === "Ad" ? 0.9 : 1 };
      const gradient = initialStateGradient(values, kernel, parameters, start);
      const work = new Float64Array(period);
      const objective = (level: number, slope: number, season: Float64Array) =>
        etsObjective(
          values,
          kernel,
          parameters.alpha,
          parameters.beta,
          parameters.gamma,
          parameters.phi,
          level,
          slope,
          season,
          work,
        );
      const trended = candidate.trend !== "N";
      for (let i = 0; i < gradient.length; i++) {
        const step = 1e-5 * (i === 0 ? Math.abs(start.level) : 1);
        const up = Float64Array.from(start.season);
        const down = Float64Array.from(start.season);
        let levelUp = start.level;
        let levelDown = start.level;
        let slopeUp = start.slope;
        let slopeDown = start.slope;
        if (i === 0) {
          levelUp += step;
          levelDown -= step;
        } else if (trended && i === 1) {
          slopeUp += step;
          slopeDown -= step;
        } else {
          const j = i - (trended ? 2 : 1);
          up[j] = up[j]! + step;
          down[j] = down[j]! - step;
        }
        const numeric =
          (objective(levelUp, slopeUp, up) - objective(levelDown, slopeDown, down)) / (2 * step);
        expect(Math.abs(numeric - gradient[i]!)).toBeLessThan(1e-4 * (Math.abs(numeric) + 1));
      }
    }
  });
});

function seasonalValuesFor(period: number): number[] {
  const factors = additivePattern(period, 0.4).map((x) => 1 + x);
  return gaussianNoise(10 * period, 0.05, 51).map((e, t) => (40 + 0.2 * t) * factors[t % period]! * (1 + e));
}
