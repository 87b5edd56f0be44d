/**
 * Which proxy (if any) carries the connection to one endpoint, from the configuration or from the environment.
 *
 * - A proxy object: its `bypass` list has WinHTTP semantics (the list `netsh winhttp set proxy bypass-list=` and
 *   WINHTTP_PROXY_INFO.lpszProxyBypass take): entries separated by `;` (or whitespace), `*` wildcards, `<local>` for
 *   any name without a dot, an optional `:port`.
 * - "env": curl's variables and rules (curl(1) ENVIRONMENT): `https_proxy` for https:// targets, `http_proxy` for
 *   http:// targets, `all_proxy` as the fallback, `no_proxy` for exceptions; the lower-case name wins over the upper-case
 *   one. One deliberate difference: curl reads `http_proxy` in lower case only (the CGI "httpoxy" guard, where
 *   HTTP_PROXY can come from a request header); we are never a CGI script and pywinrm (requests) reads HTTP_PROXY, so
 *   both cases count here too. Userinfo in the URL means Basic proxy credentials, as curl and requests take it.
 */
import { BlockList, isIP } from "node:net";
import type { Credentials } from "../auth/mechanism.js";
import { normaliseProxyUrl, type Connection, type ProxyConfig } from "../connection.js";
import { ConfigurationError } from "../errors.js";
import { bareHost, isNoProxySeparator, matchesBypassList, splitBypassList, splitHostPort } from "./bypassList.js";
import { proxyTlsConnectOptions, type TlsConnectOptions } from "./tls.js";

export interface ResolvedProxy {
  /** scheme://host:port/ of the proxy, never with userinfo. */
  readonly url: URL;
  readonly mode: ProxyConfig["mode"];
  readonly auth: ProxyConfig["auth"];
  readonly credentials?: Credentials;
  readonly spn?: string;
  readonly source: "config" | "env";
  /** Where it came from, for messages: "proxy.url" or the environment variable's name. */
  readonly field: string;
  /** TLS to the proxy itself, for an https:// proxy (RFC 9110 11.7); undefined for http://. */
  readonly tls?: TlsConnectOptions;
}

/** Why a configured proxy is not used for this endpoint. */
export type BypassReason = "bypass" | "no_proxy";

export interface ProxyDecision {
  readonly proxy: ResolvedProxy | undefined;
  readonly bypassed?: BypassReason;
}

/** The proxy for `endpoint`; undefined = direct. */
export function resolveProxy(
  endpoint: URL,
  proxy: Connection["proxy"],
  env: NodeJS.ProcessEnv = process.env,
): ResolvedProxy | undefined {
  return decideProxy(endpoint, proxy, env).proxy;
}

/** resolveProxy, and whether a configured proxy was bypassed (for the probe's route event). */
export function decideProxy(endpoint: URL, proxy: Connection["proxy"], env: NodeJS.ProcessEnv = process.env): ProxyDecision {
  if (proxy === "none") return { proxy: undefined };
  const host = endpoint.hostname;
  const port = effectivePort(endpoint);
  if (proxy === "env") return fromEnv(endpoint, host, port, env);
  if (proxy.bypass !== undefined && matchesBypassList(host, port, proxy.bypass)) {
    return { proxy: undefined, bypassed: "bypass" };
  }
  const url = new URL(proxy.url);
  const credentials: Credentials | undefined =
    proxy.username !== undefined && proxy.password !== undefined
      ? { username: proxy.username, password: proxy.password, ...(proxy.domain !== undefined ? { domain: proxy.domain } : {}) }
      : undefined;
  return {
    proxy: {
      url,
      mode: proxy.mode,
      auth: proxy.auth,
      ...(credentials !== undefined ? { credentials } : {}),
      ...(proxy.spn !== undefined ? { spn: proxy.spn } : {}),
      ...(url.protocol === "https:" ? { tls: proxyTlsConnectOptions(url, proxy.tls) } : {}),
      source: "config",
      field: "proxy.url",
    },
  };
}

