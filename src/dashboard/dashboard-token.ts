const STORAGE_KEY = "presage.apiToken";

/**
 * The API token for this tab. `presage serve` prints a link carrying it in the URL fragment
 * (`#token=…`), which browsers never send to servers; it is moved to sessionStorage (gone when the
 * tab closes) and removed from the address bar and history at once, so it does not linger in
 * bookmarks or screenshots. Returns undefined when there is none yet.
 */
export function takeDashboardToken(): string | undefined {
  const fragment = new URLSearchParams(location.hash.replace(/^#/, ""));
  const fromFragment = fragment.get("token");
  if (fromFragment !== null) {
    fragment.delete("token");
    const rest = fragment.toString();
    history.replaceState(null, "", `${location.pathname}${location.search}${rest === "" ? "" : `#${rest}`}`);
    if (fromFragment.trim() !== "") {
      storeDashboardToken(fromFragment.trim());
      return fromFragment.trim();
    }
  }
  return readStored();
}

export function storeDashboardToken(token: string): void {
  try {
    sessionStorage.setItem(STORAGE_KEY, token);
  } catch {
    // Storage disabled (some private modes): the token then lives only as long as the page.
  }
}

export function forgetDashboardToken(): void {
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // Nothing stored, nothing to forget.
  }
}

function readStored(): string | undefined {
  try {
    const stored = sessionStorage.getItem(STORAGE_KEY);
    return stored === null || stored === "" ? undefined : stored;
  } catch {
    return undefined;
  }
}
