/**
 * SOCKS version 5 (RFC 1928) with username/password authentication (RFC 1929), as a pure codec: encoders give the
 * bytes to send, decoders take the bytes received so far and return undefined while more are needed. No I/O.
 *
 * - Greeting (RFC 1928 3): VER=5, NMETHODS, METHODS; the reply is VER, METHOD (0xFF: none acceptable).
 * - Username/password (RFC 1929 2): VER=1, ULEN, UNAME, PLEN, PASSWD, each 1-255 octets; the reply is VER, STATUS
 *   (0 = success; anything else is a failure and the server closes).
 * - Request (RFC 1928 4): VER=5, CMD=1 (CONNECT), RSV=0, ATYP (1 IPv4, 3 domain name, 4 IPv6), DST.ADDR, DST.PORT.
 * - Reply (RFC 1928 6): VER=5, REP, RSV, ATYP, BND.ADDR, BND.PORT; REP 0 succeeds, 1-8 are named failures.
 * Every error names the proxy (host:port only: never a credential) and the code it sent.
 */
import { isIPv4, isIPv6 } from "node:net";
import { ConfigurationError, ProxyAuthenticationError, ProxyError } from "../errors.js";

export const SOCKS_VERSION = 5;
export const METHOD_NO_AUTH = 0x00;
export const METHOD_USERNAME_PASSWORD = 0x02;
export const METHOD_NONE_ACCEPTABLE = 0xff;
const USERPASS_VERSION = 1;
const CMD_CONNECT = 1;
const ATYP_IPV4 = 1;
const ATYP_DOMAIN = 3;
const ATYP_IPV6 = 4;

/** RFC 1928 6: the failure replies. */
export const SOCKS5_REPLY_TEXT: Readonly<Record<number, string>> = {
  1: "general SOCKS server failure",
  2: "connection not allowed by ruleset",
  3: "network unreachable",
  4: "host unreachable",
  5: "connection refused",
  6: "TTL expired",
  7: "command not supported",
  8: "address type not supported",
};

/** The proxy answered with a SOCKS5 failure reply (RFC 1928 6 REP 1-255). */
export class Socks5ReplyError extends ProxyError {
  readonly reply: number;
  constructor(proxy: string, reply: number, target: string) {
    const text = SOCKS5_REPLY_TEXT[reply] ?? "unassigned reply code";
    super(`the SOCKS5 proxy ${proxy} refused CONNECT ${target}: reply ${reply} (${text})`);
    this.reply = reply;
  }
}

export function encodeGreeting(withCredentials: boolean): Uint8Array {
  // Offer only what we will do: with credentials, username/password only (so no proxy picks "no auth" silently
  // over what the user configured); without, no-auth only.
  return Uint8Array.of(SOCKS_VERSION, 1, withCredentials ? METHOD_USERNAME_PASSWORD : METHOD_NO_AUTH);
}

export interface Decoded<T> {
  readonly value: T;
  /** Octets of the input the message took. */
  readonly consumed: number;
}

export function decodeMethodChoice(buf: Uint8Array, proxy: string, offered: number): Decoded<number> | undefined {
  if (buf.length < 2) return undefined;
  if (buf[0] !== SOCKS_VERSION) {
    throw new ProxyError(`the proxy ${proxy} did not answer as a SOCKS5 server (version octet ${buf[0] ?? 0})`);
  }
  const method = buf[1] ?? METHOD_NONE_ACCEPTABLE;
  if (method !== offered) {
    if (offered === METHOD_NO_AUTH) {
      throw new ProxyAuthenticationError(
        "none",
        "SOCKS5 greeting",
        `the SOCKS5 proxy ${proxy} requires authentication (method ${method}); set proxy.username and proxy.password`,
      );
    }
    throw new ProxyAuthenticationError(
      "username/password",
      "SOCKS5 greeting",
      `the SOCKS5 proxy ${proxy} does not accept username/password authentication (RFC 1929); it chose method ${method}`,
    );
  }
  return { value: method, consumed: 2 };
}

/** RFC 1929 2: each field 1-255 octets of UTF-8. */
export function encodeUserPass(username: string, password: string): Uint8Array {
  const user = Buffer.from(username, "utf8");
  const pass = Buffer.from(password, "utf8");
  if (user.length < 1 || user.length > 255) {
    throw new ConfigurationError("proxy.username", "a SOCKS5 user name must be 1 to 255 octets (RFC 1929)");
  }
  if (pass.length < 1 || pass.length > 255) {
    throw new ConfigurationError("proxy.password", "a SOCKS5 password must be 1 to 255 octets (RFC 1929)");
  }
  return Buffer.concat([Uint8Array.of(USERPASS_VERSION, user.length), user, Uint8Array.of(pass.length), pass]);
}