function fromEnv(endpoint: URL, host: string, port: number, env: NodeJS.ProcessEnv): ProxyDecision {
  const scheme = endpoint.protocol === "https:" ? "https" : "http";
  const picked = envValue(env, `${scheme}_proxy`) ?? envValue(env, "all_proxy");
  if (picked === undefined) return { proxy: undefined };
  const noProxy = envValue(env, "no_proxy");
  if (noProxy !== undefined && matchesNoProxy(host, port, noProxy.value, noProxy.name)) return { proxy: undefined, bypassed: "no_proxy" };
  // curl: a proxy without a scheme is an HTTP proxy ("proxy:3128").
  const raw = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(picked.value) ? picked.value : `http://${picked.value}`;
  const url = normaliseProxyUrl(raw, picked.name);
  let credentials: Credentials | undefined;
  if (url.username !== "") {
    let username: string;
    let password: string;
    try {
      username = decodeURIComponent(url.username);
      password = decodeURIComponent(url.password);
    } catch {
      throw new ConfigurationError(picked.name, "has badly percent-encoded credentials in the proxy URL");
    }
    credentials = { username, password };
  }
  url.username = "";
  url.password = "";
  return {
    proxy: {
      url,
      mode: "auto",
      auth: credentials !== undefined ? "basic" : "none",
      ...(credentials !== undefined ? { credentials } : {}),
      // HTTPS_PROXY=https://...: TLS to the proxy, verified against the system CAs (curl does the same by default).
      ...(url.protocol === "https:" ? { tls: proxyTlsConnectOptions(url, undefined) } : {}),
      source: "env",
      field: picked.name,
    },
  };
}

/** A non-empty variable, lower case first (curl's order). Returns the name actually used, for messages. */
function envValue(env: NodeJS.ProcessEnv, lower: string): { name: string; value: string } | undefined {
  for (const name of [lower, lower.toUpperCase()]) {
    const v = env[name];
    if (v !== undefined && v.trim() !== "") return { name, value: v.trim() };
  }
  return undefined;
}

export function effectivePort(url: URL): number {
  if (url.port !== "") return Number(url.port);
  return url.protocol === "https:" ? 443 : 80;
}

/**
 * curl's NO_PROXY (lib/noproxy.c, curl 8): comma- (or space-) separated; `*` alone matches every host; a name matches
 * itself and its subdomains, a leading `.` (or `*.`) changes nothing ("example.com" and ".example.com" both match
 * "a.example.com" and "example.com"); IP addresses match exactly or by CIDR ("10.0.0.0/8", "::1/128"). curl ignores
 * ports; we also honour an optional ":port" (undici's EnvHttpProxyAgent, Go's httpproxy), which only narrows a match.
 */
export function matchesNoProxy(host: string, port: number, list: string, field = "NO_PROXY"): boolean {
  const h = bareHost(host);
  const hostIsIp = isIP(h);
  // Bounded like the bypass list (bypassList.ts): at most 1,000 entries of at most 255 characters.
  for (let entry of splitBypassList(list, field, isNoProxySeparator)) {
    if (entry === "*") return true;
    const p = splitHostPort(entry);
    entry = p.host;
    if (p.port !== undefined && p.port !== port) continue;
    if (hostIsIp !== 0) {
      const slash = entry.indexOf("/");
      const addr = bareHost(slash >= 0 ? entry.slice(0, slash) : entry);
      const family = isIP(addr);
      if (family === 0) continue;
      if (slash < 0) {
        if (family === hostIsIp && sameIp(addr, h, family)) return true;
        continue;
      }
      const bits = Number(entry.slice(slash + 1));
      // Checked here rather than left to addSubnet's RangeError: a thrown error per entry costs far more than a test.
      if (family !== hostIsIp || !Number.isInteger(bits) || bits < 0 || bits > (family === 4 ? 32 : 128)) continue;
      const block = new BlockList();
      try {
        block.addSubnet(addr, bits, family === 4 ? "ipv4" : "ipv6");
      } catch {
        continue;
      }
      if (block.check(h, family === 4 ? "ipv4" : "ipv6")) return true;
      continue;
    }
    entry = entry.replace(/^\*?\./, "").replace(/\.$/, "");
    if (entry === "") continue;
    if (h === entry || h.endsWith(`.${entry}`)) return true;
  }
  return false;
}

function sameIp(a: string, b: string, family: number): boolean {
  const block = new BlockList();
  block.addAddress(a, family === 4 ? "ipv4" : "ipv6");
  return block.check(b, family === 4 ? "ipv4" : "ipv6");
}

/**
 * WinHTTP's bypass list: see transport/bypassList.ts (entries bounded in length and count, `*` matched without
 * regular expressions). Throws ConfigurationError naming proxy.bypass when the list is out of bounds.
 */
export { matchesBypassList };

/** The proxy as it may be printed: scheme://host:port, never userinfo. */
export function proxyLabel(url: URL): string {
  return `${url.protocol}//${url.hostname}:${effectivePort(url)}`;
}
