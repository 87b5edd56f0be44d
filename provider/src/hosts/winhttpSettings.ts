/**
 * The host's WinHTTP default proxy, read and compared without depending on the host's display language.
 *
 * `netsh winhttp show proxy` and `proxycfg` print localized labels (French, Russian, Spanish, Italian ... Windows),
 * so the live setting is read from the registry value both tools write:
 * `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings\Connections\WinHttpSettings` (REG_BINARY), whose
 * hex dump `reg query` prints the same in every locale.
 *
 * Blob layout (undocumented, reverse-engineered; little-endian):
 *   0      u32  format version, undocumented: 0x18 in the value Windows ships (KB4494447) and as proxycfg and the
 *                older netsh write it, 0x28 as netsh writes it on Windows 10 / Server 2016 and later (the sources are
 *                listed in provider/src/testing/host/winhttpSettingsWriter.ts); the reader accepts any value and
 *                trusts the lengths
 *   4      u32  undocumented; 0 in the shipped value (KB4494447); read as a change counter
 *   8      u32  flags: 0x01 direct (always set), 0x02 manual proxy, 0x04 auto-config URL, 0x08 auto-detect
 *   12     u32  proxy string length N
 *   16     N    proxy string (ASCII)
 *   16+N   u32  bypass length M
 *   20+N   M    bypass string (ASCII)
 * Direct access is exactly `18000000 00000000 01000000 00000000 00000000` (KB4494447). Trust the lengths, not the
 * total size: DefaultConnectionSettings-style blobs add an auto-config URL and padding after the bypass list.
 */
import { findRegValue } from "./regQuery.js";
import { ConfigurationError, ProtocolError } from "../errors.js";

export interface WinHttpProxyState {
  accessType: "direct" | "proxy";
  /** "" when direct. `host:port`, or per scheme `http=a:80;https=b:88`. */
  proxyServer: string;
  /** `;`-separated host patterns (`<local>`, `*.contoso.com`); "" when none. */
  bypassList: string;
}

export interface DecodedWinHttpSettings extends WinHttpProxyState {
  counter: number;
  flags: number;
  /** The u32 at offset 0: 0x18 or 0x28 as Windows writes it (see the layout above). */
  version: number;
}

/** Flag bits of the blob's u32 at offset 8 (0x04 and 0x08 from community reverse engineering only). */
export const WINHTTP_FLAG_DIRECT = 0x01;
export const WINHTTP_FLAG_PROXY = 0x02;
export const WINHTTP_FLAG_AUTO_CONFIG_URL = 0x04;
export const WINHTTP_FLAG_AUTO_DETECT = 0x08;

/** The registry location of the value (64-bit view), and its WOW64 twin used by 32-bit processes. */
export const WINHTTP_SETTINGS_KEY = "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\\Connections";
export const WINHTTP_SETTINGS_KEY_WOW64 =
  "HKLM\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\\Connections";
export const WINHTTP_SETTINGS_VALUE = "WinHttpSettings";

/** The command that prints the value in a locale-independent form (parse its stdout with parseRegQueryBinary). */
export const REG_QUERY_WINHTTP_SETTINGS = `reg query "${WINHTTP_SETTINGS_KEY}" /v ${WINHTTP_SETTINGS_VALUE}`;

/** Decode the WinHttpSettings blob. Throws ProtocolError when a length points past the end. */
export function decodeWinHttpSettings(blob: Uint8Array): DecodedWinHttpSettings {
  const buf = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  if (buf.length < 12) throw new ProtocolError(`WinHttpSettings is ${buf.length} bytes; at least 12 expected`);
  const version = buf.readUInt32LE(0);
  const counter = buf.readUInt32LE(4);
  const flags = buf.readUInt32LE(8);
  let off = 12;
  const readString = (what: string): string => {
    if (off === buf.length) return ""; // a short blob without the trailing length fields: treat as empty
    if (off + 4 > buf.length) throw new ProtocolError(`WinHttpSettings is truncated in the ${what} length`);
    const n = buf.readUInt32LE(off);
    off += 4;
    if (off + n > buf.length) {
      throw new ProtocolError(`WinHttpSettings ${what} length ${n} runs past the end of the ${buf.length}-byte value`);
    }
    // The strings are ASCII (host names are punycode); latin1 keeps any stray byte visible rather than lossy.
    const s = buf.toString("latin1", off, off + n);
    off += n;
    return s;
  };
  const proxy = readString("proxy string");
  const bypass = readString("bypass list");
  const isProxy = (flags & WINHTTP_FLAG_PROXY) !== 0 && proxy !== "";
  return {
    version,
    counter,
    flags,
    accessType: isProxy ? "proxy" : "direct",
    proxyServer: isProxy ? proxy : "",
    bypassList: isProxy ? bypass : "",
  };
}

