import type { z } from "zod";

/**
 * Adds an issue `duplicates "<name>"` at `[list, index, "name"]` for every item whose key an earlier
 * item (or `seen`) already has. Keys default to names; pass `keyOf` when uniqueness is wider (e.g. name
 * and resource). Returns the keys seen, so several lists can share one namespace.
 */
export function addDuplicateNameIssues<T extends { readonly name: string }>(
  context: z.RefinementCtx,
  list: string,
  items: readonly T[],
  options: { readonly keyOf?: (item: T) => string; readonly seen?: Set<string> } = {},
): Set<string> {
  const seen = options.seen ?? new Set<string>();
  items.forEach((item, index) => {
    const key = options.keyOf?.(item) ?? item.name;
    if (seen.has(key)) {
      context.addIssue({
        code: "custom",
        path: [list, index, "name"],
        input: item.name,
        message: `duplicates "${item.name}"`,
      });
    }
    seen.add(key);
  });
  return seen;
}
