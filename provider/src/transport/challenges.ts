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
      const last = out[out.length - 1];
      if (last !== undefined && isAuthParam(piece)) {
        last.rest = `${last.rest}, ${piece}`;
        continue;
      }
      const challenge = schemeAndRest(piece);
      if (challenge !== undefined) out.push(challenge);
    }
  }
  return out;
}

// The pieces are read by scans, not regular expressions: header values are the peer's (RFC 9110 5.6.2 token).
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+.^_`|~-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TCHAR[c.charCodeAt(0)] = 1;

function tokenEnd(s: string, from: number): number {
  let i = from;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || TCHAR[c] !== 1) break;
  }
  return i;
}

/** The characters JavaScript's trim() removes (and `\s` matches). */
function isSpace(c: number): boolean {
  if (c === 0x20 || (c >= 0x09 && c <= 0x0d)) return true;
  if (c < 0xa0) return false;
  return String.fromCharCode(c).trim() === "";
}

function isLineTerminator(c: number): boolean {
  return c === 0x0a || c === 0x0d || c === 0x2028 || c === 0x2029;
}

/** `name [blanks] = value` with a value that is not only "=" padding (a token68 such as "abc==" is not a parameter). */
function isAuthParam(piece: string): boolean {
  let i = tokenEnd(piece, 0);
  if (i === 0) return false;
  while (i < piece.length && isSpace(piece.charCodeAt(i))) i++;
  if (piece.charCodeAt(i) !== 0x3d) return false;
  for (let j = i + 1; j < piece.length; j++) if (piece.charCodeAt(j) !== 0x3d) return true;
  return false;
}

/** `scheme [blanks rest]`; undefined when the piece does not start with a token followed by blanks or its end. */
function schemeAndRest(piece: string): { scheme: string; rest: string } | undefined {
  const end = tokenEnd(piece, 0);
  if (end === 0) return undefined;
  if (end === piece.length) return { scheme: piece, rest: "" };
  if (!isSpace(piece.charCodeAt(end))) return undefined;
  let i = end;
  while (i < piece.length && isSpace(piece.charCodeAt(i))) i++;
  for (let j = i; j < piece.length; j++) if (isLineTerminator(piece.charCodeAt(j))) return undefined;
  return { scheme: piece.slice(0, end), rest: piece.slice(i).trim() };
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