function isHexDigits(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

/**
 * The REG_BINARY bytes of `WinHttpSettings` in `reg query ... /v WinHttpSettings` output, or undefined when the
 * output has no such line. Works for every display language: only the value name, the type name and the hex digits
 * are read, never the localized messages. Accepts both layouts:
 *   Vista+:  `    WinHttpSettings    REG_BINARY    1800000000000000...` (spaces)
 *   XP/2003: `    WinHttpSettings\tREG_BINARY\t1800000000000000...` (tabs, after "! REG.EXE VERSION 3.0")
 * Linear in the length of the output (hosts/regQuery.ts).
 */
export function tryParseRegQueryBinary(stdout: string, valueName: string = WINHTTP_SETTINGS_VALUE): Buffer | undefined {
  const v = findRegValue(stdout, valueName);
  if (v === undefined || v.type !== "REG_BINARY" || !isHexDigits(v.data)) return undefined;
  if (v.data.length % 2 !== 0) throw new ProtocolError(`reg query printed an odd number of hex digits for ${valueName}`);
  return Buffer.from(v.data, "hex");
}

/** Like tryParseRegQueryBinary, but throws ProtocolError when the value is not in the output. */
export function parseRegQueryBinary(stdout: string, valueName: string = WINHTTP_SETTINGS_VALUE): Buffer {
  const b = tryParseRegQueryBinary(stdout, valueName);
  if (b === undefined) throw new ProtocolError(`reg query output has no REG_BINARY value named ${valueName}`);
  return b;
}

/** The entries of a `;`- or whitespace-separated WinHTTP list (`netsh winhttp set proxy /?`). */
export function splitList(s: string): string[] {
  // WinHTTP accepts `;` and whitespace as separators; proxycfg's examples use spaces between per-scheme servers
  // ("http=a https=b") where netsh uses `;` (`netsh winhttp set proxy /?`; `proxycfg /?`).
  return s
    .split(/[;\s]+/)
    .map((e) => e.trim())
    .filter((e) => e !== "");
}

function normalizeServer(s: string): string {
  // WinHTTP proxy syntax: [<scheme>=][<scheme>"://"]<server>[":"<port>]; "http://" before the server is the default.
  return s.toLowerCase().replace(/^http:\/\//, "");
}

/**
 * Canonical form of a proxy server string for comparison: lower case, per-scheme entries sorted by scheme and joined
 * with `;`, duplicates dropped, "http://" before a server removed. "" stays "".
 */
export function normalizeProxyServer(s: string): string {
  const entries = splitList(s);
  const plain: string[] = [];
  const perScheme = new Map<string, string>();
  for (const e of entries) {
    const eq = e.indexOf("=");
    if (eq < 0) {
      const n = normalizeServer(e);
      if (!plain.includes(n)) plain.push(n);
    } else {
      const scheme = e.slice(0, eq).trim().toLowerCase();
      // The first entry for a scheme wins, as WinHTTP reads the list left to right.
      if (!perScheme.has(scheme)) perScheme.set(scheme, normalizeServer(e.slice(eq + 1).trim()));
    }
  }
  const schemes = [...perScheme.keys()].sort().map((k) => `${k}=${perScheme.get(k) ?? ""}`);
  return [...plain, ...schemes].join(";");
}

/** Canonical form of a bypass list: lower case, split on `;` or whitespace, duplicates dropped, sorted, `;`-joined. */
export function normalizeBypassList(s: string): string {
  return [...new Set(splitList(s).map((e) => e.toLowerCase()))].sort().join(";");
}

/** Whether two states mean the same WinHTTP behaviour (no false drift from case, order or separators). */
export function sameProxyState(a: WinHttpProxyState, b: WinHttpProxyState): boolean {
  const directA = a.accessType === "direct" || normalizeProxyServer(a.proxyServer) === "";
  const directB = b.accessType === "direct" || normalizeProxyServer(b.proxyServer) === "";
  if (directA || directB) return directA === directB;
  return (
    normalizeProxyServer(a.proxyServer) === normalizeProxyServer(b.proxyServer) &&
    normalizeBypassList(a.bypassList) === normalizeBypassList(b.bypassList)
  );
}

/** Quote a value for one cmd.exe argument (the values never contain `"`: host names and patterns). */
function cmdQuote(field: string, s: string): string {
  if (/["\r\n%]/.test(s)) throw new ConfigurationError(field, "must not contain quotes, % or line breaks");
  return `"${s}"`;
}

/**
 * The command line that applies `state` with `netsh winhttp` (Vista / 2008 and later; `netsh winhttp set proxy /?`). Per-scheme
 * lists are written with `;`, the form netsh documents.
 */
export function netshSetProxyCommand(state: WinHttpProxyState): string {
  if (state.accessType === "direct") return "netsh winhttp reset proxy";
  const server = splitList(state.proxyServer).join(";");
  const bypass = splitList(state.bypassList).join(";");
  if (server === "") throw new ConfigurationError("proxyServer", "is required when accessType is \"proxy\"");
  return (
    `netsh winhttp set proxy proxy-server=${cmdQuote("proxyServer", server)}` +
    (bypass !== "" ? ` bypass-list=${cmdQuote("bypassList", bypass)}` : "")
  );
}

/**
 * The command line that applies `state` with proxycfg.exe (XP / 2003; `proxycfg /?`): per-scheme servers are
 * space-separated there ("http=a https=b"); the bypass list keeps `;`.
 */
export function proxycfgSetCommand(state: WinHttpProxyState): string {
  if (state.accessType === "direct") return "proxycfg -d";
  const server = splitList(state.proxyServer).join(" ");
  const bypass = splitList(state.bypassList).join(";");
  if (server === "") throw new ConfigurationError("proxyServer", "is required when accessType is \"proxy\"");
  return `proxycfg -p ${cmdQuote("proxyServer", server)}` + (bypass !== "" ? ` ${cmdQuote("bypassList", bypass)}` : "");
}
