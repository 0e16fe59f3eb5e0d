import { describe, expect, it } from "vitest";
import { ClairvoyantRateForecaster } from "../../bench/clairvoyant-rate-forecaster.js";

describe("the scaler bench's clairvoyant-rate ceiling", () => {
  const values = Array.from({ length: 40 }, (_, i) => (i === 20 ? Number.NaN : i * 10));
  const trace = { values, stepSeconds: 60, startMs: 1_000_000 };

  it("forecasts the centred mean of the trace from the step after the data it was fitted on", () => {
    const model = new ClairvoyantRateForecaster(trace, 1).fit({
      values: values.slice(5, 12),
      stepSeconds: 60,
      startMs: trace.startMs + 5 * 60_000,
    });
    // Steps 12, 13, 14: centred means of (11, 12, 13)…(13, 14, 15) times 10.
    expect(model.predict(3).mean).toEqual([120, 130, 140]);
    // The gap at step 20 is skipped: step 20's mean is (190 + 210) / 2, step 19's is (180 + 190) / 2.
    expect(model.update(values.slice(12, 19)).predict(2).mean).toEqual([185, 200]);
  });

  it("gives Poisson-like intervals around the rate", () => {
    const model = new ClairvoyantRateForecaster(trace, 0).fit({
      values: values.slice(0, 10),
      stepSeconds: 60,
    });
    const forecast = model.predict(1, { levels: [80] });
    expect(forecast.mean[0]).toBe(100);
    expect(forecast.intervals[0]?.upper[0]).toBeCloseTo(100 + 1.2816 * 10, 3);
  });
});
