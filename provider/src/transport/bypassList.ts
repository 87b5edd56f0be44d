/**
 * WinHTTP's proxy bypass list (WINHTTP_PROXY_INFO lpszProxyBypass; `netsh winhttp set proxy ... bypass-list=`), parsed
 * once and matched without regular expressions: the list comes from the user (`proxy.bypass`, `--proxy-bypass`), and a
 * pattern turned into a regular expression costs time exponential in its `*`s (`*a*a*a*a*a*a*a*a*b`).
 *
 * Semantics: entries separated by `;` (WinHTTP also takes whitespace), matched case-insensitively against the host
 * name as written in the URL (no DNS); `*` matches any run of characters, dots included; `<local>` matches any host
 * name without a dot ("intranet" names, `localhost` among them, not 127.0.0.1); an entry with ":port" matches that port
 * only. A leading "http://" or "https://" on an entry restricts it to that scheme in WinINet; we accept and ignore it.
 */
import { isIP } from "node:net";
import { ConfigurationError } from "../errors.js";

/**
 * The longest entry: 255 characters. A host name is at most 253 characters in text form (RFC 1035 2.3.4, RFC 2181
 * 11), so a longer pattern can only be a mistake (a pasted file, a missing separator).
 */
export const MAX_BYPASS_ENTRY_LENGTH = 255;

/**
 * The most entries: 1,000. Real lists hold a handful to a few dozen names; 1,000 keeps the list under 256 KB and the
 * worst match of one host against the whole list (every entry an adversarial `*a*a*...` of maximal length, each
 * matched in O(pattern x host) by `globMatch`) in the low milliseconds, once per connection.
 */
export const MAX_BYPASS_ENTRIES = 1000;

export type BypassEntry =
  | { readonly kind: "local" }
  | { readonly kind: "pattern"; readonly pattern: string; readonly port: number | undefined };

const FIX = 'give a WinHTTP-style list such as "<local>;*.corp.example;10.0.0.5:5985"';

function isBlank(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0b || c === 0x0c;
}

/** WinHTTP's separators: `;` and white space. */
export function isBypassSeparator(c: number): boolean {
  return c === 0x3b || isBlank(c);
}

/** curl's NO_PROXY separators: `,` and white space. */
export function isNoProxySeparator(c: number): boolean {
  return c === 0x2c || isBlank(c);
}

/**
 * The entries of a bypass list (or, with isNoProxySeparator, of NO_PROXY), lower case, each as written (scheme and
 * port still on). Throws ConfigurationError naming `field` when an entry is longer than MAX_BYPASS_ENTRY_LENGTH or there are more than MAX_BYPASS_ENTRIES; the
 * message says which entry and how long it is, never its text.
 */
export function splitBypassList(list: string, field = "proxy.bypass", isSeparator: (c: number) => boolean = isBypassSeparator): string[] {
  const out: string[] = [];
  let i = 0;
  const n = list.length;
  while (i < n) {
    while (i < n && isSeparator(list.charCodeAt(i))) i++;
    if (i >= n) break;
    const start = i;
    while (i < n && !isSeparator(list.charCodeAt(i))) i++;
    if (i - start > MAX_BYPASS_ENTRY_LENGTH) {
      throw new ConfigurationError(
        field,
        `entry ${out.length + 1} is ${i - start} characters long; an entry is at most ${MAX_BYPASS_ENTRY_LENGTH} ` +
          `(a host name is at most 253). Separate entries with ";"; ${FIX}`,
      );
    }
    if (out.length === MAX_BYPASS_ENTRIES) {
      throw new ConfigurationError(field, `has more than ${MAX_BYPASS_ENTRIES} entries; use wildcards or domain suffixes such as "*.corp.example"; ${FIX}`);
    }
    out.push(list.slice(start, i).toLowerCase());
  }
  return out;
}

/** Host without IPv6 brackets and a trailing root dot, lower case. */
export function bareHost(host: string): string {
  let start = 0;
  let end = host.length;
  if (host.startsWith("[")) start = 1;
  if (end > start && host.endsWith("]")) end--;
  if (end > start && host.charCodeAt(end - 1) === 0x2e) end--;
  return host.slice(start, end).toLowerCase();
}

function isDigits(s: string): boolean {
  if (s === "") return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** "host:port", "[v6]:port", "[v6]", "v6" (more than one colon, no brackets: no port). */
export function splitHostPort(entry: string): { host: string; port: number | undefined } {
  if (entry.startsWith("[")) {
    const close = entry.indexOf("]");
    if (close > 1) {
      const rest = entry.slice(close + 1);
      if (rest === "") return { host: entry.slice(1, close), port: undefined };
      if (rest.startsWith(":") && isDigits(rest.slice(1))) return { host: entry.slice(1, close), port: Number(rest.slice(1)) };
    }
  }
  const colon = entry.indexOf(":");
  if (colon > 0 && colon === entry.lastIndexOf(":") && isDigits(entry.slice(colon + 1))) {
    return { host: entry.slice(0, colon), port: Number(entry.slice(colon + 1)) };
  }
  return { host: entry, port: undefined };
}

/** Parse a bypass list into entries ready to match (bounds as splitBypassList). */
export function parseBypassList(list: string, field = "proxy.bypass"): BypassEntry[] {
  return splitBypassList(list, field).map((raw): BypassEntry => {
    if (raw === "<local>") return { kind: "local" };
    let entry = raw;
    if (entry.startsWith("http://")) entry = entry.slice(7);
    else if (entry.startsWith("https://")) entry = entry.slice(8);
    const p = splitHostPort(entry);
    return { kind: "pattern", pattern: bareHost(p.host), port: p.port };
  });
}

/**
 * Whether `value` matches `pattern`, where `*` matches any run of characters (none included) and every other character
 * itself. No regular expression: the literal pieces between the `*`s must appear in order, the first at the start and
 * the last at the end, and taking each middle piece at its leftmost place is always right (a later place only leaves
 * less room for the rest). Time O(pattern x value) at worst, through indexOf; no backtracking.
 */
export function globMatch(pattern: string, value: string): boolean {
  const star = pattern.indexOf("*");
  if (star < 0) return pattern === value;
  const pieces = pattern.split("*");
  const first = pieces[0] ?? "";
  const last = pieces[pieces.length - 1] ?? "";
  if (first.length + last.length > value.length) return false;
  if (!value.startsWith(first) || !value.endsWith(last)) return false;
  let pos = first.length;
  const limit = value.length - last.length;
  for (let k = 1; k < pieces.length - 1; k++) {
    const piece = pieces[k] ?? "";
    if (piece === "") continue;
    const at = value.indexOf(piece, pos);
    if (at < 0 || at + piece.length > limit) return false;
    pos = at + piece.length;
  }
  return true;
}

/** Whether one parsed entry sends `host:port` direct. `host` as in the URL (brackets allowed). */
export function bypassEntryMatches(entry: BypassEntry, host: string, port: number): boolean {
  const h = bareHost(host);
  if (entry.kind === "local") return !h.includes(".") && isIP(h) === 0;
  if (entry.port !== undefined && entry.port !== port) return false;
  return globMatch(entry.pattern, h);
}

/** Whether any entry of `list` sends `host:port` direct. Throws ConfigurationError (field `field`) on a list too long. */
export function matchesBypassList(host: string, port: number, list: string, field = "proxy.bypass"): boolean {
  return parseBypassList(list, field).some((e) => bypassEntryMatches(e, host, port));
}
