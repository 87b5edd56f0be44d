/**
 * HTTP authentication challenges, shared by the WinRM target (401 + WWW-Authenticate / Authorization) and the proxy
 * (407 + Proxy-Authenticate / Proxy-Authorization): RFC 9110 11.6.1 and 11.7.1 give both the same syntax, so one
 * parser serves both; only the header pair and the status differ (as pypsrp's _WWW_AUTH_HEADERS/_PROXY_AUTH_HEADERS).
 */

/** The header pair and the status of one authentication exchange. */
export interface AuthHeaders {
  /** Response header carrying the challenge, lower case. */
  readonly challenge: "www-authenticate" | "proxy-authenticate";
  /** Request header carrying the credentials, lower case. */
  readonly credentials: "authorization" | "proxy-authorization";
  /** The "authenticate again" status: 401 for the origin (RFC 9110 15.5.2), 407 for a proxy (15.5.8). */
  readonly status: 401 | 407;
}

export const TARGET_AUTH_HEADERS: AuthHeaders = { challenge: "www-authenticate", credentials: "authorization", status: 401 };
export const PROXY_AUTH_HEADERS: AuthHeaders = {
  challenge: "proxy-authenticate",
  credentials: "proxy-authorization",
  status: 407,
};

export interface Challenge {
  readonly scheme: string;
  /** The token68 of a connection-based scheme (NTLM CHALLENGE, Kerberos AP-REP), decoded; undefined when bare. */
  readonly token: Uint8Array | undefined;
}

/**
 * Parse WWW-Authenticate / Proxy-Authenticate (RFC 9110 11.6.1): one header per scheme as http.sys and squid write
 * them, or joined with commas. A piece that starts "name=" continues the previous challenge's parameters; anything
 * else starts a challenge.
 */
export function parseChallenges(values: string | string[] | undefined): { scheme: string; rest: string }[] {
  if (values === undefined) return [];
  const list = Array.isArray(values) ? values : [values];
  const out: { scheme: string; rest: string }[] = [];
  for (const value of list) {
    for (const raw of value.split(",")) {
      const piece = raw.trim();
      if (piece === "") continue;
      if (/^[!#$%&'*+.^_`|~0-9A-Za-z-]+\s*=(?!=*$)/.test(piece) && out.length > 0) {
        const last = out[out.length - 1];
        if (last) last.rest = `${last.rest}, ${piece}`;
        continue;
      }
      const m = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)(?:\s+(.*))?$/.exec(piece);
      if (m?.[1] !== undefined) out.push({ scheme: m[1], rest: (m[2] ?? "").trim() });
    }
  }
  return out;
}

/** The challenge for `scheme` (case-insensitive, RFC 9110 11.1), with its token68 decoded when it has one. */
export function findChallenge(values: string | string[] | undefined, scheme: string): Challenge | undefined {
  const found = parseChallenges(values).find((c) => c.scheme.toLowerCase() === scheme.toLowerCase());
  if (found === undefined) return undefined;
  const token68 = /^[A-Za-z0-9+/._~-]+=*$/.test(found.rest) ? Buffer.from(found.rest, "base64") : undefined;
  return { scheme: found.scheme, token: token68 !== undefined && token68.length > 0 ? token68 : undefined };
}

/** The distinct schemes offered, in order, for error text and for choosing a mechanism. */
export function offeredSchemes(values: string | string[] | undefined): string[] {
  return [...new Set(parseChallenges(values).map((c) => c.scheme))];
}

/** `<scheme> <base64 token>`, the credentials syntax of every scheme we speak (RFC 9110 11.6.2, RFC 7617 2). */
export function credentialsHeader(scheme: string, token: Uint8Array): string {
  return `${scheme} ${Buffer.from(token.buffer, token.byteOffset, token.length).toString("base64")}`;
}
