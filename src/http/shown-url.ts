/** Options of {@link shownUrl}. */
export interface ShownUrlOptions {
  /**
   * Leave out the query and fragment, and cut a path longer than 48 characters to its first 24 and
   * `…` (a Slack webhook URL carries its secret in the path). @defaultValue false
   */
  readonly compact?: boolean;
}

/**
 * A URL as logs, errors, timelines and notifications may show it: no user info, every query value
 * `…` (either may carry a token: `https://hooks.example/x?token=…`); `(invalid URL)` when it does not
 * parse. The one redactor for every URL presage prints.
 */
export function shownUrl(url: string, options: ShownUrlOptions = {}): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "(invalid URL)";
  }
  parsed.username = "";
  parsed.password = "";
  for (const key of [...new Set(parsed.searchParams.keys())]) parsed.searchParams.set(key, "…");
  if (options.compact === true) {
    parsed.search = "";
    parsed.hash = "";
    if (parsed.pathname.length > 48) parsed.pathname = `${parsed.pathname.slice(0, 24)}…`;
  }
  // What it was before one redactor served all: hook targets (and so cooldown keys) keep their form.
  return parsed.toString().replace(/%E2%80%A6/g, "…");
}
