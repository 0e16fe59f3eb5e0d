const GOLDEN = (Math.sqrt(5) - 1) / 2;

/**
 * Minimises a unimodal function on [low, high] by golden-section search and returns the midpoint of
 * the final bracket. Stops after `maxIterations` or when the bracket is narrower than `tolerance`.
 */
export function goldenSectionMinimum(
  f: (x: number) => number,
  low: number,
  high: number,
  maxIterations: number,
  tolerance = 0,
): number {
  let a = low;
  let b = high;
  let c = b - GOLDEN * (b - a);
  let d = a + GOLDEN * (b - a);
  let fc = f(c);
  let fd = f(d);
  for (let iteration = 0; iteration < maxIterations && b - a > tolerance; iteration++) {
    if (fc <= fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - GOLDEN * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + GOLDEN * (b - a);
      fd = f(d);
    }
  }
  return (a + b) / 2;
}
