import { renderTemplate, templateLabels } from "./label-template.js";

/**
 * An `http-hook` URL as a runbook declares it. Its origin (scheme, host, port) and user info are
 * literal runbook text: alert labels come from whoever can post to the webhook, so they may fill the
 * path, query or fragment (percent-encoded) but never choose where presage sends a request — cloud
 * metadata at 169.254.169.254 or an internal admin API must stay out of their reach.
 */
export interface HookUrlTemplate {
  /** The URL as written, `{{ labels.x }}` placeholders included. */
  readonly template: string;
  /** `https://hooks.example:8443` (default ports omitted), as `URL.origin` spells it. */
  readonly origin: string;
  readonly username: string;
  readonly password: string;
  /** Lower-case, as `URL.hostname` spells it (IPv6 in brackets). */
  readonly hostname: string;
  /** The port requests go to, default ports included (`"443"`). */
  readonly port: string;
}

/** A host (any port) or host:port of an allow-list, normalized. */
export interface AllowedHost {
  readonly hostname: string;
  /** Undefined: any port. */
  readonly port?: string;
}

/** `scheme://authority` at the start of a URL; the authority ends where WHATWG URL ends it. */
const ORIGIN_PART = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#\\]*)/;
/** A `.` or `..` path segment, in any spelling `URL` resolves (`%2e` counts as a dot). */
const DOT_SEGMENT = /^(?:\.|%2e){1,2}$/i;

/**
 * Parses a hook URL template; `rule` says what is wrong (to follow the field and its value). The
 * parts after the origin are checked by rendering every placeholder as `x`.
 */
export function parseHookUrlTemplate(
  template: string,
): { ok: true; url: HookUrlTemplate } | { ok: false; rule: string } {
  const match = ORIGIN_PART.exec(template);
  if (match === null || match[0].includes("{{") || match[0].includes("}}")) {
    return {
      ok: false,
      rule:
        "must spell out its scheme, user info, host and port: {{ labels.* }} may only fill the path, query " +
        "or fragment, since alert labels must never choose where presage sends requests",
    };
  }
  const scheme = (match[1] ?? "").toLowerCase();
  let declared: URL;
  try {
    declared = new URL(`${match[0]}/`);
  } catch {
    return { ok: false, rule: "must be an http(s) URL" };
  }
  if (scheme !== "http" && scheme !== "https") return { ok: false, rule: "must be an http(s) URL" };
  const url: HookUrlTemplate = {
    template,
    origin: declared.origin,
    username: declared.username,
    password: declared.password,
    hostname: declared.hostname,
    port: declared.port === "" ? (scheme === "https" ? "443" : "80") : declared.port,
  };
  const sample = renderHookUrl(url, Object.fromEntries(templateLabels(template).map((name) => [name, "x"])));
  return sample.ok ? { ok: true, url } : { ok: false, rule: "rule" in sample ? sample.rule : "is invalid" };
}

/**
 * Renders a hook URL for an alert: each label value percent-encoded (`encodeURIComponent`, so `/`,
 * `?`, `#`, `@` stay data), then the result re-checked: it must parse, keep the declared origin and
 * user info, and hold no `.`/`..` path segment (a label of `..` would climb the declared path).
 */
export function renderHookUrl(
  url: HookUrlTemplate,
  labels: Readonly<Record<string, string>>,
): { ok: true; text: string } | { ok: false; missing: string[] } | { ok: false; rule: string } {
  const rendered = renderTemplate(url.template, labels, encodeURIComponent);
  if (!rendered.ok) return rendered;
  const text = rendered.text;
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    return { ok: false, rule: "must be an http(s) URL once rendered" };
  }
  if (parsed.origin !== url.origin || parsed.username !== url.username || parsed.password !== url.password) {
    return {
      ok: false,
      rule: `renders to origin ${parsed.origin}, not the runbook's ${url.origin} (refused: the origin is fixed by the runbook)`,
    };
  }
  const rawPath = (ORIGIN_PART.exec(text)?.[0] ?? "").length;
  const path = text.slice(rawPath).split(/[?#]/, 1)[0] ?? "";
  if (path.split(/[/\\]/).some((segment) => DOT_SEGMENT.test(segment))) {
    return {
      ok: false,
      rule: 'must not hold a "." or ".." path segment once rendered (it would leave the declared path)',
    };
  }
  return { ok: true, text };
}

/** Parses an allow-list entry (`hooks.example`, `10.0.0.5:8443`, `[fd00::1]:443`); undefined if invalid. */
export function parseAllowedHost(entry: string): AllowedHost | undefined {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^\s:/?#@[\]\\]+)(?::(\d{1,5}))?$/.exec(entry);
  if (match === null) return undefined;
  const port = match[2];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65_535)) return undefined;
  let hostname: string;
  try {
    hostname = new URL(`http://${match[1] ?? ""}`).hostname;
  } catch {
    return undefined;
  }
  return port === undefined ? { hostname } : { hostname, port: String(Number(port)) };
}

/** Whether an allow-list (entries as {@link parseAllowedHost} reads them) admits the hook's host and port. */
export function hookHostAllowed(url: HookUrlTemplate, allowedHosts: readonly string[]): boolean {
  return allowedHosts.some((entry) => {
    const allowed = parseAllowedHost(entry);
    return (
      allowed !== undefined &&
      allowed.hostname === url.hostname &&
      (allowed.port === undefined || allowed.port === url.port)
    );
  });
}

/**
 * A hook URL template as load errors may show it: literal user info and literal query values hidden
 * (either may carry a token), placeholders kept so the message still points at the problem.
 */
export function shownHookTemplate(template: string): string {
  const [beforeFragment = "", ...fragment] = template.split("#");
  const [head = "", ...query] = beforeFragment.split("?");
  const shownHead = head.replace(
    /^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)([^/\\]*)@/,
    (whole, scheme: string, user: string) => (user.includes("{{") ? whole : `${scheme}…@`),
  );
  const shownQuery = query
    .join("?")
    .split("&")
    .map((pair) => {
      const equals = pair.indexOf("=");
      if (equals < 0) return pair;
      const value = pair.slice(equals + 1);
      return value === "" || value.includes("{{") ? pair : `${pair.slice(0, equals)}=…`;
    })
    .join("&");
  return [query.length === 0 ? shownHead : `${shownHead}?${shownQuery}`, ...fragment].join("#");
}
