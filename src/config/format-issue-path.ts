/** A zod issue path as a config author writes it (`targets[0].horizons[1]`); `root` when it is empty. */
export function formatIssuePath(path: readonly PropertyKey[], root = "(root)"): string {
  if (path.length === 0) return root;
  return path.reduce<string>(
    (text, key) =>
      typeof key === "number" ? `${text}[${key}]` : text === "" ? String(key) : `${text}.${String(key)}`,
    "",
  );
}
