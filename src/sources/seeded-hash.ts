/**
 * A uniform number in [0, 1) determined only by `seed` and the integer `key`s: the same inputs give
 * the same number in any order of calls, which a sequential PRNG cannot promise. Keys are mixed
 * through a 32-bit avalanche hash (the finaliser of MurmurHash3), so neighbouring keys are unrelated.
 */
export function hashUniform(seed: number, ...keys: readonly number[]): number {
  let hash = mix(seed >>> 0);
  for (const key of keys) {
    // Split keys into 32-bit halves so epoch-sized keys (beyond 2^32) still hash distinctly.
    hash = mix(hash ^ (key >>> 0));
    hash = mix(hash ^ (Math.floor(key / 4294967296) >>> 0) ^ 0x9e3779b9);
  }
  return hash / 4294967296;
}

/** A standard normal draw determined by `seed` and `keys` (Box–Muller on two hashed uniforms). */
export function hashNormal(seed: number, ...keys: readonly number[]): number {
  const u = hashUniform(seed, ...keys, 1);
  const v = hashUniform(seed, ...keys, 2);
  return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v);
}

function mix(value: number): number {
  let h = value >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
