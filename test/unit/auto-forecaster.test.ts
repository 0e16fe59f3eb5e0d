import { describe, expect, it } from "vitest";
import { SeasonalNaiveForecaster } from "../../models/baseline/seasonal-naive.js";
import { DriftForecaster } from "../../models/baseline/drift.js";
import { SeededRandom } from "../../models/math/seeded-random.js";
import { AutoForecaster, FittedAuto, restoreAuto } from "../../training/selection/auto-forecaster.js";
import { restoreModel } from "../../training/restore-model.js";

function seasonalSeries(length: number, seed: number): number[] {
  const random = new SeededRandom(seed);
  return Array.from({ length }, (_, i) => 100 + 30 * Math.sin((2 * Math.PI * i) / 24) + 3 * random.normal());
}

function auto(combine = 1): AutoForecaster {
  return new AutoForecaster({
    candidates: [new SeasonalNaiveForecaster(1), new DriftForecaster(), new SeasonalNaiveForecaster(24)],
    fallback: new SeasonalNaiveForecaster(1),
    horizonSteps: 24,
    period: 24,
    combine,
  });
}

describe("AutoForecaster", () => {
  it("selects the seasonal model on a seasonal series by backtest", () => {
    const fitted = auto(1).fit({ values: seasonalSeries(24 * 20, 1), stepSeconds: 3600 });
    expect(fitted.name).toBe("auto[snaive(24)]");
    expect(fitted instanceof FittedAuto && fitted.scores[0]?.name).toBe("snaive(24)");
  });

  it("falls back and says so when the history is too short to backtest", () => {
    const forecast = auto()
      .fit({ values: [5, 6, 7], stepSeconds: 3600 })
      .predict(4);
    expect(forecast.mean).toEqual([7, 7, 7, 7]);
    expect(forecast.notes.join(" ")).toMatch(/fell back to naive/);
  });

  it("calibrates interval widths so that coverage holds on seeded seasonal series", () => {
    let inside80 = 0;
    let inside95 = 0;
    let points = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const values = seasonalSeries(24 * 21, seed);
      const train = values.slice(0, 24 * 20);
      const test = values.slice(24 * 20);
      const forecast = auto(2)
        .fit({ values: train, stepSeconds: 3600 })
        .predict(24, { levels: [80, 95] });
      const [i80, i95] = forecast.intervals;
      test.forEach((y, h) => {
        if (y >= (i80?.lower[h] ?? Infinity) && y <= (i80?.upper[h] ?? -Infinity)) inside80++;
        if (y >= (i95?.lower[h] ?? Infinity) && y <= (i95?.upper[h] ?? -Infinity)) inside95++;
        points++;
      });
    }
    expect(inside80 / points).toBeGreaterThan(0.72);
    expect(inside80 / points).toBeLessThan(0.88);
    expect(inside95 / points).toBeGreaterThan(0.9);
  });

  it("round-trips through JSON and predicts the same", () => {
    const fitted = auto(2).fit({ values: seasonalSeries(24 * 10, 3), stepSeconds: 3600 });
    const restored = restoreAuto(
      JSON.parse(JSON.stringify(fitted.toJSON())) as ReturnType<typeof fitted.toJSON>,
      restoreModel,
    );
    expect(restored.predict(30)).toEqual(fitted.predict(30));
  });

  it("advances every member on update without refitting", () => {
    const values = seasonalSeries(24 * 10, 4);
    const fitted = auto(1).fit({ values: values.slice(0, -24), stepSeconds: 3600 });
    const advanced = fitted.update(values.slice(-24));
    expect(advanced.predict(24).mean).toEqual(values.slice(-24));
  });
});
