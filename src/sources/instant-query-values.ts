/**
 * The finite values of an instant query's answer as `PrometheusDriver.instantQuery` resolves it: one
 * per series of a vector (`InstantVector`s, `{ value: { time, value } }`), or the one value of a scalar
 * (`[time, "value"]`). Anything else — a matrix, a string, an unreadable answer — has none.
 */
export function instantQueryValues(result: unknown): number[] {
  const { resultType, result: items } = record(result);
  if (!Array.isArray(items)) return [];
  if (resultType === "scalar") {
    const value = Number.parseFloat(String(items[1]));
    return Number.isFinite(value) ? [value] : [];
  }
  if (resultType !== "vector") return [];
  const values: number[] = [];
  for (const item of items as unknown[]) {
    const value = record(record(item).value).value;
    if (typeof value === "number" && Number.isFinite(value)) values.push(value);
  }
  return values;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
}
