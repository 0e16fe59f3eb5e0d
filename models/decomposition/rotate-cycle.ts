/** Rotates a cycle forward by `steps`, so index 0 is again the next step's position. */
export function rotateCycle(cycle: readonly number[], steps: number): number[] {
  const length = cycle.length;
  if (length === 0) return [];
  const shift = ((steps % length) + length) % length;
  return [...cycle.slice(shift), ...cycle.slice(0, shift)];
}
