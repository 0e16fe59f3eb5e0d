/**
 * A `Retry-After` header as a delay in ms: delta-seconds or an HTTP date (RFC 9110 §10.2.3);
 * `undefined` when absent or unreadable (then the caller's own backoff applies). A date in the past
 * is 0.
 */
export function parseRetryAfter(header: string | null | undefined, nowMs: number): number | undefined {
  if (header === null || header === undefined) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // HTTP dates name the day and month ("Wed, 21 Oct 2015 07:28:00 GMT"); Date.parse takes "-5" too.
  if (!/[a-z]/i.test(trimmed)) return undefined;
  const atMs = Date.parse(trimmed);
  return Number.isFinite(atMs) ? Math.max(0, atMs - nowMs) : undefined;
}