export function decodeUserPassReply(buf: Uint8Array, proxy: string): Decoded<true> | undefined {
  if (buf.length < 2) return undefined;
  if (buf[0] !== USERPASS_VERSION) {
    throw new ProxyError(`the SOCKS5 proxy ${proxy} sent a malformed username/password reply (version ${buf[0] ?? 0})`);
  }
  if (buf[1] !== 0) {
    throw new ProxyAuthenticationError(
      "username/password",
      "RFC 1929",
      `the SOCKS5 proxy ${proxy} rejected the credentials (status ${buf[1] ?? 0})`,
    );
  }
  return { value: true, consumed: 2 };
}

/**
 * The CONNECT request. `host` is an IPv4 or IPv6 literal (IPv6 with or without brackets) or a domain name the proxy
 * resolves (socks5h://, or an address resolved by the caller for socks5://).
 */
export function encodeConnect(host: string, port: number): Uint8Array {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`port ${port} out of range`);
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  let addr: Uint8Array;
  if (isIPv4(bare)) {
    addr = Uint8Array.of(ATYP_IPV4, ...bare.split(".").map(Number));
  } else if (isIPv6(bare)) {
    addr = Buffer.concat([Uint8Array.of(ATYP_IPV6), ipv6Bytes(bare)]);
  } else {
    const name = Buffer.from(bare, "ascii");
    if (name.length < 1 || name.length > 255) throw new RangeError("a SOCKS5 domain name is 1 to 255 octets");
    addr = Buffer.concat([Uint8Array.of(ATYP_DOMAIN, name.length), name]);
  }
  return Buffer.concat([Uint8Array.of(SOCKS_VERSION, CMD_CONNECT, 0), addr, Uint8Array.of(port >> 8, port & 0xff)]);
}

/** 16 octets of an IPv6 literal (with "::" and an embedded IPv4 tail). */
export function ipv6Bytes(text: string): Uint8Array {
  const zone = text.indexOf("%");
  const s = zone >= 0 ? text.slice(0, zone) : text;
  const [headText, tailText] = s.includes("::") ? (s.split("::") as [string, string]) : [s, undefined];
  const groups = (part: string | undefined): number[] => {
    if (part === undefined || part === "") return [];
    const out: number[] = [];
    for (const g of part.split(":")) {
      if (g.includes(".")) {
        const v4 = g.split(".").map(Number);
        out.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
      } else out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = groups(headText);
  const tail = groups(tailText);
  const all = tailText === undefined ? head : [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

export interface BoundAddress {
  readonly host: string;
  readonly port: number;
}

export function decodeConnectReply(buf: Uint8Array, proxy: string, target: string): Decoded<BoundAddress> | undefined {
  if (buf.length < 2) return undefined;
  if (buf[0] !== SOCKS_VERSION) {
    throw new ProxyError(`the proxy ${proxy} did not answer CONNECT as a SOCKS5 server (version octet ${buf[0] ?? 0})`);
  }
  const rep = buf[1] ?? 1;
  // A failure reply is final whatever follows (the server closes within 10 s, RFC 1928 6).
  if (rep !== 0) throw new Socks5ReplyError(proxy, rep, target);
  if (buf.length < 5) return undefined;
  const atyp = buf[3];
  let addrLen: number;
  let addrStart = 4;
  if (atyp === ATYP_IPV4) addrLen = 4;
  else if (atyp === ATYP_IPV6) addrLen = 16;
  else if (atyp === ATYP_DOMAIN) {
    addrLen = buf[4] ?? 0;
    addrStart = 5;
  } else {
    throw new ProxyError(`the SOCKS5 proxy ${proxy} sent a reply with an unknown address type ${atyp ?? 0}`);
  }
  const total = addrStart + addrLen + 2;
  if (buf.length < total) return undefined;
  const a = buf.subarray(addrStart, addrStart + addrLen);
  let host: string;
  if (atyp === ATYP_IPV4) host = Array.from(a).join(".");
  else if (atyp === ATYP_IPV6) {
    const g: string[] = [];
    for (let i = 0; i < 16; i += 2) g.push((((a[i] ?? 0) << 8) | (a[i + 1] ?? 0)).toString(16));
    host = g.join(":");
  } else host = Buffer.from(a).toString("latin1");
  const port = ((buf[total - 2] ?? 0) << 8) | (buf[total - 1] ?? 0);
  return { value: { host, port }, consumed: total };
}
